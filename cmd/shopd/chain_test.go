package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// These tests run a chain: three shopd processes on one PostgreSQL
// database, with desks spread over them as a load balancer would.

func issueCard(t *testing.T, in *instance, amount skranke.Money) skranke.Card {
	t.Helper()
	a := call(t, http.DefaultClient, "POST", in.URL+shop.APIPrefix+"/giftcards", newKey(), true,
		shop.CardRequest{Amount: amount, CentreID: shop.DemoCentreID})
	if a.status != http.StatusCreated {
		t.Fatalf("issue card: %d %s", a.status, a.body)
	}
	var c skranke.Card
	a.decode(t, &c)
	return c
}

func cardChain(t *testing.T, in *instance, code string) shop.CardResult {
	t.Helper()
	a := call(t, http.DefaultClient, "GET", in.URL+shop.APIPrefix+"/giftcards/"+code, "", false, nil)
	if a.status != http.StatusOK {
		t.Fatalf("get card %s: %d %s", code, a.status, a.body)
	}
	var r shop.CardResult
	a.decode(t, &r)
	return r
}

func TestChainConcurrentRedemptionsOfOneCardNeverExceedItsBalance(t *testing.T) {
	t.Parallel()
	shops, _ := startChain(t, 3)
	const desks, want, initial = 50, 3000, 100000 // 50 desks want 30 kr each of a 1 000 kr card.
	card := issueCard(t, shops[0], initial)
	var paid atomic.Int64
	var wins atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range desks {
		wg.Go(func() {
			in := shops[i%len(shops)]
			hc := &http.Client{}
			code := card.Code
			<-start
			for range 200 {
				a := call(t, hc, "POST", in.URL+shop.APIPrefix+"/giftcards/"+code+"/redemptions", newKey(), false,
					shop.RedeemRequest{ID: newKey(), Amount: want})
				var st struct {
					Redemption skranke.Redemption
					Card       skranke.Card
				}
				if err := json.Unmarshal(a.body, &st); err != nil {
					t.Errorf("desk %d: answer %d %s: %v", i, a.status, a.body, err)
					return
				}
				switch {
				case a.status == http.StatusCreated:
					paid.Add(int64(st.Redemption.Amount))
					wins.Add(1)
					return
				case a.status == http.StatusConflict && st.Card.Status == skranke.CardVoided:
					code = st.Card.RemainderCode // Another desk was first: follow the chain.
				case a.status == http.StatusConflict:
					return // Too little left.
				default:
					t.Errorf("desk %d: status %d: %s", i, a.status, a.body)
					return
				}
			}
			t.Errorf("desk %d was still following the chain after 200 tries", i)
		})
	}
	close(start)
	wg.Wait()

	// Every instance tells the same story.
	chain := cardChain(t, shops[0], card.Code)
	for _, in := range shops[1:] {
		other := cardChain(t, in, card.Code)
		a, _ := json.Marshal(chain)
		b, _ := json.Marshal(other)
		if !bytes.Equal(a, b) {
			t.Errorf("instances disagree on the chain:\n%s\n%s", a, b)
		}
	}
	var redeemed skranke.Money
	for _, r := range chain.Redemptions {
		redeemed += r.Amount
	}
	last := chain.Chain[len(chain.Chain)-1]
	if got := skranke.Money(paid.Load()); got != redeemed || got > initial || got+last.Balance != initial {
		t.Fatalf("desks were paid %s, the shop recorded %s, %s is left; want paid = recorded ≤ %s and paid + left = %s",
			got, redeemed, last.Balance, skranke.Money(initial), skranke.Money(initial))
	}
	if n := int(wins.Load()); n != initial/want || len(chain.Redemptions) != n {
		t.Errorf("%d desks were paid and %d redemptions recorded, want %d (all that the card could pay)", n, len(chain.Redemptions), initial/want)
	}
	// One unbroken chain: each card the remainder of the one before, all
	// voided but the last, which holds what is left.
	if len(chain.Chain) != int(wins.Load())+1 {
		t.Errorf("the chain has %d cards after %d partial redemptions, want %d", len(chain.Chain), wins.Load(), wins.Load()+1)
	}
	for i, c := range chain.Chain {
		switch {
		case i > 0 && c.ParentCode != chain.Chain[i-1].Code:
			t.Errorf("link %d: %s has parent %s, want %s", i, c.Code, c.ParentCode, chain.Chain[i-1].Code)
		case i < len(chain.Chain)-1 && (c.Status != skranke.CardVoided || c.Balance != 0 || c.RemainderCode != chain.Chain[i+1].Code):
			t.Errorf("link %d: %s is %s with %s, remainder %s; want voided, 0, %s", i, c.Code, c.Status, c.Balance, c.RemainderCode, chain.Chain[i+1].Code)
		case i == len(chain.Chain)-1 && (c.Status != skranke.CardActive || c.Balance != initial%want):
			t.Errorf("last card %s is %s with %s, want active with %s", c.Code, c.Status, c.Balance, skranke.Money(initial%want))
		}
	}
}

