package shop_test

import (
	"net/http"
	gosync "sync"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

func redeem(c *client, code, key string, amount skranke.Money) (answer, error) {
	return tryPost(c, "/giftcards/"+code+"/redemptions", key, shop.RedeemRequest{ID: key, Amount: amount})
}

func TestRedemptionRemainderChain(t *testing.T) { eachStore(t, testRedemptionRemainderChain) }

func testRedemptionRemainderChain(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	card := srv.IssueCard(100000)
	if !skranke.ValidCheck(card.Code) || len(card.Code) != skranke.GiftCardLen {
		t.Fatalf("issued code %q is not a valid gift card code", card.Code)
	}

	a, err := redeem(c, card.Code, newKey(), 30000)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a, http.StatusCreated)
	var first shop.RedeemResult
	a.decode(t, &first)
	rem := first.Remainder
	switch {
	case first.Card.Status != skranke.CardVoided || first.Card.Balance != 0 || first.Card.RemainderCode != rem.Code:
		t.Fatalf("used card is %+v, want voided with balance 0 pointing at the remainder", first.Card)
	case rem.Balance != 70000 || rem.ParentCode != card.Code || !rem.ExpiresAt.Equal(card.ExpiresAt) || rem.Status != skranke.CardActive:
		t.Fatalf("remainder is %+v, want 700 kr active, parent %s, expiry %s", rem, card.Code, card.ExpiresAt)
	case rem.Code == card.Code || !skranke.ValidCheck(rem.Code):
		t.Fatalf("remainder code %q", rem.Code)
	case first.Redemption.Amount != 30000 || first.Redemption.RemainderCode != rem.Code || first.Redemption.StaffID != shop.DemoStaffID:
		t.Fatalf("redemption %+v", first.Redemption)
	}

	a, _ = redeem(c, card.Code, newKey(), 100)
	wantStatus(t, a, http.StatusConflict)
	var refused struct{ Card skranke.Card }
	a.decode(t, &refused)
	if refused.Card.RemainderCode != rem.Code {
		t.Errorf("refusal on the voided card does not point at the remainder: %s", a.body)
	}

	a, _ = redeem(c, rem.Code, newKey(), 70001)
	wantStatus(t, a, http.StatusConflict)
	a, _ = redeem(c, rem.Code, newKey(), 70000)
	wantStatus(t, a, http.StatusCreated)
	var whole shop.RedeemResult
	a.decode(t, &whole)
	if whole.Card.Status != skranke.CardSpent || whole.Remainder != nil || whole.Card.Balance != 0 {
		t.Fatalf("whole use gave %+v with remainder %v, want spent and none", whole.Card, whole.Remainder)
	}

	var chain shop.CardResult
	c.get("/giftcards/"+skranke.GroupCode(rem.Code)).decode(t, &chain)
	if len(chain.Chain) != 2 || chain.Chain[0].Code != card.Code || chain.Chain[1].Code != rem.Code || len(chain.Redemptions) != 2 {
		t.Fatalf("chain %+v with %d redemptions, want [%s %s] and 2", chain.Chain, len(chain.Redemptions), card.Code, rem.Code)
	}

	for _, label := range []string{"card-expired", "card-spent", "card-chain-root"} {
		a, _ := redeem(c, srv.Code(label), newKey(), 100)
		if a.status != http.StatusConflict || a.errorCode(t) != "conflict" {
			t.Errorf("%s: %d %s, want 409 conflict", label, a.status, a.body)
		}
	}
	var demo shop.CardResult
	c.get("/giftcards/"+srv.Code("card-chain-middle")).decode(t, &demo)
	if len(demo.Chain) != 3 || demo.Chain[2].Code != srv.Code("card-chain") || len(demo.Redemptions) != 2 {
		t.Errorf("demo chain from its middle: %d cards, %d redemptions; want 3 and 2", len(demo.Chain), len(demo.Redemptions))
	}
}

// TestConcurrentRedemptions runs many desks against one card over real HTTP.
// Each desk follows the chain to the newest remainder and tries again until
// its amount is paid or the card cannot pay it.
func TestConcurrentRedemptions(t *testing.T) { eachStore(t, testConcurrentRedemptions) }

func testConcurrentRedemptions(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	const desks, want, initial = 60, 3000, 100000 // 60 × 30 kr wanted from 1 000 kr.
	card := srv.IssueCard(initial)
	start := make(chan struct{})
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	paid := skranke.Money(0)
	// A desk tries again only when another was paid first and left a
	// remainder card, so no desk can need more tries than there are
	// payments; more means the server let a desk go round in circles.
	const tries = initial/want + 1
	for range desks {
		wg.Go(func() {
			c := newClient(t, srv)
			code := card.Code
			<-start
			for range tries {
				a, err := redeem(c, code, newKey(), want)
				if err != nil {
					t.Errorf("redeem: %v", err)
					return
				}
				var st struct {
					Redemption skranke.Redemption
					Card       skranke.Card
				}
				if err := jsonUnmarshal(a.body, &st); err != nil {
					t.Errorf("answer %s: %v", a.body, err)
					return
				}
				switch {
				case a.status == http.StatusCreated:
					mu.Lock()
					paid += st.Redemption.Amount
					mu.Unlock()
					return
				case a.status == http.StatusConflict && st.Card.Status == skranke.CardVoided:
					code = st.Card.RemainderCode // Someone was first: follow the chain.
				case a.status == http.StatusConflict:
					return // Spent, or too little left.
				default:
					t.Errorf("status %d: %s", a.status, a.body)
					return
				}
			}
			t.Errorf("a desk was still following the chain after %d tries", tries)
		})
	}
	close(start)
	wg.Wait()

	var chain shop.CardResult
	newClient(t, srv).get("/giftcards/"+card.Code).decode(t, &chain)
	var redeemed skranke.Money
	for _, r := range chain.Redemptions {
		redeemed += r.Amount
	}
	last := chain.Chain[len(chain.Chain)-1]
	if paid != redeemed || paid > initial || paid+last.Balance != initial {
		t.Fatalf("desks were paid %s, the server recorded %s, %s is left; want paid = recorded ≤ %s and paid + left = %s",
			paid, redeemed, last.Balance, skranke.Money(initial), skranke.Money(initial))
	}
	if paid != initial/want*want {
		t.Errorf("paid %s, want %s (every desk that could be paid was)", paid, skranke.Money(initial/want*want))
	}
	active := 0
	for i, c := range chain.Chain {
		if c.Status == skranke.CardActive {
			active++
		}
		if i > 0 && c.ParentCode != chain.Chain[i-1].Code {
			t.Errorf("chain link %d: parent %s, want %s", i, c.ParentCode, chain.Chain[i-1].Code)
		}
	}
	if active > 1 {
		t.Errorf("%d active cards in the chain, want at most 1", active)
	}
}

