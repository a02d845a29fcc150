package sync_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// TestIdleSyncWritesNothing: a desk whose polls bring nothing new commits
// nothing to its cache, and says so in its status (Filed stays). A desk
// at rest polls every 5 s all day: the time of each sync, written after
// every poll, added a WAL frame each time that no checkpoint of the
// feed's copied back, and a status that always changed made the scan
// screen count the pickup list again. What the shop changes still comes.
func TestIdleSyncWritesNothing(t *testing.T) {
	srv := shoptest.Start(t)
	dir := t.TempDir()
	d := MustOpenDir(t, dir, srv.URL, srv.DeskToken)
	ctx := context.Background()
	require.NoError(t, d.Sync(ctx))
	filed := d.Status().Filed
	require.NotZero(t, filed, "the first sync filed the shop's purchases")

	// Another connection's view of the cache: data_version changes
	// whenever someone else commits to it.
	ro, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile)+"?mode=ro")
	require.NoError(t, err)
	defer ro.Close()
	ro.SetMaxOpenConns(1)
	version := func() int64 {
		var v int64
		require.NoError(t, ro.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v))
		return v
	}
	before := version()
	for range 20 {
		require.NoError(t, d.Sync(ctx))
	}
	require.Equal(t, before, version(), "polls that brought nothing new committed to the cache")
	require.Equal(t, filed, d.Status().Filed, "polls that brought nothing new say they filed something")

	// A purchase paid in the shop comes with the next poll.
	p := srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
		Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 1}}})
	require.NoError(t, d.Sync(ctx))
	require.NotEqual(t, before, version(), "the poll that brought a purchase committed nothing")
	require.Greater(t, d.Status().Filed, filed)
	cached, err := d.CachedPurchasesForTest(ctx)
	require.NoError(t, err)
	require.Contains(t, cached, p.Code)
}