func TestChainOneIdempotencyKeyAtTwoInstancesHasOneEffect(t *testing.T) {
	t.Parallel()
	shops, _ := startChain(t, 3)
	const rounds, amount, initial = 20, 100, 50000
	card := issueCard(t, shops[0], initial)
	code := card.Code
	for r := range rounds {
		key := newKey()
		req := shop.RedeemRequest{ID: key, Amount: amount}
		var answers [2]answer
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range answers {
			in := shops[(r+i)%len(shops)]
			wg.Go(func() {
				hc := &http.Client{}
				<-start
				answers[i] = call(t, hc, "POST", in.URL+shop.APIPrefix+"/giftcards/"+code+"/redemptions", key, false, req)
			})
		}
		close(start)
		wg.Wait()
		a, b := answers[0], answers[1]
		if a.status != http.StatusCreated || b.status != http.StatusCreated || !bytes.Equal(a.body, b.body) {
			t.Fatalf("round %d: two instances answered the same request differently:\n%d %s\n%d %s", r, a.status, a.body, b.status, b.body)
		}
		if a.replayed == b.replayed {
			t.Fatalf("round %d: replayed %v and %v, want exactly one answer replayed", r, a.replayed, b.replayed)
		}
		var res shop.RedeemResult
		a.decode(t, &res)
		if res.Remainder == nil {
			t.Fatalf("round %d: no remainder in %s", r, a.body)
		}
		code = res.Remainder.Code
	}
	chain := cardChain(t, shops[2], card.Code)
	last := chain.Chain[len(chain.Chain)-1]
	if len(chain.Redemptions) != rounds || len(chain.Chain) != rounds+1 || last.Balance != initial-rounds*amount {
		t.Fatalf("after %d keys each sent twice: %d redemptions, %d cards, %s left; want %d, %d, %s",
			rounds, len(chain.Redemptions), len(chain.Chain), last.Balance, rounds, rounds+1, skranke.Money(initial-rounds*amount))
	}
}

// feedItem is what a desk keeps of a changes-feed document.
type feedItem struct {
	seq int64
	doc json.RawMessage
}

// feedMirror is a desk's cache, filled from the changes feed only.
type feedMirror struct {
	since int64
	items map[string]feedItem // "p:code" or "c:code"
}

// feedItems keys feed documents by kind and code ("p:code", "c:code").
func feedItems(t *testing.T, purchases, cards []json.RawMessage) map[string]feedItem {
	out := map[string]feedItem{}
	for prefix, docs := range map[string][]json.RawMessage{"p:": purchases, "c:": cards} {
		for _, d := range docs {
			var k struct {
				Code string `json:"code"`
				Seq  int64  `json:"seq"`
			}
			if err := json.Unmarshal(d, &k); err != nil {
				t.Errorf("feed document %s: %v", d, err)
				continue
			}
			out[prefix+k.Code] = feedItem{seq: k.Seq, doc: d}
		}
	}
	return out
}

// pull reads one page from since and applies it; it says whether more is there.
func (m *feedMirror) pull(t *testing.T, hc *http.Client, in *instance) bool {
	a := call(t, hc, "GET", fmt.Sprintf("%s%s/changes?since=%d&limit=25", in.URL, shop.APIPrefix, m.since), "", false, nil)
	if a.status != http.StatusOK {
		t.Errorf("changes: %d %s", a.status, a.body)
		return false
	}
	var page struct {
		Purchases []json.RawMessage `json:"purchases"`
		Cards     []json.RawMessage `json:"cards"`
		Next      int64             `json:"next"`
		More      bool              `json:"more"`
	}
	a.decode(t, &page)
	for key, it := range feedItems(t, page.Purchases, page.Cards) {
		if it.seq <= m.since {
			t.Errorf("the feed handed out %s at seq %d below the cursor %d", key, it.seq, m.since)
		}
		m.items[key] = it
	}
	if page.Next < m.since {
		t.Errorf("the cursor went back from %d to %d", m.since, page.Next)
	}
	m.since = page.Next
	return page.More
}

