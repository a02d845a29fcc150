package sync_test

import (
	"context"
	"net/http"
	"strings"
	stdsync "sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// The scan screen's pickup count, asked while the changes feed is pulled
// (after every batch the feed commits), leaves the purchases the feed
// filed to the indexing after the pull instead of indexing them then and
// there ahead of the feed; once the pull is over it counts them all.
func TestPickupCountDuringPullLeavesIndexingForAfter(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t, shoptest.WithBulk(2500))
	px := startProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	d := MustOpen(t, px.URL(), srv.DeskToken)
	var mu stdsync.Mutex
	pages := 0
	second := make(chan struct{})
	px.set(func(r *http.Request) fault {
		if !strings.HasSuffix(r.URL.Path, "/changes") {
			return pass
		}
		mu.Lock()
		defer mu.Unlock()
		pages++
		if pages == 2 {
			close(second)
		}
		if pages >= 2 {
			return hold // The pull waits for its second page (and the retries of it).
		}
		return pass
	})
	done := make(chan error, 1)
	go func() { done <- d.Sync(ctx) }()
	<-second

	_, err := d.PickupCount(ctx)
	require.NoError(t, err)
	indexed, err := d.IndexedForTest(ctx)
	require.NoError(t, err)
	require.Zero(t, indexed, "the pickup count indexed purchases the feed filed while it still pulled")

	px.set(nil)
	px.releaseHeld()
	// On a busy machine the held page may have timed out, retries and
	// all: the next sync finishes then.
	if err := <-done; err != nil {
		t.Logf("the sync that waited: %v", err)
		require.NoError(t, d.Sync(ctx))
	}
	n, err := d.PickupCount(ctx)
	require.NoError(t, err)
	list, err := d.Pickup(ctx, desksync.PickupFilter{Limit: 1})
	require.NoError(t, err)
	require.Positive(t, n)
	require.Equal(t, list.Total, n, "the count after the pull is the pickup list's")
	cached, err := d.CountCachedForTest(ctx)
	require.NoError(t, err)
	indexed, err = d.IndexedForTest(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, indexed, 2500, "the count after the pull indexed what the feed filed")
	require.LessOrEqual(t, indexed, cached)
}
