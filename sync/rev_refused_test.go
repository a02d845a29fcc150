package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// Review: retryRefused asks again for the 20 lowest-numbered refused
// entries at every sync, and only those: while 20 stay impossible (a shop
// bug, a forger), an entry numbered after them that the shop now gives
// whole is never asked for again, and the 20 are asked for (and their
// reason rewritten in a write transaction) at every sync, with no back-off.
func TestReviewRefusedEntriesBeyondTwentyStarve(t *testing.T) {
	ctx := context.Background()
	var fg feedForger
	srv := shoptest.Start(t, shoptest.WithMiddleware(fg.middleware))
	d := MustOpenShop(t, srv)
	require.NoError(t, d.Sync(ctx))
	negative := func(doc map[string]any) { doc["lines"].([]any)[0].(map[string]any)["unit_price"] = -49900 }
	var ps []*skranke.Purchase
	for range 21 {
		p := srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
			Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 2}}})
		fg.set(p.Code, negative)
		ps = append(ps, p)
	}
	require.NoError(t, d.Sync(ctx))
	require.Equal(t, 21, d.Status().FeedRefused)

	last := ps[len(ps)-1]
	fg.set(last.Code, nil) // Whole again; the other 20 stay broken.
	for range 3 {
		require.NoError(t, d.Sync(ctx))
	}
	_, err := d.Cached(ctx, last.Code)
	require.NoError(t, err, "an entry the shop now gives whole is never filed: it is the 21st refused")
}