func TestConcurrentRedemptionsWithOneKeyRedeemOnce(t *testing.T) {
	eachStore(t, testConcurrentRedemptionsWithOneKeyRedeemOnce)
}

func testConcurrentRedemptionsWithOneKeyRedeemOnce(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	card := srv.IssueCard(50000)
	key := newKey()
	var wg gosync.WaitGroup
	answers := make([]answer, 50)
	start := make(chan struct{})
	for i := range answers {
		wg.Go(func() {
			c := newClient(t, srv)
			<-start
			a, err := redeem(c, card.Code, key, 12345)
			if err != nil {
				t.Error(err)
			}
			answers[i] = a
		})
	}
	close(start)
	wg.Wait()
	var first shop.RedeemResult
	answers[0].decode(t, &first)
	for i, a := range answers {
		var r shop.RedeemResult
		if a.status != http.StatusCreated || jsonUnmarshal(a.body, &r) != nil || r.Remainder == nil || r.Remainder.Code != first.Remainder.Code {
			t.Fatalf("answer %d: %d %s; want 201 with remainder %s", i, a.status, a.body, first.Remainder.Code)
		}
	}
	if c := srv.Card(first.Remainder.Code); c.Balance != 50000-12345 {
		t.Errorf("remainder balance %s", c.Balance)
	}
	if c := srv.Card(card.Code); c.Status != skranke.CardVoided {
		t.Errorf("card status %s", c.Status)
	}
}

func TestGiftCardsSoldInWebShopAreIssuedWhenPaidAndHandedOverWithDelivery(t *testing.T) {
	eachStore(t, testGiftCardsSoldInWebShopAreIssuedWhenPaidAndHandedOverWithDelivery)
}

func testGiftCardsSoldInWebShopAreIssuedWhenPaidAndHandedOverWithDelivery(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	p := srv.CreatePurchase(skranke.Purchase{
		Buyer: skranke.Buyer{Name: "Øyvind Kløvstad"},
		Lines: []skranke.Line{{ProductID: "gavekort-500", Quantity: 2}, {ProductID: "shaker", Quantity: 1}},
	})
	cardsOf := func() []skranke.Card {
		var out []skranke.Card
		for _, pg := range pull(t, c, 0, 1000) {
			for _, card := range pg.Cards {
				if card.PurchaseCode == p.Code {
					out = append(out, card)
				}
			}
		}
		return out
	}
	if n := len(cardsOf()); n != 0 {
		t.Fatalf("%d cards issued for an unpaid purchase", n)
	}
	srv.Notify(p.Code, skranke.Authorized)
	srv.Notify(p.Code, skranke.Captured)
	cards := cardsOf()
	if len(cards) != 2 || cards[0].Balance != 50000 || cards[1].Balance != 50000 || cards[0].Status != skranke.CardActive {
		t.Fatalf("after payment the purchase has cards %+v, want two active 500 kr cards", cards)
	}

	a := c.post("/purchases/"+p.Code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "gc-1", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 2}}})
	wantStatus(t, a, http.StatusCreated)
	var res shop.DeliveryResult
	a.decode(t, &res)
	if len(res.Cards) != 2 || res.Cards[0].Code != cards[0].Code || res.Cards[1].Code != cards[1].Code {
		t.Fatalf("the delivery answer carries cards %+v, want the purchase's two", res.Cards)
	}
	c.uploadSignature("sig-gc")
	a = c.post("/purchases/"+p.Code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "gc-2", SignatureID: "sig-gc"})
	wantStatus(t, a, http.StatusCreated)
	var rest shop.DeliveryResult
	a.decode(t, &rest)
	if len(rest.Cards) != 0 || !rest.Purchase.FullyDelivered() {
		t.Errorf("a delivery of the shaker alone carries cards %+v", rest.Cards)
	}
	if n := len(cardsOf()); n != 2 {
		t.Errorf("%d cards after delivery, want still 2", n)
	}
}

// POST /giftcards with a purchase_code that names no purchase answered
// 404, which the contract does not list for the endpoint (400, 401, 422):
// the web shop sent a bad field, a 400.
func TestGiftCardForUnknownPurchaseIsABadRequest(t *testing.T) {
	srv := shoptest.Start(t)
	a := newShopClient(t, srv).post("/giftcards", newKey(), map[string]any{"amount": 100, "purchase_code": "nonsense"})
	if a.status != http.StatusBadRequest && a.status != http.StatusUnprocessableEntity {
		t.Errorf("gift card for an unknown purchase: %d %s; want 400 (the contract lists 400, 401, 422)", a.status, a.body)
	}
}
