package sync_test

import (
	"context"
	"net/http"
	"path"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// faultDesk is a desk that reaches a real shop through a fault proxy, with a
// purchase already in its cache.
type faultDesk struct {
	srv   *shoptest.Server
	proxy *faultProxy
	desk  *desksync.Desk
	p     *skranke.Purchase
}

func startFaultDesk(t *testing.T) faultDesk {
	t.Helper()
	return startFaultDeskTimeout(t, 500*time.Millisecond)
}

// startFaultDeskTimeout is startFaultDesk with the desk's request timeout.
func startFaultDeskTimeout(t *testing.T, timeout time.Duration) faultDesk {
	t.Helper()
	srv := shoptest.Start(t)
	px := startProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: px.URL(), Token: srv.DeskToken,
		DataDir: t.TempDir(), SyncInterval: 200 * time.Millisecond, Timeout: timeout})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	mustLogin(t, d, kari.ID)
	mustLogin(t, d, ingrid.ID)
	p := newPurchase(srv)
	l, err := d.Lookup(context.Background(), p.Code)
	require.NoError(t, err)
	require.False(t, l.FromCache)
	return faultDesk{srv: srv, proxy: px, desk: d, p: p}
}

func isPurchaseGet(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/purchases/")
}

func isDeliveryPost(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/deliveries")
}

