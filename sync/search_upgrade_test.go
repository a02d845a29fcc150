package sync_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// TestSearchAfterUpgrade opens a cache written before the search index
// (schema version 2) and finds its purchases by buyer and in the pickup list.
func TestSearchAfterUpgrade(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile))
	require.NoError(t, err)
	for _, f := range []string{"migrations/0001_init.sql", "migrations/0002_card_purchase.sql"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = db.Exec(string(b))
		require.NoError(t, err)
	}
	_, err = db.Exec("PRAGMA user_version = 2")
	require.NoError(t, err)
	tx, err := db.Begin()
	require.NoError(t, err)
	var want []string
	for i := range 12_000 { // More than one batch of the backfill.
		p := testPurchase(code(i), int64(i+1))
		p.Buyer.Name = "Kunde Nummer"
		if i == 7777 {
			p.Buyer = skranke.Buyer{Name: "Ørjan Ås", Phone: "+47 404 77 777"}
		}
		body, _ := json.Marshal(p)
		_, err = tx.Exec("INSERT INTO purchases(code, seq, body, cached_at) VALUES(?, ?, ?, 1)", p.Code, p.Seq, body)
		require.NoError(t, err)
		if i == 7777 {
			want = append(want, p.Code)
		}
	}
	require.NoError(t, tx.Commit())
	require.NoError(t, db.Close())

	d := MustOpenDir(t, dir, deadAddr(t), "token")
	ctx := context.Background()
	r, err := d.Search(ctx, "orjan as", "")
	require.NoError(t, err)
	require.Equal(t, want, codesOf(r.Purchases))
	r, err = d.Search(ctx, "40477777", "")
	require.NoError(t, err)
	require.Equal(t, want, codesOf(r.Purchases))
	n, err := d.PickupCount(ctx)
	require.NoError(t, err)
	require.Equal(t, 10_001, n, "every upgraded purchase waits for pickup, counted up to the cap")
}
