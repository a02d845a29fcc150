package sync_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// poisonQueue is a desk behind a fault proxy with three deliveries queued
// while the shop was away: A (the one the shop will fail on), then B and C,
// for three customers.
type poisonQueue struct {
	srv        *shoptest.Server
	proxy      *faultProxy
	dir        string
	desk       *desksync.Desk
	a, b, c    *skranke.Purchase
	delA, delB skranke.Delivery
	delC       skranke.Delivery
}

func queuePoison(t *testing.T, signedA bool) *poisonQueue {
	t.Helper()
	ctx := context.Background()
	q := &poisonQueue{srv: shoptest.Start(t), dir: t.TempDir()}
	q.proxy = startProxy(t, strings.TrimPrefix(q.srv.URL, "http://"))
	q.desk = MustOpenDir(t, q.dir, q.proxy.URL(), q.srv.DeskToken)
	q.a, q.b, q.c = newPurchase(q.srv), newPurchase(q.srv), newPurchase(q.srv)
	for _, p := range []*skranke.Purchase{q.a, q.b, q.c} {
		_, err := q.desk.Lookup(ctx, p.Code)
		require.NoError(t, err)
	}
	q.proxy.set(always(reset))
	deliver := func(p *skranke.Purchase, signed bool) skranke.Delivery {
		req := desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}}
		if signed {
			req.Lines = []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}
			req.Signature = signaturePNG(t)
		}
		del, _, err := q.desk.Deliver(ctx, req)
		require.NoError(t, err)
		return del
	}
	q.delA = deliver(q.a, signedA)
	q.delB = deliver(q.b, false)
	q.delC = deliver(q.c, false)
	require.Equal(t, 3, q.desk.Status().Pending)
	return q
}

// failOn makes the proxy answer f to A's delivery, or to A's signature,
// and pass everything else.
func (q *poisonQueue) failOn(signature bool, f fault) {
	q.proxy.set(func(r *http.Request) fault {
		switch {
		case signature && isSignaturePut(r) && strings.HasSuffix(r.URL.Path, "/"+q.delA.SignatureID):
			return f
		case !signature && isDeliveryPost(r) && strings.Contains(r.URL.Path, "/"+q.a.Code+"/"):
			return f
		}
		return pass
	})
}

// requireStuck checks that A still holds back B and C.
func (q *poisonQueue) requireStuck(t *testing.T) {
	t.Helper()
	cs, err := q.desk.Conflicts(context.Background())
	require.NoError(t, err)
	require.Empty(t, cs)
	require.Empty(t, q.srv.Deliveries(q.b.Code), "B waits behind A")
	s := q.desk.Status()
	require.Equal(t, 3, s.Pending)
	require.Zero(t, s.Conflicts)
}

// An action the shop keeps failing on is moved to the conflicts list after
// MaxServerFailures attempts in a row, counted across a restart of the
// desk; the deliveries queued behind it then reach the shop, and a manager's
// Retry sends it, once.
func TestActionTheShopKeepsFailingOnMovesAside(t *testing.T) {
	for _, tc := range []struct {
		name      string
		signature bool // Fail on A's signature rather than its delivery.
		fault     fault
		reason    string
	}{
		{"server error on the delivery", false, fail500, "internal server error: database is locked"},
		{"malformed answer to the delivery", false, garbage, "malformed JSON"},
		{"server error on its signature", true, fail500, "internal server error: database is locked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			q := queuePoison(t, tc.signature)
			q.failOn(tc.signature, tc.fault)

			limit := desksync.MaxServerFailuresForTest
			for i := 1; i < limit; i++ {
				if i == limit/2 {
					// A restart keeps the count.
					require.NoError(t, q.desk.Close())
					q.desk = MustOpenDir(t, q.dir, q.proxy.URL(), q.srv.DeskToken)
				}
				err := q.desk.Sync(ctx)
				require.True(t, skranke.KindOf(err) == skranke.Internal, "attempt %d: %v", i, err)
				q.requireStuck(t)
			}

			require.NoError(t, q.desk.Sync(ctx), "A is set aside and the rest goes through")
			for _, want := range []struct {
				p   *skranke.Purchase
				del skranke.Delivery
			}{{q.b, q.delB}, {q.c, q.delC}} {
				got := q.srv.Deliveries(want.p.Code)
				require.Len(t, got, 1)
				require.Equal(t, want.del.ID, got[0].ID)
			}
			require.Empty(t, q.srv.Deliveries(q.a.Code))
			cs, err := q.desk.Conflicts(ctx)
			require.NoError(t, err)
			require.Len(t, cs, 1, "a signature and its delivery are one item")
			require.Equal(t, "delivery", cs[0].Kind)
			require.Contains(t, cs[0].Summary, q.a.Code)
			require.Contains(t, cs[0].Reason, tc.reason)
			s := q.desk.Status()
			require.Equal(t, 1, s.Conflicts)
			require.Zero(t, s.Pending)
			require.Empty(t, s.LastError)
			states, err := q.desk.OutboxStatesForTest(ctx)
			require.NoError(t, err)
			wantConflict := 1
			if tc.signature {
				wantConflict = 2 // The signature went with its delivery.
			}
			require.Equal(t, wantConflict, states["conflict"], "%v", states)

			// The shop recovers; a manager retries.
			q.proxy.set(nil)
			require.NoError(t, q.desk.Retry(ctx, cs[0].ID))
			require.Equal(t, 1, q.desk.Status().Pending)
			require.NoError(t, q.desk.Sync(ctx))
			require.NoError(t, q.desk.Sync(ctx))
			got := q.srv.Deliveries(q.a.Code)
			require.Len(t, got, 1, "delivered exactly once")
			require.Equal(t, q.delA.ID, got[0].ID)
			require.Equal(t, q.delA.SignatureID, got[0].SignatureID)
			cs, err = q.desk.Conflicts(ctx)
			require.NoError(t, err)
			require.Empty(t, cs)
			s = q.desk.Status()
			require.Zero(t, s.Conflicts)
			require.Zero(t, s.Pending)
		})
	}
}

