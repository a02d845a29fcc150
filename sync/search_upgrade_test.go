package sync_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// TestSearchAfterUpgrade opens caches written by older versions and finds
// their purchases by buyer and in the pickup list: one from before the
// search (schema version 2), one with the first search index (version
// 5, prefix indexes of 3, 5 and 8 characters), whose index is rebuilt, and
// one a first sync filed but had not indexed yet when the desk was
// upgraded (version 13, the purchases flagged indexed = 0).
func TestSearchAfterUpgrade(t *testing.T) {
	for _, version := range []int{2, 5, 13} {
		t.Run(fmt.Sprintf("from version %d", version), func(t *testing.T) {
			dir := t.TempDir()
			want := writeOldCache(t, dir, version)
			d := MustOpenDir(t, dir, deadAddr(t), "token")
			ctx := context.Background()
			for _, q := range []string{"orjan as", "Ørjan Åsheim", "40477777", "orja"} {
				r, err := d.Search(ctx, q, "")
				require.NoError(t, err, q)
				require.Equal(t, want, codesOf(r.Purchases), "q=%q", q)
			}
			r, err := d.Search(ctx, "kunde", "")
			require.NoError(t, err)
			require.Len(t, r.Purchases, desksync.DefaultSearchLimit)
			n, err := d.PickupCount(ctx)
			require.NoError(t, err)
			require.Equal(t, 10_001, n, "every upgraded purchase waits for pickup, counted up to the cap")
			// Indexed again after the upgrade, the purchases are filed by
			// product for the pickup list too (migration 0009 finds none
			// indexed to fill from).
			l, err := d.Pickup(ctx, desksync.PickupFilter{Product: "Drikkeflaske", Limit: 1})
			require.NoError(t, err)
			require.Equal(t, 10_001, l.Total)
			require.Len(t, l.Purchases, 1)
		})
	}
}

// writeOldCache writes a cache in dir as the migrations up to version left
// it, holding 12,000 purchases (more than one batch of the indexing), one
// of them Ørjan Åsheim's, whose code it returns. From version 5 on the
// purchases are indexed as that version indexed them; from version 13 on
// they wait for indexing, as a first sync left them.
func writeOldCache(t *testing.T, dir string, version int) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile))
	require.NoError(t, err)
	defer db.Close()
	files, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), version)
	for _, f := range files[:version] {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = db.Exec(string(b))
		require.NoError(t, err, f)
	}
	_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", version))
	require.NoError(t, err)
	tx, err := db.Begin()
	require.NoError(t, err)
	var want []string
	for i := range 12_000 {
		p := testPurchase(code(i), int64(i+1))
		p.Buyer.Name = "Kunde Nummer"
		if i == 7777 {
			p.Buyer = skranke.Buyer{Name: "Ørjan Åsheim", Phone: "+47 404 77 777"}
			want = append(want, p.Code)
		}
		body, _ := json.Marshal(p)
		res, err := tx.Exec("INSERT INTO purchases(code, seq, body, cached_at) VALUES(?, ?, ?, 1)", p.Code, p.Seq, body)
		require.NoError(t, err)
		rowid, err := res.LastInsertId()
		require.NoError(t, err)
		switch {
		case version >= 13:
			// Filed by a first sync that had not indexed them yet.
			_, err = tx.Exec("UPDATE purchases SET indexed = 0 WHERE rowid = ?", rowid)
			require.NoError(t, err)
		case version >= 5:
			_, err = tx.Exec("UPDATE purchases SET created = ?, status = ?, remaining = ?, indexed = 1 WHERE rowid = ?",
				p.CreatedAt.UnixNano(), string(p.Status), p.RemainingUnits(), rowid)
			require.NoError(t, err)
			_, err = tx.Exec("INSERT INTO purchase_search(rowid, text) VALUES(?, ?)", rowid, skranke.SearchText(p))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tx.Commit())
	return want
}
