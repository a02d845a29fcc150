package sync_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	stdsync "sync"
	"sync/atomic"
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

// A shop that writes the members of a changes page in another order than
// shopd does (here sorted by name, so that the purchases come last) is
// synced alike: the desk cannot read where the next page starts from such
// a page's end, and decodes it first.
func TestPullPagesInAnotherOrder(t *testing.T) {
	ctx := context.Background()
	var reorder atomic.Bool
	var reordered atomic.Int32
	srv := shoptest.Start(t, shoptest.WithBulk(2500), shoptest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/changes") || !reorder.Load() {
				next.ServeHTTP(w, r)
				return
			}
			r.Header.Del("Accept-Encoding") // Plain JSON, to rewrite.
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var page map[string]json.RawMessage
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil {
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
				return
			}
			body, err := json.Marshal(page) // Keys sorted: cards, more, next, purchases.
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			reordered.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		})
	}))
	d := MustOpen(t, srv.URL, srv.DeskToken)
	reorder.Store(true)
	require.NoError(t, d.Sync(ctx))
	reorder.Store(false)
	require.Greater(t, reordered.Load(), int32(2), "pages served in another order")
	got, err := d.CachedPurchasesForTest(ctx)
	require.NoError(t, err)
	want := MustOpen(t, srv.URL, srv.DeskToken)
	require.NoError(t, want.Sync(ctx))
	wantPurchases, err := want.CachedPurchasesForTest(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(got), 2500)
	require.Equal(t, wantPurchases, got)
}
