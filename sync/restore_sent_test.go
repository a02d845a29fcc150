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

// Deliveries the shop accepted after the backup it was later restored from
// are lost with the restore: the desk had counted them as sent and never
// sent them again, so the purchase looked undelivered at the shop and
// another desk could hand the goods over a second time. The desk now sends
// what it had sent again when it finds the shop restored: the lost ones
// reach the shop once, and the ones the restored shop still has are not
// handed over twice.
func TestRestoreResendsSentDeliveries(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	service := func() *skranke.Purchase { return newService(srv) }
	kept, lost, undone := service(), service(), service()
	require.NoError(t, d.Sync(ctx))
	deliver := func(code string) skranke.Delivery {
		t.Helper()
		del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: code, Staff: kari})
		require.NoError(t, err)
		require.Zero(t, d.Status().Pending, "the delivery of %s was not sent at once", code)
		require.Len(t, srv.Deliveries(code), 1)
		return del
	}
	deliver(kept.Code)
	require.NoError(t, d.Sync(ctx))

	// The operator's backup, taken with the shop stopped.
	backup := backupShop(t, srv)

	// After the backup: two hand-overs the shop accepts, one of them
	// undone again at once.
	lostDel := deliver(lost.Code)
	undoneDel := deliver(undone.Code)
	_, _, err := d.Undo(ctx, desksync.UndoRequest{Code: undone.Code, DeliveryID: undoneDel.ID, Staff: kari})
	require.NoError(t, err)
	require.Zero(t, d.Status().Pending)
	require.NoError(t, d.Sync(ctx))

	// Restored from the backup, the shop has lost them.
	restoreShop(t, srv, backup)
	require.Empty(t, srv.Deliveries(lost.Code), "the restore did not lose the delivery: the test tests nothing")

	require.NoError(t, d.Sync(ctx))
	require.False(t, d.Status().FeedRestarted.IsZero(), "the desk did not notice the restore")
	eventually(t, 10*time.Second, "the desk sends its lost deliveries again", func() bool {
		return d.Status().Pending == 0 && len(srv.Deliveries(lost.Code)) == 1
	})
	got := srv.Deliveries(lost.Code)
	require.Len(t, got, 1, "the lost delivery is not at the shop exactly once")
	require.Equal(t, lostDel.ID, got[0].ID)
	require.Len(t, srv.Deliveries(kept.Code), 1, "the delivery the restored shop kept was handed over twice")
	require.Equal(t, 1, srv.Purchase(kept.Code).Lines[0].Delivered)
	require.Equal(t, 1, srv.Purchase(lost.Code).Lines[0].Delivered)
	require.Equal(t, 0, srv.Purchase(undone.Code).Lines[0].Delivered, "the undone delivery counts as handed over at the shop")
	require.Zero(t, d.Status().Conflicts)

	// Another desk sees the purchase handed over.
	other := MustOpenShop(t, srv)
	l, err := other.Lookup(ctx, lost.Code)
	require.NoError(t, err)
	require.Len(t, l.Purchase.Deliveries, 1)
	require.Zero(t, l.Purchase.Lines[0].Remaining(), "another desk would hand it over again")
}

// The restored shop can pass a desk's cursor again before the desk polls
// (as many new changes as were lost, made while the desk was off): the
// shop's feed does not tell it then. The desk asks the shop now and then
// whether it still has the last delivery it accepted from this desk, and
// finds the restore by that; the lost delivery reaches the shop once, and
// the cache starts over.
func TestRestoreFoundByLostDelivery(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	service := func() *skranke.Purchase { return newService(srv) }
	lost := service()
	require.NoError(t, d.Sync(ctx))
	backup := backupShop(t, srv)

	del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: lost.Code, Staff: kari})
	require.NoError(t, err)
	require.Zero(t, d.Status().Pending)
	require.NoError(t, d.Sync(ctx))
	cursor := mustCursor(t, d)

	restoreShop(t, srv, backup)
	var fresh []*skranke.Purchase
	for shopHead(t, srv) <= cursor {
		fresh = append(fresh, service()) // The web shop, before the desk polls.
	}
	require.Empty(t, srv.Deliveries(lost.Code))

	d.CheckRestoreNowForTest()
	require.NoError(t, d.Sync(ctx))
	require.False(t, d.Status().FeedRestarted.IsZero(), "the desk did not notice the restore")
	eventually(t, 10*time.Second, "the desk sends its lost delivery again", func() bool {
		return d.Status().Pending == 0 && len(srv.Deliveries(lost.Code)) == 1
	})
	require.Equal(t, del.ID, srv.Deliveries(lost.Code)[0].ID)
	require.NoError(t, d.Sync(ctx))
	require.Equal(t, shopPurchases(t, srv), deskPurchases(t, d), "the desk's purchases are not the shop's")
	for _, p := range fresh {
		_, err := d.Cached(ctx, p.Code)
		require.NoError(t, err, "a change made after the restore is not on the desk")
	}

	// A shop that still has it is not taken for restored.
	restarted := d.Status().FeedRestarted
	d.CheckRestoreNowForTest()
	require.NoError(t, d.Sync(ctx))
	require.True(t, restarted.Equal(d.Status().FeedRestarted), "the desk started over again")
}

