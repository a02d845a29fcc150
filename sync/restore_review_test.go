package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	stdsync "sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// keptByABackup has Kari hand over two purchases at desk d, one before a
// backup of srv is taken and one after, and go home (her session ends, so
// a resend goes as recorded offline, other words under the same ID). It
// returns the purchase the backup keeps and the backup.
func keptByABackup(t *testing.T, d *desksync.Desk, srv *shoptest.Server) (kept *skranke.Purchase, backup string) {
	t.Helper()
	ctx := context.Background()
	kept, lost := newService(srv), newService(srv)
	require.NoError(t, d.Sync(ctx))
	_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: kept.Code, Staff: kari})
	require.NoError(t, err)
	require.NoError(t, d.Sync(ctx))
	backup = backupShop(t, srv)
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: lost.Code, Staff: kari})
	require.NoError(t, err)
	require.NoError(t, d.Sync(ctx))
	require.NoError(t, d.Logout(ctx, kari.ID))
	return kept, backup
}

// TestResentDeliveryTheShopHasIsDone holds that a delivery the desk sends
// again after a restore, which the restored shop still has, is taken as
// done and not put on the managers' conflicts list: sent first under a
// staff session that has ended since, it goes again as recorded offline,
// other words under the same ID, and the shop refuses the key's reuse.
func TestResentDeliveryTheShopHasIsDone(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	_, backup := keptByABackup(t, d, srv)

	restoreShop(t, srv, backup)
	_ = d.Sync(ctx)
	require.False(t, d.Status().FeedRestarted.IsZero())
	eventually(t, 10*time.Second, "resend", func() bool { return d.Status().Pending == 0 })
	cs, err := d.Conflicts(ctx)
	require.NoError(t, err)
	for _, c := range cs {
		t.Logf("conflict: %s: %s", c.Summary, c.Reason)
	}
	require.Empty(t, cs, "a delivery the restored shop still has went to the manager's conflicts")
}

// TestResentDeliveryStaysQueuedWhileTheShopCannotSay holds that a resent
// delivery the shop refuses for the key's reuse, when the shop then fails
// to answer whether it has it (503s for the purchase), stays queued and
// is settled by the next attempt, instead of going to the managers'
// conflicts, which only a manager's retry clears.
func TestResentDeliveryStaysQueuedWhileTheShopCannotSay(t *testing.T) {
	ctx := context.Background()
	// More failures than the client's own retries of a GET: the desk's
	// attempt ends without an answer.
	const failTimes = 8
	var failCode stdsync.Pointer[string]
	var failed stdsync.Int32
	srv := shoptest.Start(t, shoptest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c := failCode.Load(); c != nil && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/purchases/"+*c) && failed.Add(1) <= failTimes {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"error":"busy"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	d := MustOpenShop(t, srv)
	kept, backup := keptByABackup(t, d, srv)

	restoreShop(t, srv, backup)
	failCode.Store(&kept.Code) // The shop fails for a while to say whether it has the resent delivery.
	_ = d.Sync(ctx)
	require.False(t, d.Status().FeedRestarted.IsZero())
	eventually(t, 15*time.Second, "resend", func() bool { _ = d.Sync(ctx); return d.Status().Pending == 0 })
	require.GreaterOrEqual(t, failed.Load(), int32(1), "the shop was never asked whether it has the delivery")
	cs, err := d.Conflicts(ctx)
	require.NoError(t, err)
	require.Empty(t, cs, "a delivery the shop could not say it has went to the managers' conflicts")
	require.Len(t, srv.Deliveries(kept.Code), 1)
}

// TestProxyNotFoundIsNoRestore holds that a 404 which is not the shop's
// own (an HTML page from a proxy or load balancer in front of it) is not
// taken for a restore of the shop: the desk would empty its cache and send
// every accepted delivery again.
func TestProxyNotFoundIsNoRestore(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	u, _ := url.Parse(srv.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	var broken stdsync.Bool
	px := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			t.Logf("proxy: %s %s", r.Method, r.URL.Path)
		}
		if broken.Load() && strings.Contains(r.URL.Path, "/purchases/") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("<html><body>404 Not Found</body></html>"))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(px.Close)
	d := MustOpen(t, px.URL, srv.DeskToken)
	mustLogin(t, d, kari.ID)
	p := srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
		Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 1}}})
	require.NoError(t, d.Sync(ctx))
	_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari})
	require.NoError(t, err)
	require.NoError(t, d.Sync(ctx))
	require.True(t, d.Status().FeedRestarted.IsZero())

	broken.Store(true)
	d.CheckRestoreNowForTest()
	_ = d.Sync(ctx)
	t.Logf("status after: restarted=%v conflicts=%d pending=%d", d.Status().FeedRestarted, d.Status().Conflicts, d.Status().Pending)
	require.True(t, d.Status().FeedRestarted.IsZero(), "a proxy's 404 made the desk start over and resend")
}
