package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

// copyShopDB copies a stopped shop's SQLite files, as an operator's backup
// or restore does.
func copyShopDB(t *testing.T, from, to string) {
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

// After the shop's database is restored from an earlier copy the desk syncs
// afresh, and the status screen says so.
func TestStatusTellsOfARestoredShop(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.eventually(func() bool { return !f.desk.Status().LastSync.IsZero() }, "never synced")
	backup := filepath.Join(t.TempDir(), "backup.db")
	f.shop.Stop()
	copyShopDB(t, f.shop.DBPath, backup)
	f.shop.Restart()

	var last *skranke.Purchase
	for range 3 {
		last = f.shop.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
			Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 1}}})
	}
	f.desk.SyncNow()
	f.eventually(func() bool { c, err := f.desk.Cursor(t.Context()); return err == nil && c >= last.Seq }, "the desk never synced the changes")

	f.shop.Stop()
	copyShopDB(t, backup, f.shop.DBPath)
	f.shop.Restart()
	f.desk.SyncNow()
	f.eventually(func() bool { return !f.desk.Status().FeedRestarted.IsZero() }, "the desk never noticed the restore")
	f.key(fyne.KeyF4)
	f.eventually(func() bool { return strings.Contains(f.d.status.Outbox.Text, "restored from an earlier copy") },
		"the status screen does not tell of the restore: %q", f.d.status.Outbox.Text)
	_, err := f.desk.Cached(t.Context(), last.Code)
	require.True(t, skranke.KindOf(err) == skranke.NotFound, "the purchase the restore lost is still on the desk: %v", err)
}