// The sync loop does the same by itself, within its backoff.
func TestLoopMovesPoisonActionAside(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := queuePoison(t, false)
	q.failOn(false, fail500)
	runLoop(t, q.desk)
	eventually(t, 20*time.Second, "B and C delivered", func() bool {
		return len(q.srv.Deliveries(q.b.Code)) == 1 && len(q.srv.Deliveries(q.c.Code)) == 1
	})
	cs, err := q.desk.Conflicts(ctx)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Contains(t, cs[0].Reason, "internal server error")
	require.Equal(t, 1, q.desk.Status().Conflicts)
	require.Empty(t, q.srv.Deliveries(q.a.Code))
}

// A shop that is away is waited for: a refused connection is never the
// action's fault, however often it happens.
func TestUnreachableShopNeverMovesActionsAside(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpen(t, srv.URL, srv.DeskToken)
	a, b := newPurchase(srv), newPurchase(srv)
	for _, p := range []*skranke.Purchase{a, b} {
		_, err := d.Lookup(ctx, p.Code)
		require.NoError(t, err)
	}
	srv.Stop()
	var ids []string
	for _, p := range []*skranke.Purchase{a, b} {
		del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
		require.NoError(t, err)
		ids = append(ids, del.ID)
	}
	for i := 0; i < 3*desksync.MaxServerFailuresForTest; i++ {
		err := d.Sync(ctx)
		require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
		require.Contains(t, err.Error(), "connection refused")
	}
	cs, err := d.Conflicts(ctx)
	require.NoError(t, err)
	require.Empty(t, cs)
	s := d.Status()
	require.Zero(t, s.Conflicts)
	require.Equal(t, 2, s.Pending)
	require.False(t, s.Online)

	srv.Restart()
	require.NoError(t, d.Sync(ctx))
	for i, p := range []*skranke.Purchase{a, b} {
		got := srv.Deliveries(p.Code)
		require.Len(t, got, 1)
		require.Equal(t, ids[i], got[0].ID)
	}
	require.Zero(t, d.Status().Pending)
}

// Only failures in a row count: the shop being away in between starts the
// count again, because it says nothing about the action.
func TestNetworkFailureRestartsServerFailureCount(t *testing.T) {
	ctx := context.Background()
	q := queuePoison(t, false)
	limit := desksync.MaxServerFailuresForTest
	fail := func(n int) {
		t.Helper()
		q.failOn(false, garbage)
		for range n {
			require.True(t, skranke.KindOf(q.desk.Sync(ctx)) == skranke.Internal)
		}
	}
	fail(limit - 1)
	q.requireStuck(t)
	q.proxy.set(always(reset))
	require.True(t, skranke.KindOf(q.desk.Sync(ctx)) == skranke.Unavailable)
	fail(limit - 1)
	q.requireStuck(t)
	q.failOn(false, garbage)
	require.NoError(t, q.desk.Sync(ctx))
	cs, err := q.desk.Conflicts(ctx)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Len(t, q.srv.Deliveries(q.b.Code), 1)
}

// A shop that fails on everything, its changes feed included, is broken as
// a whole: no action is blamed for it.
func TestBrokenShopDoesNotMoveActionsAside(t *testing.T) {
	ctx := context.Background()
	q := queuePoison(t, false)
	q.proxy.set(always(garbage))
	for range 2 * desksync.MaxServerFailuresForTest {
		require.True(t, skranke.KindOf(q.desk.Sync(ctx)) == skranke.Internal)
	}
	q.requireStuck(t)

	q.proxy.set(nil)
	require.NoError(t, q.desk.Sync(ctx))
	for _, p := range []*skranke.Purchase{q.a, q.b, q.c} {
		require.Len(t, q.srv.Deliveries(p.Code), 1)
	}
}
