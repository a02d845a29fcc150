package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
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