// signedNotify captures a purchase's payment as the acquirer does.
func signedNotify(t *testing.T, hc *http.Client, in *instance, code string) {
	body, _ := json.Marshal(shop.Notification{EventID: newKey(), Reference: code, Status: skranke.Captured, Acquirer: "nets"})
	req, _ := http.NewRequest("POST", in.URL+shop.APIPrefix+"/payments/notify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature", shop.SignNotification(shop.DemoNotifySecret, body))
	resp, err := hc.Do(req)
	if err != nil {
		t.Errorf("notify: %v", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("notify %s: status %d", code, resp.StatusCode)
	}
}

// TestChainChangesFeedMissesNothing has writers on all three instances
// committing at once while desks, each on one instance, follow the changes
// feed. Each desk's cache must end identical to the shop: a change committed
// below a cursor already handed out would be missing from it for good.
func TestChainChangesFeedMissesNothing(t *testing.T) {
	t.Parallel()
	shops, url := startChain(t, 3)
	const writersPerShop, rounds, desks = 2, 12, 6
	var writers sync.WaitGroup
	for i := range len(shops) * writersPerShop {
		in := shops[i%len(shops)]
		writers.Go(func() {
			hc := &http.Client{}
			for r := range rounds {
				a := call(t, hc, "POST", in.URL+shop.APIPrefix+"/purchases", newKey(), true, skranke.Purchase{
					CentreID: shop.DemoCentreID, Buyer: skranke.Buyer{Name: fmt.Sprintf("Kjøper %d-%d", i, r)},
					Lines: []skranke.Line{{ProductID: "massasje-30", Quantity: 1}}})
				if a.status != http.StatusCreated {
					t.Errorf("create purchase: %d %s", a.status, a.body)
					return
				}
				var p skranke.Purchase
				a.decode(t, &p)
				signedNotify(t, hc, in, p.Code)
				a = call(t, hc, "POST", in.URL+shop.APIPrefix+"/purchases/"+p.Code+"/deliveries", newKey(), false, shop.DeliveryRequest{ID: newKey()})
				if a.status != http.StatusCreated {
					t.Errorf("deliver %s: %d %s", p.Code, a.status, a.body)
				}
				card := issueCard(t, in, 20000)
				a = call(t, hc, "POST", in.URL+shop.APIPrefix+"/giftcards/"+card.Code+"/redemptions", newKey(), false,
					shop.RedeemRequest{ID: newKey(), Amount: 5000})
				if a.status != http.StatusCreated {
					t.Errorf("redeem %s: %d %s", card.Code, a.status, a.body)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { writers.Wait(); close(done) }()

	mirrors := make([]*feedMirror, desks)
	var readers sync.WaitGroup
	for d := range mirrors {
		m := &feedMirror{items: map[string]feedItem{}}
		mirrors[d] = m
		in := shops[d%len(shops)]
		readers.Go(func() {
			hc := &http.Client{}
			for {
				select {
				case <-done:
					// The writers are done: read to the end once more.
					for m.pull(t, hc, in) {
					}
					return
				default:
					m.pull(t, hc, in)
				}
			}
		})
	}
	readers.Wait()

	// The truth: everything the database holds, read after all commits.
	db, err := shop.OpenPostgres(context.Background(), url, shop.PostgresOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var want map[string]feedItem
	err = db.View(context.Background(), func(tx shop.Tx) error {
		ch, err := tx.Changes(shop.DemoCentreID, 0, 1_000_000)
		want = feedItems(t, ch.Purchases, ch.Cards)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(shops) * writersPerShop * rounds; len(want) < 3*n {
		t.Fatalf("the shop holds %d items, want at least %d new purchases and cards", len(want), 3*n)
	}
	for d, m := range mirrors {
		missing, stale := 0, 0
		for k, w := range want {
			got, ok := m.items[k]
			switch {
			case !ok:
				missing++
			case got.seq != w.seq || !bytes.Equal(got.doc, w.doc):
				stale++
			}
		}
		if missing > 0 || stale > 0 || len(m.items) != len(want) {
			t.Errorf("desk %d (on instance %d) has %d items, the shop %d: %d missing, %d stale", d, d%len(shops), len(m.items), len(want), missing, stale)
		}
	}
}