// An undo the shop accepted after the copy it was restored from, the
// desk's last action, is lost with the restore; when the shop's head
// passes the desk's cursor again before the desk polls, only the desk's
// check of its last action finds the restore: the undo is sent again, and
// the shop does not hold the goods as handed over.
func TestUndoLostByARestoreIsSentAgain(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	service := func() *skranke.Purchase { return newService(srv) }
	p := service()
	require.NoError(t, d.Sync(ctx))
	del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari})
	require.NoError(t, err)
	require.Zero(t, d.Status().Pending)
	require.NoError(t, d.Sync(ctx))

	backup := backupShop(t, srv)

	// After the backup: staff undo the hand-over (the goods stay).
	_, _, err = d.Undo(ctx, desksync.UndoRequest{Code: p.Code, DeliveryID: del.ID, Staff: kari})
	require.NoError(t, err)
	require.Zero(t, d.Status().Pending)
	require.Equal(t, 0, srv.Purchase(p.Code).Lines[0].Delivered)
	require.NoError(t, d.Sync(ctx))
	cursor := mustCursor(t, d)

	restoreShop(t, srv, backup)
	for shopHead(t, srv) <= cursor {
		service() // The web shop, before the desk polls.
	}
	require.Equal(t, 1, srv.Purchase(p.Code).Lines[0].Delivered, "the restore did not lose the undo: the test shows nothing")

	d.CheckRestoreNowForTest()
	require.NoError(t, d.Sync(ctx))
	require.NoError(t, d.Sync(ctx))
	require.Equal(t, 0, srv.Purchase(p.Code).Lines[0].Delivered,
		"the undo staff made is lost: the shop holds the goods as handed over (restore found: %v)", !d.Status().FeedRestarted.IsZero())
}

// After a 410 the desk empties its cache and pulls the shop's feed from
// the start, minutes on a large shop. The hand-overs the restore lost go
// to the shop before that pull, not after it: here the pull from the start
// does not get through at all, and the lost hand-over is at the shop all
// the same, so that no other desk takes the goods as not handed over.
func TestRestoreResendsBeforeTheFullPull(t *testing.T) {
	ctx := context.Background()
	var failFull atomic.Bool
	srv := shoptest.Start(t, shoptest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failFull.Load() && strings.HasSuffix(r.URL.Path, "/changes") && r.URL.Query().Get("since") == "0" {
				http.Error(w, "the pull from the start does not get through", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	d := MustOpenShop(t, srv)
	service := func() *skranke.Purchase { return newService(srv) }
	lost := service()
	require.NoError(t, d.Sync(ctx))

	backup := backupShop(t, srv)

	del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: lost.Code, Staff: kari})
	require.NoError(t, err)
	require.Zero(t, d.Status().Pending)
	for range 3 {
		service() // The desk's cursor moves on past the backup's head.
	}
	require.NoError(t, d.Sync(ctx))

	restoreShop(t, srv, backup)
	require.Empty(t, srv.Deliveries(lost.Code), "the restore did not lose the delivery: the test shows nothing")

	failFull.Store(true)
	require.Error(t, d.Sync(ctx), "the pull from the start got through: the test shows nothing")
	require.False(t, d.Status().FeedRestarted.IsZero(), "the desk did not notice the restore")
	got := srv.Deliveries(lost.Code)
	require.Len(t, got, 1, "the lost hand-over waits for the pull from the start")
	require.Equal(t, del.ID, got[0].ID)
	require.Zero(t, d.Status().Pending)
}
