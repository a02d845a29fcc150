package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	stdsync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// shopClock is a shop clock a test moves.
type shopClock struct {
	mu  stdsync.Mutex
	now time.Time
	end time.Time // Where the test leaves it between steps.
}

func (c *shopClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *shopClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// TestMonthDeskAgreesWithShop builds a mixed month at the shop (March 2026,
// whose summer time starts on the 29th): purchases on both sides of the
// month's bounds in Oslo time, partial and whole deliveries by two staff
// members, partial and whole credits, gift cards sold, used in part (void
// and reissue), used in full, expired; and the demo centre's own history
// around it. The desk syncs, and its figures from the cache, online and
// then with the shop down, must be the shop's to the øre.
func TestMonthDeskAgreesWithShop(t *testing.T) {
	ctx := context.Background()
	oslo := skranke.ReportLocation()
	march := skranke.Month{Year: 2026, Month: time.March}
	end := time.Date(2026, 4, 2, 10, 0, 0, 0, oslo)
	// The demo's history is seeded a year before March.
	clock := &shopClock{now: time.Date(2025, 3, 15, 12, 0, 0, 0, oslo), end: end}
	srv := shoptest.Start(t, shoptest.WithClock(clock.Now))
	clock.Set(end)
	cl := desksync.NewClient(srv.URL, srv.DeskToken, desksync.ClientOptions{})
	session := func(id string) string {
		s, err := cl.OpenSession(ctx, id, shoptest.DemoPIN(id))
		require.NoError(t, err)
		return s.Token
	}
	kariS, jonasS, ingridS := session(shop.DemoStaffID), session(shop.DemoStaff2ID), session(shop.DemoManagerID)

	at := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, oslo)
	}
	// buy makes a paid purchase at t (the shop's clock set there, so that
	// the gift cards it sells are issued then too).
	buy := func(t0 time.Time, status skranke.PaymentStatus, lines ...skranke.Line) *skranke.Purchase {
		clock.Set(t0)
		defer clock.Set(end)
		return srv.CreatePurchase(skranke.Purchase{Status: status, Buyer: skranke.Buyer{Name: "Åse Ødegård"}, Lines: lines})
	}
	line := func(product string, n int) skranke.Line { return skranke.Line{ProductID: product, Quantity: n} }
	deliver := func(p *skranke.Purchase, session string, when time.Time, lines ...skranke.DeliveredLine) {
		t.Helper()
		body := desksync.DeliveryBody{ID: newID(), Lines: lines, At: when}
		if p.NeedsSignature(map[string]int{"1": 99, "2": 99, "3": 99}) {
			body.SignatureID = newID()
			require.NoError(t, cl.PutSignature(ctx, body.SignatureID, session, signaturePNG(t)))
		}
		_, err := cl.Deliver(ctx, p.Code, session, body)
		require.NoError(t, err)
	}
	credit := func(p *skranke.Purchase, amount skranke.Money, when time.Time) {
		t.Helper()
		_, err := cl.Credit(ctx, p.Code, ingridS, desksync.CreditBody{ID: newID(), Amount: amount, Reason: "Test", At: when})
		require.NoError(t, err)
	}
	issue := func(t0 time.Time, amount skranke.Money) *skranke.Card {
		clock.Set(t0)
		defer clock.Set(end)
		return srv.IssueCard(amount)
	}
	redeem := func(code string, amount skranke.Money, session string, when time.Time) desksync.RedemptionAnswer {
		t.Helper()
		a, err := cl.Redeem(ctx, code, session, desksync.RedemptionBody{ID: newID(), Amount: amount, At: when})
		require.NoError(t, err)
		return a
	}

	// The last minute of February and the first of March, in Oslo time
	// (UTC+1): one is February's, the other March's.
	lateFeb := buy(at(2, 28, 23, 59), skranke.Captured, line("pt-pakke-3", 1), line("shaker", 3))
	earlyMar := buy(at(3, 1, 0, 0), skranke.Captured, line("tskjorte-m", 2), line("kurs-yoga-8", 1))
	// Delivered in March in three goes, one of them the night summer time began.
	deliver(lateFeb, kariS, at(3, 1, 0, 30), skranke.DeliveredLine{LineID: "2", Quantity: 1})
	deliver(lateFeb, jonasS, at(3, 29, 3, 30), skranke.DeliveredLine{LineID: "2", Quantity: 1}, skranke.DeliveredLine{LineID: "1", Quantity: 1})
	deliver(lateFeb, kariS, at(3, 31, 23, 59), skranke.DeliveredLine{LineID: "2", Quantity: 1})
	deliver(earlyMar, jonasS, at(4, 1, 0, 0), skranke.DeliveredLine{LineID: "1", Quantity: 1}) // April's.
	// An odd amount credited in part, over lines of unequal totals, then the rest.
	discounted := buy(at(3, 15, 12, 0), skranke.Captured, skranke.Line{ProductID: "massasje-60", Quantity: 3, Discount: 1001}, line("proteinbar-12", 1))
	credit(discounted, 33333, at(3, 16, 9, 0))
	credit(discounted, discounted.Total()-33333, at(3, 31, 23, 30))
	// Bought in March, credited in full in April.
	aprilCredit := buy(at(3, 31, 22, 0), skranke.Captured, line("dropin-squash", 2))
	credit(aprilCredit, aprilCredit.Total(), at(4, 1, 8, 0))
	// Not sales: pending and failed; authorized is.
	buy(at(3, 10, 10, 0), skranke.Pending, line("pt-60", 1))
	buy(at(3, 11, 10, 0), skranke.Failed, line("pt-60", 1))
	buy(at(3, 12, 10, 0), skranke.Authorized, line("badstue-dag", 4))
	// Gift cards sold through the web shop in March (two cards, odd øre split).
	gifts := buy(at(3, 5, 18, 0), skranke.Captured, skranke.Line{ProductID: "gavekort-500", Quantity: 2, Discount: 1})
	deliver(gifts, kariS, at(3, 6, 10, 0))
	// A card issued before March, used in part in March (void and reissue),
	// its remainder used in full in March too.
	old := issue(at(2, 10, 12, 0), 100000)
	part := redeem(old.Code, 25050, kariS, at(3, 3, 17, 0))
	require.NotNil(t, part.Remainder)
	redeem(part.Remainder.Code, part.Remainder.Balance, jonasS, at(3, 20, 17, 0))
	// A card issued in March, used in part in April: owed in full at March's end.
	mar := issue(at(3, 31, 23, 0), 70000)
	redeem(mar.Code, 100, kariS, at(4, 1, 9, 0))
	// A card that expires in March unused: owed at February's end, not at March's.
	expired := issueExpiring(t, srv, clock, at(1, 10, 12, 0), 7000, at(3, 15, 0, 0))
	require.Equal(t, skranke.Money(7000), expired.InitialAmount)

	d := MustOpenShop(t, srv)
	require.NoError(t, d.Sync(ctx))
	want := map[skranke.Month]skranke.MonthReport{}
	for _, m := range []skranke.Month{march.Prev(), march, march.Next()} {
		shopM, err := cl.Month(ctx, m)
		require.NoError(t, err)
		deskM, err := d.Month(ctx, m)
		require.NoError(t, err)
		require.Equal(t, shopM, deskM, "the desk's %s, online, is the shop's", m)
		want[m] = shopM
	}
	srv.Stop()
	for _, m := range []skranke.Month{march.Prev(), march, march.Next()} {
		deskM, err := d.Month(ctx, m)
		require.NoError(t, err)
		require.Equal(t, want[m], deskM, "the desk's %s from the cache alone is the shop's", m)
	}

	// March as a person checks it by hand (the demo's own history lies a
	// year before it).
	r := want[march]
	require.Equal(t, skranke.Figures{
		// earlyMar 169800, discounted 300899, aprilCredit 30000, authorized 36000, gift cards 99999.
		Sales: 636698, SalesCount: 5, SalesUnits: 15,
		Credits: 300899, CreditCount: 2,
		// lateFeb's shaker 14900 three times and its PT package 219000; the gift cards 99999.
		Delivered: 363699, Deliveries: 4, DeliveredUnits: 6,
		CardsSold: 169999, CardsSoldCount: 3,
		Redeemed: 100000, Redemptions: 2, Voided: 100000, VoidedCount: 1, Reissued: 74950, ReissuedCount: 1,
	}, r.Total)
	day := func(n int) skranke.Figures { return r.Days[n-1] }
	require.Equal(t, skranke.Money(169800), day(1).Sales, "bought at midnight Oslo time on 1 March")
	require.Equal(t, skranke.Money(14900), day(1).Delivered)
	require.Equal(t, skranke.Money(233900), day(29).Delivered, "the night summer time began")
	require.Equal(t, skranke.Money(14900), day(31).Delivered, "a minute before April")
	require.Equal(t, skranke.Money(267566), day(31).Credits)
	staff := map[string]skranke.Figures{}
	for _, f := range r.Staff {
		staff[f.Key] = f
	}
	require.Equal(t, skranke.Money(14900+14900+99999), staff[shop.DemoStaffID].Delivered)
	require.Equal(t, skranke.Money(25050), staff[shop.DemoStaffID].Redeemed)
	require.Equal(t, skranke.Money(233900), staff[shop.DemoStaff2ID].Delivered)
	require.Equal(t, skranke.Money(74950), staff[shop.DemoStaff2ID].Redeemed)
	require.Equal(t, skranke.Money(300899), staff[shop.DemoManagerID].Credits)
	// What the cards owe moved by what was sold, less the old card used up
	// (in part, then its remainder in full) and the card that expired.
	require.Equal(t, want[march.Prev()].Liability+169999-100000-7000, r.Liability)
	require.Equal(t, want[march.Prev()].LiabilityCards+3-1-1, r.LiabilityCards)
}

