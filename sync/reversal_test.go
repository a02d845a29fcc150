package sync_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// reversalsOn keeps the report's reversal rows on code.
func reversalsOn(acts []desksync.Activity, code string) []desksync.Activity {
	var out []desksync.Activity
	for _, a := range actsFor(acts, code) {
		if a.Kind == "reversal" {
			out = append(out, a)
		}
	}
	return out
}

// today is the report's period around now.
func today(t *testing.T, d *desksync.Desk) []desksync.Activity {
	t.Helper()
	acts, err := d.Activities(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	return acts
}

func TestUndoOnline(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	p := newPurchase(srv)
	_, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err)

	rev, after, err := d.Undo(ctx, desksync.UndoRequest{Code: p.Code, DeliveryID: del.ID, Staff: kari})
	require.NoError(t, err)
	require.Equal(t, del.ID, rev.DeliveryID)
	require.Equal(t, 3, after.RemainingUnits(), "the course counts as not handed over again")
	require.True(t, srv.Purchase(p.Code).Reversed(del.ID), "the shop recorded the reversal")
	require.False(t, rev.StatedByDesk, "made under Kari's session")

	revs := reversalsOn(today(t, d), p.Code)
	require.Len(t, revs, 1, "the report shows the reversal")
	require.True(t, revs[0].Synced)
	require.Equal(t, []string{"1 × Spinning, klippekort 10 timer"}, revs[0].Products)
	require.Equal(t, skranke.Money(149000), revs[0].Amount)

	_, _, err = d.Undo(ctx, desksync.UndoRequest{Code: p.Code, DeliveryID: del.ID, Staff: kari})
	require.Equal(t, skranke.Conflict, skranke.KindOf(err), "a delivery is undone once: %v", err)
	require.Len(t, srv.Purchase(p.Code).Reversals, 1)
}

// An undo made while the shop is away shows at once, is queued, and reaches
// the shop once, even when the shop's answer is lost on the way back.
func TestUndoOfflineIsReplayedOnce(t *testing.T) {
	ctx := context.Background()
	var posts atomic.Int32
	srv := shoptest.Start(t, shoptest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/reversal") {
				posts.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}))
	d := MustOpenShop(t, srv)
	p := newPurchase(srv)
	_, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)

	srv.Stop()
	del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err, "a delivery works offline")
	_, after, err := d.Undo(ctx, desksync.UndoRequest{Code: p.Code, DeliveryID: del.ID, Staff: kari})
	require.NoError(t, err, "an undo works offline")
	require.Equal(t, 3, after.RemainingUnits())
	l, err := d.Cached(ctx, p.Code)
	require.NoError(t, err)
	require.Equal(t, 3, l.Purchase.RemainingUnits(), "the cache shows the goods as not handed over")
	require.Len(t, l.PendingReversals, 1)
	_, _, err = d.Undo(ctx, desksync.UndoRequest{Code: p.Code, DeliveryID: del.ID, Staff: kari})
	require.Equal(t, skranke.Conflict, skranke.KindOf(err), "undone once offline too: %v", err)
	revs := reversalsOn(today(t, d), p.Code)
	require.Len(t, revs, 1, "the report shows the reversal offline")
	require.False(t, revs[0].Synced)

	srv.Restart()
	srv.DropResponses(1, "/reversal") // The shop records it, the answer is lost.
	_ = d.Sync(ctx)
	require.NoError(t, d.Sync(ctx))
	require.Zero(t, d.Status().Pending, "nothing left to send")
	sp := srv.Purchase(p.Code)
	require.Len(t, sp.Reversals, 1, "recorded once")
	require.Equal(t, 3, sp.RemainingUnits())
	require.Equal(t, int32(2), posts.Load(), "sent again after the lost answer, and no more")
	require.NoError(t, d.Sync(ctx))
	require.Equal(t, int32(2), posts.Load(), "a later sync sends nothing")

	l, err = d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.Empty(t, l.PendingReversals)
	require.Equal(t, 3, l.Purchase.RemainingUnits())
	revs = reversalsOn(today(t, d), p.Code)
	require.Len(t, revs, 1)
	require.True(t, revs[0].Synced, "accepted by the shop")
}

// A delivery of gift cards is not undone: the printed card is valid.
func TestUndoRefusesGiftCards(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	code := srv.Code("giftcard-purchase")
	_, err := d.Lookup(ctx, code)
	require.NoError(t, err)
	del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: code, Staff: kari})
	require.NoError(t, err)
	_, _, err = d.Undo(ctx, desksync.UndoRequest{Code: code, DeliveryID: del.ID, Staff: kari})
	require.Equal(t, skranke.Conflict, skranke.KindOf(err), "%v", err)
	st, err := d.OutboxForTest(ctx)
	require.NoError(t, err)
	for _, r := range st {
		require.NotEqual(t, "reversal", r.Kind, "nothing queued")
	}
}
