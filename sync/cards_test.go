package sync_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// newGiftPurchase creates an unpaid purchase of two 500-kroner gift cards and
// a drop-in; the shop issues the cards when it is paid.
func newGiftPurchase(srv *shoptest.Server) *skranke.Purchase {
	return srv.CreatePurchase(skranke.Purchase{
		Buyer:  skranke.Buyer{Name: "Ola Berg"},
		Status: skranke.Pending, Acquirer: "nets",
		Lines: []skranke.Line{{ProductID: "gavekort-500", Quantity: 2}, {ProductID: "dropin-sal", Quantity: 1}},
	})
}

func cardCodes(cs []skranke.Card) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Code)
	}
	return out
}

// The cards a delivery hands over come with the shop's answer and stay on
// the desk, so they can be printed (and reprinted) offline.
func TestDeliveryKeepsSoldCards(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpen(t, srv.URL, srv.DeskToken)
	p := newGiftPurchase(srv)
	srv.Notify(p.Code, skranke.Captured) // Issues the cards; this desk does not pull the feed.
	_, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)

	_, after, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari})
	require.NoError(t, err)
	require.True(t, after.FullyDelivered())

	srv.Stop()
	cards, err := d.CardsOfPurchase(ctx, p.Code)
	require.NoError(t, err)
	require.Len(t, cards, 2, "one card per unit sold")
	srv.Restart()
	for _, c := range cards {
		require.Equal(t, p.Code, c.PurchaseCode)
		require.Equal(t, skranke.Money(50000), c.Balance)
		require.Equal(t, skranke.CardActive, c.Status)
		onShop := srv.Card(c.Code)
		require.NotNil(t, onShop, "card %s is the shop's", c.Code)
		require.Equal(t, p.Code, onShop.PurchaseCode)
	}
	require.NotEqual(t, cards[0].Code, cards[1].Code)

	_, err = d.CardsOfPurchase(ctx, "")
	require.True(t, skranke.KindOf(err) == skranke.Invalid, "%v", err)
}

// A delivery made offline gets its cards when the outbox sends it: from the
// shop's answer to the delivery, even while the changes feed fails.
func TestOfflineDeliveryGetsCardsWhenSent(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	px := startProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	d := MustOpen(t, px.URL(), srv.DeskToken)
	p := newGiftPurchase(srv)
	srv.Notify(p.Code, skranke.Captured) // The shop issues the cards.
	_, err := d.Lookup(ctx, p.Code)      // The desk sees the purchase paid, not the cards.
	require.NoError(t, err)

	px.set(always(reset)) // The network goes down.
	_, after, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari})
	require.NoError(t, err, "delivering works offline")
	require.True(t, after.FullyDelivered())
	require.Equal(t, 1, d.Status().Pending)
	_, err = d.CardsOfPurchase(ctx, p.Code)
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "no cards yet, and it says why: %v", err)

	// Back online, but the changes feed keeps failing: only the delivery's
	// answer can bring the cards.
	px.set(func(r *http.Request) fault {
		if strings.Contains(r.URL.Path, "/changes") {
			return fail500
		}
		return pass
	})
	require.Error(t, d.Sync(ctx))
	require.Equal(t, 0, d.Status().Pending, "the delivery was sent")
	px.set(always(reset))
	cards, err := d.CardsOfPurchase(ctx, p.Code)
	require.NoError(t, err)
	require.Len(t, cards, 2)
	for _, c := range cards {
		require.Equal(t, p.Code, c.PurchaseCode)
		require.Equal(t, skranke.Money(50000), c.Balance)
		require.NotNil(t, srv.Card(c.Code))
	}
}

// A cache written by the first schema, with gift cards in it, learns which
// purchase sold each card when it is opened by this build.
func TestMigrationFindsCardsOfPurchase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	v1, err := os.ReadFile("migrations/0001_init.sql")
	require.NoError(t, err)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile))
	require.NoError(t, err)
	_, err = db.Exec(string(v1))
	require.NoError(t, err)
	_, err = db.Exec("PRAGMA user_version = 1")
	require.NoError(t, err)
	for i, c := range []skranke.Card{
		{Code: "GC000001", PurchaseCode: "P0000001", Balance: 50000, Status: skranke.CardActive, Seq: 1},
		{Code: "GC000002", PurchaseCode: "P0000001", Balance: 50000, Status: skranke.CardActive, Seq: 2},
		{Code: "GC000003", Balance: 10000, Status: skranke.CardActive, Seq: 3},
	} {
		body, err := json.Marshal(c)
		require.NoError(t, err)
		_, err = db.Exec("INSERT INTO cards(code, seq, parent, body, cached_at) VALUES(?, ?, '', ?, ?)", c.Code, c.Seq, body, i+1)
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())

	d := MustOpenDir(t, dir, deadAddr(t), "tok")
	cards, err := d.CardsOfPurchase(ctx, "p000-0001")
	require.NoError(t, err)
	require.Equal(t, []string{"GC000001", "GC000002"}, cardCodes(cards))
}
