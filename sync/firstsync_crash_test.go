package sync_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// A first sync cut off by a crash after the feed committed part of it (a
// desk action made it commit, as the pickup list does, maybe half-way
// through a page) leaves a cache that opens and works, and that a sync from there
// brings to exactly the purchases of a desk that synced without a break:
// none lost, each as the shop last sent it. The crash is a copy of the
// cache's files while the pull waits for its third page, which is what
// SIGKILL would leave on disk: SQLite keeps what was committed.
func TestFirstSyncResumesAfterCrash(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t, shoptest.WithBulk(2500))
	px := startProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	dir := t.TempDir()
	d := MustOpenDir(t, dir, px.URL(), srv.DeskToken)
	var mu stdsync.Mutex
	pages := 0
	third := make(chan struct{})
	px.set(func(r *http.Request) fault {
		if !strings.HasSuffix(r.URL.Path, "/changes") {
			return pass
		}
		mu.Lock()
		defer mu.Unlock()
		pages++
		if pages == 3 {
			close(third)
		}
		if pages >= 3 {
			return hold // The third page, and the client's retries of it.
		}
		return pass
	})
	done := make(chan error, 1)
	go func() { done <- d.Sync(ctx) }()
	<-third
	// The pickup list takes the cache ahead of the feed to index what it
	// reads, and the feed commits what it has filed; nothing else commits
	// until the third page comes.
	_, err := d.Pickup(ctx, desksync.PickupFilter{Limit: 1})
	require.NoError(t, err)
	crashed := t.TempDir()
	for _, name := range []string{desksync.CacheFile, desksync.CacheFile + "-wal"} {
		require.NoError(t, copyFile(filepath.Join(crashed, name), filepath.Join(dir, name)))
	}
	px.set(nil)
	px.releaseHeld()
	// On a busy machine the held page may have timed out, retries and
	// all: the next sync finishes then.
	if err := <-done; err != nil {
		t.Logf("the sync that waited: %v", err)
		require.NoError(t, d.Sync(ctx))
	}
	want, err := d.CachedPurchasesForTest(ctx)
	require.NoError(t, err)
	wantList, err := d.Pickup(ctx, desksync.PickupFilter{Limit: 1})
	require.NoError(t, err)

	after := MustOpenDir(t, crashed, srv.URL, srv.DeskToken)
	had, err := after.CachedPurchasesForTest(ctx)
	require.NoError(t, err)
	t.Logf("the crash left %d of %d purchases", len(had), len(want))
	require.NotEmpty(t, had, "the crash came after the feed committed")
	require.Less(t, len(had), len(want), "the crash came before the end of the first sync")
	require.NoError(t, after.Sync(ctx))
	got, err := after.CachedPurchasesForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, len(want), len(got))
	require.Equal(t, want, got, "the resumed cache differs from a first sync without a break")
	list, err := after.Pickup(ctx, desksync.PickupFilter{Limit: 1})
	require.NoError(t, err)
	require.Positive(t, list.Total)
	require.Equal(t, wantList.Total, list.Total, "the pickup list of the resumed cache")
}