func TestLookupFaultsFallBackToCache(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fault
		kind  skranke.Kind
		msg   string
	}{
		{"slow beyond the timeout", slow, skranke.Unavailable, "in time"},
		{"server errors", fail500, skranke.Internal, "internal server error"},
		{"malformed JSON", garbage, skranke.Internal, "malformed JSON"},
		{"connection cut mid-answer", cut, skranke.Unavailable, "broke off"},
		{"connection reset", reset, skranke.Unavailable, ""},
		// Someone else behind the desks' load balancer sent wrong
		// tokens: the shop refuses the address, not this desk.
		{"the shop refuses the address for a while", locked429, skranke.Locked, "too many wrong desk tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := startFaultDesk(t)
			f.proxy.set(always(tc.fault))

			start := time.Now()
			l, err := f.desk.Lookup(ctx, f.p.Code)
			took := time.Since(start)
			require.NoError(t, err)
			require.True(t, l.FromCache)
			require.Equal(t, f.p.Code, l.Purchase.Code)
			// Within the desk's timeout (500 ms; more on a loaded machine) and well before the slow
			// shop's answer (3 s).
			require.Less(t, took, 2500*time.Millisecond, "a scan must not hang on a bad shop")

			// The client itself reports the failure with the right kind.
			cl := desksync.NewClient(f.proxy.URL(), f.srv.DeskToken, desksync.ClientOptions{Timeout: 300 * time.Millisecond, Retries: -1})
			_, _, err = cl.Purchase(ctx, f.p.Code)
			require.True(t, skranke.KindOf(err) == tc.kind, "%v", err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

// A purchase the desk has not cached cannot be shown while the shop refuses
// the desk's address: the scan says so (kind Locked), not that the shop is
// unreachable.
func TestLookupOfUncachedWhileRefused(t *testing.T) {
	// The refusal must come back before the desk gives up on the shop,
	// also on a loaded machine, where 500 ms was seen to be too short.
	f := startFaultDeskTimeout(t, 5*time.Second)
	other := newPurchase(f.srv)
	f.proxy.set(always(locked429))
	_, err := f.desk.Lookup(context.Background(), other.Code)
	require.Error(t, err)
	require.True(t, skranke.KindOf(err) == skranke.Locked, "%v", err)
	var se *desksync.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, http.StatusTooManyRequests, se.Status)
}

func TestGetIsRetriedAfterOneCut(t *testing.T) {
	f := startFaultDesk(t)
	f.proxy.set(firstN(1, isPurchaseGet, cut))
	l, err := f.desk.Lookup(context.Background(), f.p.Code)
	require.NoError(t, err)
	require.False(t, l.FromCache, "the retry reached the shop")
}

func TestLostDeliveryAnswerIsResentOnce(t *testing.T) {
	for _, fl := range []fault{drop, cut, fail500} {
		t.Run(faultName(fl), func(t *testing.T) {
			f := startFaultDesk(t)
			f.proxy.set(firstN(1, isDeliveryPost, fl))
			del, got, err := f.desk.Deliver(context.Background(), desksync.DeliverRequest{Code: f.p.Code, Staff: kari,
				Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
			require.NoError(t, err)
			require.Equal(t, 1, got.Lines[0].Delivered)
			require.Equal(t, 0, f.desk.Status().Pending)
			onServer := f.srv.Deliveries(f.p.Code)
			require.Len(t, onServer, 1, "exactly one delivery")
			require.Equal(t, del.ID, onServer[0].ID)
		})
	}
}

func TestOutboxSurvivesFlakyShop(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	// Offline: every request fails at the proxy.
	f.proxy.set(always(reset))
	var ids []string
	for _, line := range []string{"1", "2", "2"} {
		del, _, err := f.desk.Deliver(ctx, desksync.DeliverRequest{Code: f.p.Code, Staff: kari,
			Lines: []skranke.DeliveredLine{{LineID: line, Quantity: 1}}, Signature: signaturePNG(t)})
		require.NoError(t, err)
		ids = append(ids, del.ID)
	}
	require.Equal(t, 3, f.desk.Status().Pending)

	// Back, but flaky: answers are lost, cut or fail now and then.
	n := 0
	f.proxy.set(func(r *http.Request) fault {
		n++
		return []fault{drop, pass, cut, fail500, pass, garbage, pass}[n%7]
	})
	runLoop(t, f.desk)
	eventually(t, 15*time.Second, "outbox drained", func() bool { return f.desk.Status().Pending == 0 })
	onServer := f.srv.Deliveries(f.p.Code)
	require.Len(t, onServer, 3)
	for i, d := range onServer {
		require.Equal(t, ids[i], d.ID, "sent in order")
		require.NotEmpty(t, d.SignatureID)
	}
	require.True(t, f.srv.Purchase(f.p.Code).FullyDelivered())
	conflicts, err := f.desk.Conflicts(ctx)
	require.NoError(t, err)
	require.Empty(t, conflicts)
}

func faultName(f fault) string {
	return map[fault]string{pass: "pass", slow: "slow", cut: "cut", drop: "drop", fail500: "500", garbage: "garbage", reset: "reset"}[f]
}

func isRedemptionPost(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/redemptions")
}

// A redemption whose answers are all lost is reported as failed to staff,
// then settled by asking the shop: what the shop did is recorded, and what
// never reached it is dropped, never sent later behind the customer's back.
// Item 5 of issue 10: a redemption whose answer is lost is settled at once
// by asking the shop to resolve it: applied, with the real result, or
// abandoned, "nothing was done", for good.
func TestUnansweredRedemptionIsSettled(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	card := f.srv.IssueCard(40000)
	_, err := f.desk.Card(ctx, card.Code)
	require.NoError(t, err)

	// The shop commits, but no answer arrives: the desk resolves it and
	// reports what the shop did.
	f.proxy.set(func(r *http.Request) fault {
		if isRedemptionPost(r) {
			return drop
		}
		return pass
	})
	res, err := f.desk.Redeem(ctx, card.Code, 15000, kari)
	require.NoError(t, err, "applied: the real result, not a guess")
	require.Equal(t, skranke.Money(15000), res.Redemption.Amount)
	require.NotNil(t, res.Remainder, "the remainder card to print")
	require.Equal(t, skranke.Money(25000), res.Remainder.Balance)
	require.Equal(t, skranke.CardVoided, f.srv.Card(card.Code).Status)

	// The request never reaches the shop, but the desk cannot tell: the
	// shop records it as abandoned, and says so.
	card2 := f.srv.IssueCard(10000)
	f.proxy.set(func(r *http.Request) fault {
		if isRedemptionPost(r) {
			return reset
		}
		return pass
	})
	_, err = f.desk.Redeem(ctx, card2.Code, 5000, kari)
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	require.Contains(t, err.Error(), "abandoned: nothing was done")

	// Lost answer, and the shop cannot be asked either: Unknown, and the
	// loop settles it later.
	card3 := f.srv.IssueCard(10000)
	f.proxy.set(func(r *http.Request) fault {
		switch {
		case isRedemptionPost(r):
			return drop
		case strings.HasSuffix(r.URL.Path, "/resolve"):
			return reset
		}
		return pass
	})
	lost, err := f.desk.Redeem(ctx, card3.Code, 4000, kari)
	require.True(t, skranke.KindOf(err) == skranke.Unknown, "not a false \"not charged\": %v", err)
	require.NotEmpty(t, lost.Redemption.ID, "the caller can ask for the outcome")
	o, err := f.desk.Outcome(ctx, lost.Redemption.ID)
	require.NoError(t, err)
	require.False(t, o.Settled, "not settled before the shop was asked")
	f.proxy.set(nil)
	require.NoError(t, f.desk.Sync(ctx))
	o, err = f.desk.Outcome(ctx, lost.Redemption.ID)
	require.NoError(t, err)
	require.True(t, o.Settled && o.Done, "%+v", o)
	require.Equal(t, skranke.Money(6000), o.Redemption.Remainder.Balance)

	states, err := f.desk.OutboxStatesForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, states["done"], "%v", states)
	require.Equal(t, 1, states["abandoned"], "%v", states)
	require.Equal(t, skranke.CardActive, f.srv.Card(card2.Code).Status, "never redeemed later")

	acts, err := f.desk.Activities(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, actsFor(acts, card.Code, card2.Code, card3.Code), 2)

	// Offline, the desk now knows the card was used.
	f.srv.Stop()
	cl, err := f.desk.Card(ctx, card.Code)
	require.NoError(t, err)
	require.True(t, cl.FromCache)
	require.Equal(t, skranke.CardVoided, cl.Card.Status)
}

// Item 5's fence: a proxy holds the request past the desk's timeout, the
// desk resolves it as abandoned and tells staff nothing was done; when the
// proxy lets the original through, the shop refuses it. Staff are never
// told "nothing was done" of a card that was charged or a purchase that
// was credited.
func TestHeldRequestNeverAppliesAfterAbandoned(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	isCredit := func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/credits")
	}
	f.proxy.set(func(r *http.Request) fault {
		if isRedemptionPost(r) || isCredit(r) {
			return hold
		}
		return pass
	})
	const rounds = 3
	for i := range rounds {
		card := f.srv.IssueCard(10000)
		_, err := f.desk.Redeem(ctx, card.Code, 2500, kari)
		require.True(t, skranke.KindOf(err) == skranke.Unavailable, "round %d: %v", i, err)
		require.Contains(t, err.Error(), "abandoned: nothing was done")
		f.proxy.releaseHeld()
		require.Equal(t, http.StatusConflict, <-f.proxy.held, "the original is fenced off")
		require.Equal(t, skranke.CardActive, f.srv.Card(card.Code).Status, "round %d: told not charged, and not charged", i)
		require.Equal(t, skranke.Money(10000), f.srv.Card(card.Code).Balance)

		before := len(f.srv.Purchase(f.p.Code).Credits)
		_, err = f.desk.Credit(ctx, f.p.Code, desksync.CreditOrder{Amount: 1000, Reason: "Kunden angret"}, ingrid)
		require.True(t, skranke.KindOf(err) == skranke.Unavailable, "round %d: %v", i, err)
		require.Contains(t, err.Error(), "abandoned: nothing was done")
		f.proxy.releaseHeld()
		require.Equal(t, http.StatusConflict, <-f.proxy.held)
		require.Len(t, f.srv.Purchase(f.p.Code).Credits, before, "round %d: told not credited, and not credited", i)
	}
}

// Signatures go before the deliveries that reference them, and the outbox
// keeps the order staff worked in.
func TestOutboxOrder(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	f.proxy.set(always(reset))
	type sent struct{ kind, id string }
	var want []sent
	for _, line := range []string{"2", "1", "2"} {
		del, _, err := f.desk.Deliver(ctx, desksync.DeliverRequest{Code: f.p.Code, Staff: kari,
			Lines: []skranke.DeliveredLine{{LineID: line, Quantity: 1}}, Signature: signaturePNG(t)})
		require.NoError(t, err)
		if del.SignatureID != "" {
			want = append(want, sent{"signature", del.SignatureID})
		}
		want = append(want, sent{"delivery", del.ID})
	}
	var mu stdsync.Mutex
	var got []sent
	f.proxy.set(func(r *http.Request) fault {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/signatures/"):
			got = append(got, sent{"signature", path.Base(r.URL.Path)})
		case isDeliveryPost(r):
			got = append(got, sent{"delivery", r.Header.Get("Idempotency-Key")})
		}
		return pass
	})
	require.NoError(t, f.desk.Sync(ctx))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, want, got)
}

