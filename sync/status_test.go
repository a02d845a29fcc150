package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// requireCountsAgree checks that Status and the outbox's counters say what
// counting the rows one by one says.
func requireCountsAgree(t *testing.T, d *desksync.Desk, wantPending, wantConflicts int) {
	t.Helper()
	ctx := context.Background()
	pending, conflicts, err := d.RecountStatusForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, wantPending, pending, "pending, counted row by row")
	require.Equal(t, wantConflicts, conflicts, "conflicts, counted row by row")
	st := d.Status()
	require.Equal(t, pending, st.Pending, "Status().Pending")
	require.Equal(t, conflicts, st.Conflicts, "Status().Conflicts")
	states, err := d.OutboxStatesForTest(ctx)
	require.NoError(t, err)
	counts, err := d.OutboxCountsForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, states, counts, "the counters by state")
}

// TestStatusCountsFollowTheOutbox walks actions through every change of
// state the outbox knows (queued offline, sent, refused, retried,
// discarded, pruned) and checks the kept counters against a recount.
func TestStatusCountsFollowTheOutbox(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	srv.Stop()
	d := MustOpen(t, srv.URL, srv.DeskToken)
	staff := skranke.Staff{ID: "s1", Name: "Ola", Role: skranke.RoleManager}

	// Purchases the shop does not know: it refuses their deliveries later.
	var ps []*skranke.Purchase
	for i := range 4 {
		ps = append(ps, testPurchase(fmt.Sprintf("CNT%05d", i), int64(i+1)))
	}
	require.NoError(t, d.CacheForTest(ctx, ps, nil, nil))
	requireCountsAgree(t, d, 0, 0)
	for i, p := range ps {
		req := desksync.DeliverRequest{Code: p.Code, Staff: staff, Lines: []skranke.DeliveredLine{{LineID: "l1", Quantity: 1}}}
		if i%2 == 0 { // With a signature: two rows, one of them counted.
			req.Lines = []skranke.DeliveredLine{{LineID: "l2", Quantity: 1}}
			req.Signature = signaturePNG(t)
		}
		_, _, err := d.Deliver(ctx, req)
		require.NoError(t, err)
	}
	requireCountsAgree(t, d, 4, 0)

	srv.Restart()
	require.NoError(t, d.Sync(ctx))
	requireCountsAgree(t, d, 0, 4)

	cs, err := d.Conflicts(ctx)
	require.NoError(t, err)
	require.Len(t, cs, 4)
	require.NoError(t, d.Discard(ctx, cs[0].ID, "test", staff))
	require.NoError(t, d.Retry(ctx, cs[1].ID))
	requireCountsAgree(t, d, 1, 2)

	require.NoError(t, d.Sync(ctx)) // Refused again.
	requireCountsAgree(t, d, 0, 3)

	n, err := d.PruneForTest(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Positive(t, n)
	requireCountsAgree(t, d, 0, 3)
}

// TestScanAndDeliverDuringFirstSync scans and hands over purchases the
// feed has not brought yet while a first sync runs: the scan's copy may go
// into the feed's open batch, and the delivery right after must still find
// the purchase and be sent.
func TestScanAndDeliverDuringFirstSync(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	bulk, err := srv.DB.SeedBulk(ctx, shop.DemoCentreID, 30_000)
	require.NoError(t, err)
	d := MustOpen(t, srv.URL, srv.DeskToken)
	synced := make(chan error, 1)
	go func() { synced <- d.Sync(ctx) }()
	delivered := 0
	for i := len(bulk) - 1; i >= 0 && delivered < 5; i-- {
		l, err := d.Lookup(ctx, bulk[i])
		require.NoError(t, err)
		require.False(t, l.FromCache)
		if !l.Purchase.Status.Deliverable() {
			continue
		}
		_, got, err := d.Deliver(ctx, desksync.DeliverRequest{Code: bulk[i], Staff: kari, Signature: signaturePNG(t)})
		require.NoError(t, err, "deliver %s during the first sync", bulk[i])
		for _, l := range got.Lines {
			require.Equal(t, l.Quantity, l.Delivered, "%s line %s", bulk[i], l.ID)
		}
		delivered++
	}
	require.NoError(t, <-synced)
	require.Equal(t, 5, delivered)
	require.NoError(t, d.Sync(ctx))
	st := d.Status()
	require.Zero(t, st.Pending)
	require.Zero(t, st.Conflicts)
}
