package sync_test

import (
	"context"
	"net/http"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// While the desk cannot write its cache (a desk action holds it, or a
// commit waits for the disk), the pull goes on fetching and decoding pages
// of the changes feed ahead, instead of one page and then standing still;
// the cursor stays where the last commit left it; and once the desk can
// write again, the sync ends with every purchase cached.
func TestPullFetchesAheadWhileTheWriterWaits(t *testing.T) {
	const pages = 10
	ctx := context.Background()
	var mu stdsync.Mutex
	asked := 0
	ahead := make(chan struct{})
	srv := shoptest.Start(t, shoptest.WithBulk(pages*desksync.PageSize), shoptest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/changes") {
				mu.Lock()
				asked++
				if asked == 4 {
					close(ahead)
				}
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	}))
	d := MustOpen(t, srv.URL, srv.DeskToken)
	release, err := d.HoldWriterForTest(ctx)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- d.Sync(ctx) }()
	select {
	case <-ahead:
	case err := <-done:
		release()
		t.Fatalf("the sync ended while the desk could not write: %v", err)
	case <-time.After(time.Minute):
		mu.Lock()
		n := asked
		mu.Unlock()
		release()
		t.Fatalf("while the desk could not write, the pull fetched %d pages, want at least 4", n)
	}
	cursor, err := d.Cursor(ctx)
	require.NoError(t, err)
	require.Zero(t, cursor, "the cursor moved before its pages were written")
	release()
	require.NoError(t, <-done)

	got, err := d.CachedPurchasesForTest(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(got), pages*desksync.PageSize)
	head, err := d.Cursor(ctx)
	require.NoError(t, err)
	again := MustOpen(t, srv.URL, srv.DeskToken)
	require.NoError(t, again.Sync(ctx))
	want, err := again.CachedPurchasesForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, want, got, "purchases cached after a pull that fetched ahead, against a pull into a fresh cache")
	wantHead, err := again.Cursor(ctx)
	require.NoError(t, err)
	require.Equal(t, wantHead, head)
}