// issueExpiring issues a gift card at t0 that expires at expires, as the
// web shop does.
func issueExpiring(t *testing.T, srv *shoptest.Server, clock *shopClock, t0 time.Time, amount skranke.Money, expires time.Time) skranke.Card {
	t.Helper()
	clock.Set(t0)
	defer clock.Set(clock.end)
	body, _ := json.Marshal(shop.CardRequest{Amount: amount, CentreID: shop.DemoCentreID, ExpiresAt: expires})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+shop.APIPrefix+"/giftcards", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+srv.ShopToken)
	req.Header.Set("Idempotency-Key", newID())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var c skranke.Card
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	return c
}

// TestMonthCountsDeliveriesInTheOutbox hands a purchase over with the shop
// out of reach: the month counts the delivery at once, as made.
func TestMonthCountsDeliveriesInTheOutbox(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "token")
	now := time.Now()
	m := skranke.MonthOf(now)
	// Bought a minute ago, but never before this month began (in Oslo):
	// the test once ran at 00:00:02 on the 1st and sold in the month before.
	from, _ := m.Bounds()
	p := testPurchase(code(1), 1)
	p.CreatedAt = now.Add(-time.Minute)
	if p.CreatedAt.Before(from) {
		p.CreatedAt = from
	}
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{p}, nil, nil))
	before, err := d.Month(ctx, m)
	require.NoError(t, err)
	require.Equal(t, p.Total(), before.Total.Sales)
	require.Zero(t, before.Total.Deliveries)

	del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Signature: signaturePNG(t)})
	require.NoError(t, err)
	// The desk stamps the delivery with its own clock: in the next month
	// if this one ended meanwhile.
	after, err := d.Month(ctx, skranke.MonthOf(del.At))
	require.NoError(t, err)
	require.Equal(t, p.Total(), after.Total.Delivered, "everything handed over, waiting in the outbox")
	require.Equal(t, 1, after.Total.Deliveries)
	if skranke.MonthOf(del.At) == m {
		require.Equal(t, before.Total.Sales, after.Total.Sales)
	}
	require.Len(t, after.Staff, 1)
	require.Equal(t, kari.ID, after.Staff[0].Key)
}
