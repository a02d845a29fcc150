package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// A scan of a purchase the sync brought unchanged notes when the shop
// confirmed the cached copy (the age an offline desk shows) and keeps it
// findable; one the shop has changed since is kept as the shop has it now,
// in the search and the pickup list too.
func TestLookupKeepsTheShopsCopy(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpen(t, srv.URL, srv.DeskToken)
	require.NoError(t, d.Sync(ctx))

	code := srv.Code("paid-course")
	before, err := d.Cached(ctx, code)
	require.NoError(t, err)
	l, err := d.Lookup(ctx, code)
	require.NoError(t, err)
	require.False(t, l.FromCache)
	after, err := d.Cached(ctx, code)
	require.NoError(t, err)
	require.True(t, after.CachedAt.After(before.CachedAt), "the shop's confirmation at %v is not noted (cached at %v)", l.CachedAt, after.CachedAt)
	require.Equal(t, before.Purchase, after.Purchase)
	hits, err := d.SearchCached(ctx, skranke.ParseSearch(before.Purchase.Buyer.Name), "", 50)
	require.NoError(t, err)
	require.True(t, holds(hits.Purchases, code), "no longer found by the buyer's name")

	// Paid since the sync: the scan brings the news, which the search's
	// and the pickup list's columns follow.
	pending := srv.Code("pending")
	p, err := d.Cached(ctx, pending)
	require.NoError(t, err)
	require.Equal(t, skranke.Pending, p.Purchase.Status)
	srv.Notify(pending, skranke.Captured)
	_, err = d.Lookup(ctx, pending)
	require.NoError(t, err)
	p, err = d.Cached(ctx, pending)
	require.NoError(t, err)
	require.Equal(t, skranke.Captured, p.Purchase.Status)
	list, err := d.Pickup(ctx, desksync.PickupFilter{Limit: desksync.MaxPickupCount})
	require.NoError(t, err)
	require.True(t, holds(list.Purchases, pending), "the paid purchase is not on the pickup list")
}

// holds reports whether ps has the purchase with code.
func holds(ps []skranke.PurchaseSummary, code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}
