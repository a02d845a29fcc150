package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// copyDB copies a stopped shop's SQLite database (with its WAL, if any)
// from one path to another, as an operator's file backup or restore.
func copyDB(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(from + suffix)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Remove(to + suffix); !errors.Is(err, fs.ErrNotExist) {
				require.NoError(t, err)
			}
			continue
		}
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(to+suffix, b, 0o600))
	}
}

// backupShop takes a file backup of the running shop srv (stopped for the
// copy, then started again) and returns where it is.
func backupShop(t *testing.T, srv *shoptest.Server) string {
	t.Helper()
	backup := t.TempDir() + "/backup.db"
	srv.Stop()
	copyDB(t, srv.DBPath, backup)
	srv.Restart()
	return backup
}

// restoreShop puts the backup back into srv, as an operator restores a
// shop's database, and starts it again.
func restoreShop(t *testing.T, srv *shoptest.Server, backup string) {
	t.Helper()
	srv.Stop()
	copyDB(t, backup, srv.DBPath)
	srv.Restart()
}

// newService is a paid purchase of one service (a course card) at srv,
// for one delivery.
func newService(srv *shoptest.Server) *skranke.Purchase {
	return srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
		Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 1}}})
}

// shopPurchases reads the whole changes feed of the desk's centre: the
// purchases the shop has, with their feed numbers.
func shopPurchases(t *testing.T, srv *shoptest.Server) map[string]int64 {
	t.Helper()
	cl := desksync.NewClient(srv.URL, srv.DeskToken, desksync.ClientOptions{})
	out := map[string]int64{}
	for since := int64(0); ; {
		page, err := cl.Changes(context.Background(), since, desksync.PageSize)
		require.NoError(t, err)
		for _, raw := range page.Purchases {
			var p skranke.Purchase
			require.NoError(t, json.Unmarshal(raw, &p))
			out[p.Code] = p.Seq
		}
		since = page.Next
		if !page.More {
			return out
		}
	}
}

// deskPurchases is what the desk's cache holds: feed number by code.
func deskPurchases(t *testing.T, d *desksync.Desk) map[string]int64 {
	t.Helper()
	got, err := d.CachedPurchasesForTest(context.Background())
	require.NoError(t, err)
	out := map[string]int64{}
	for code, v := range got {
		var seq int64
		var digest string
		_, err := fmt.Sscan(v, &seq, &digest)
		require.NoError(t, err)
		out[code] = seq
	}
	return out
}

// The shop's database restored from an earlier copy gives the numbers of
// the changes it lost to new ones: a desk that had synced past them took
// "nothing new" for an answer and never filed the new changes. It now
// notices, says so, and syncs its cache from the start, still sending what
// staff did meanwhile.
func TestRestoredShopIsSyncedAfresh(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	dir := t.TempDir()
	d := MustOpenDir(t, dir, srv.URL, srv.DeskToken)
	mustLogin(t, d, kari.ID)
	service := func() *skranke.Purchase { return newService(srv) }
	kept := service()
	require.NoError(t, d.Sync(ctx))

	// The operator's backup, taken with the shop stopped.
	backup := backupShop(t, srv)

	// Changes after the backup, which the restore will lose: the desk
	// files them.
	var lost []string
	for range 4 {
		lost = append(lost, service().Code)
	}
	require.NoError(t, d.Sync(ctx))
	for _, code := range lost {
		_, err := d.Cached(ctx, code)
		require.NoError(t, err, "the desk has not filed %s", code)
	}

	// The shop goes down; the desk hands a purchase over offline.
	srv.Stop()
	_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: kept.Code, Staff: kari})
	require.NoError(t, err)
	require.Equal(t, 1, d.Status().Pending)

	// Restored from the backup, the shop takes different changes: fewer
	// than it lost, so their numbers are ones the desk has passed.
	copyDB(t, backup, srv.DBPath)
	srv.Restart()
	fresh := service()
	require.Less(t, fresh.Seq, mustCursor(t, d), "the test needs a new change numbered below the desk's cursor")

	require.NoError(t, d.Sync(ctx))

	st := d.Status()
	require.False(t, st.FeedRestarted.IsZero(), "the desk's status does not tell that it synced afresh")
	require.Zero(t, st.Pending, "the offline delivery was not sent")
	require.Len(t, srv.Deliveries(kept.Code), 1, "the shop does not have the offline delivery")
	require.Equal(t, shopPurchases(t, srv), deskPurchases(t, d), "the desk's purchases are not the shop's")
	_, err = d.Cached(ctx, fresh.Code)
	require.NoError(t, err, "the change made after the restore is not on the desk")
	for _, code := range lost {
		_, err := d.Cached(ctx, code)
		require.True(t, skranke.KindOf(err) == skranke.NotFound, "%s, lost by the restore, is still on the desk: %v", code, err)
	}
	l, err := d.Lookup(ctx, kept.Code)
	require.NoError(t, err)
	require.Len(t, l.Purchase.Deliveries, 1)

	// The desk goes on from there like any other: the next change comes.
	next := service()
	require.NoError(t, d.Sync(ctx))
	_, err = d.Cached(ctx, next.Code)
	require.NoError(t, err)
	require.True(t, st.FeedRestarted.Equal(d.Status().FeedRestarted), "the desk started over again")

	// A desk opened again on its data still tells that it started over.
	require.NoError(t, d.Close())
	again := MustOpenDir(t, dir, srv.URL, srv.DeskToken)
	require.True(t, st.FeedRestarted.Equal(again.Status().FeedRestarted), "reopened, the desk forgot that it started over")
}

func mustCursor(t *testing.T, d *desksync.Desk) int64 {
	t.Helper()
	c, err := d.Cursor(context.Background())
	require.NoError(t, err)
	return c
}