// A delivery the shop keeps failing on stays queued (until it has failed
// too often; see TestActionTheShopKeepsFailingOnMovesAside), and the cache
// still gets the shop's news.
func TestStuckActionDoesNotStopPulls(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	f.proxy.set(func(r *http.Request) fault {
		if isDeliveryPost(r) {
			return fail500
		}
		return pass
	})
	_, _, err := f.desk.Deliver(ctx, desksync.DeliverRequest{Code: f.p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err, "queued; the shop's failure is not the staff's problem")
	require.Equal(t, 1, f.desk.Status().Pending)

	p2 := newPurchase(f.srv)
	err = f.desk.Sync(ctx)
	require.True(t, skranke.KindOf(err) == skranke.Internal, "%v", err)
	_, err = f.desk.Cached(ctx, p2.Code)
	require.NoError(t, err, "pulled despite the stuck delivery")
	s := f.desk.Status()
	require.Equal(t, 1, s.Pending)
	require.True(t, s.Online)
	require.Contains(t, s.LastError, "internal server error")

	f.proxy.set(nil)
	require.NoError(t, f.desk.Sync(ctx))
	require.Equal(t, 0, f.desk.Status().Pending)
	require.Len(t, f.srv.Deliveries(f.p.Code), 1)
}

func isSignaturePut(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/signatures/")
}

func TestRefusedSignature(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	f.proxy.set(func(r *http.Request) fault {
		if isSignaturePut(r) {
			return bad400
		}
		return pass
	})
	withSig := desksync.DeliverRequest{Code: f.p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}, Signature: signaturePNG(t)}

	// Online, staff hear of it at once and nothing is handed over.
	_, _, err := f.desk.Deliver(ctx, withSig)
	require.True(t, skranke.KindOf(err) == skranke.Invalid, "%v", err)
	require.Contains(t, err.Error(), "signature")
	require.Empty(t, f.srv.Deliveries(f.p.Code))
	cs, err := f.desk.Conflicts(ctx)
	require.NoError(t, err)
	require.Empty(t, cs)
	require.Equal(t, 0, f.desk.Status().Pending)

	// Queued offline, it goes to a manager as one item: the delivery.
	f.proxy.set(always(reset))
	_, _, err = f.desk.Deliver(ctx, withSig)
	require.NoError(t, err)
	f.proxy.set(func(r *http.Request) fault {
		if isSignaturePut(r) {
			return bad400
		}
		return pass
	})
	require.NoError(t, f.desk.Sync(ctx))
	cs, err = f.desk.Conflicts(ctx)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, "delivery", cs[0].Kind)
	require.Contains(t, cs[0].Reason, "signature")
	require.Equal(t, 1, f.desk.Status().Conflicts)

	// Once the shop takes the signature, a retry sends both, in order.
	f.proxy.set(nil)
	require.NoError(t, f.desk.Retry(ctx, cs[0].ID))
	require.NoError(t, f.desk.Sync(ctx))
	require.Equal(t, 0, f.desk.Status().Conflicts)
	got := f.srv.Deliveries(f.p.Code)
	require.Len(t, got, 1)
	png, err := f.desk.Client().Signature(ctx, got[0].SignatureID, f.srv.OpenSession("", ingrid.ID))
	require.NoError(t, err)
	require.Equal(t, signaturePNG(t), png)
}

// A pull cut off part way keeps the pages it applied, with the cursor, and
// the next sync resumes after them.
func TestPullResumesAfterCut(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t, shoptest.WithBulk(2500))
	px := startProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	d := MustOpen(t, px.URL(), srv.DeskToken)
	pages := 0
	px.set(func(r *http.Request) fault {
		if strings.HasSuffix(r.URL.Path, "/changes") {
			pages++
			if pages >= 2 {
				return cut
			}
		}
		return pass
	})
	err := d.Sync(ctx)
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	cursor, err := d.Cursor(ctx)
	require.NoError(t, err)
	n, err := d.CountCachedForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, desksync.PageSize, n, "exactly the first page (purchases and cards), whole")
	require.Positive(t, cursor)

	px.set(nil)
	require.NoError(t, d.Sync(ctx))
	n, err = d.CountCachedForTest(ctx)
	require.NoError(t, err)
	require.Greater(t, n, 2500)
	next, err := d.Cursor(ctx)
	require.NoError(t, err)
	require.Greater(t, next, cursor)
}
