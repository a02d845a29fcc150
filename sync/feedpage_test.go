package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// Desks polling near the head of the feed get gzipped pages, shared
// through the shop's page cache. The desk's client must read every such
// page as exactly the feed's changes at its cursor, whichever pages were
// asked before it.
func TestClientReadsPagesNearTheHead(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t, shoptest.WithBulk(1500))
	cl := desksync.NewClient(srv.URL, srv.DeskToken, desksync.ClientOptions{})
	var head int64
	require.NoError(t, srv.DB.View(ctx, func(tx shop.Tx) (err error) {
		head, err = tx.FeedHead()
		return err
	}))
	for since := head - 240; since < head; since += 9 {
		got, err := cl.Changes(ctx, since, desksync.PageSize)
		require.NoError(t, err)
		var want shop.Changes
		require.NoError(t, srv.DB.View(ctx, func(tx shop.Tx) (err error) {
			want, err = tx.Changes(shop.DemoCentreID, since, desksync.PageSize)
			return err
		}))
		require.Equal(t, want.Next, got.Next, "since %d", since)
		require.Equal(t, want.More, got.More, "since %d", since)
		require.Len(t, got.Purchases, len(want.Purchases), "since %d", since)
		require.Len(t, got.Cards, len(want.Cards), "since %d", since)
		for i := range want.Purchases {
			require.True(t, sameDoc(want.Purchases[i], got.Purchases[i]), "since %d: purchase %d differs", since, i)
		}
		for i := range want.Cards {
			require.True(t, sameDoc(want.Cards[i], got.Cards[i]), "since %d: card %d differs", since, i)
		}
	}
}

func sameDoc(a, b json.RawMessage) bool { return bytes.Equal(a, b) }
