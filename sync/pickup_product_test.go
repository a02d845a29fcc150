package sync_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// pickupProducts are the product names of mixedPurchases: one on most
// purchases, one on few, and one sold only in purchases that never wait.
var pickupProducts = []string{"Drop-in", "Gavekort 2 000 kr", "Drikkeflaske", "Aldri hentet"}

// mixedPurchases makes n purchases of pickupProducts with every payment
// status, some handed over in part or in full, some sharing a creation time
// (the order of ties must match too) and some with a product on two lines.
func mixedPurchases(n int, seed uint64) []*skranke.Purchase {
	rng := rand.New(rand.NewPCG(seed, 1))
	statuses := []skranke.PaymentStatus{skranke.Captured, skranke.Captured, skranke.Authorized, skranke.Pending, skranke.Credited, skranke.Failed}
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ps := make([]*skranke.Purchase, n)
	for i := range ps {
		p := testPurchase(code(i), int64(i+1))
		p.Status = statuses[rng.IntN(len(statuses))]
		p.CreatedAt = at.Add(-time.Duration(rng.IntN(n/2)) * time.Minute)
		p.Lines = nil
		names := []string{pickupProducts[0]}
		switch r := rng.IntN(20); {
		case r == 0:
			names = []string{pickupProducts[1], pickupProducts[1]}
		case r < 6:
			names = append(names, pickupProducts[2])
		case r == 6:
			names = []string{pickupProducts[3]}
			p.Status = skranke.Pending
		}
		for j, name := range names {
			q := 1 + rng.IntN(2)
			p.Lines = append(p.Lines, skranke.Line{ID: fmt.Sprint("l", j+1), ProductID: name, Name: name, Kind: skranke.Physical,
				Quantity: q, UnitPrice: 10000, VATRate: 25, Delivered: rng.IntN(q + 1)})
		}
		ps[i] = p
	}
	return ps
}

// requirePickupByProduct checks that the pickup list filtered by each of
// pickupProducts (and a name no purchase has), with and without a status,
// is the unfiltered list filtered in Go, limit and total included.
func requirePickupByProduct(t *testing.T, d *desksync.Desk) {
	t.Helper()
	ctx := context.Background()
	for _, status := range []skranke.PaymentStatus{"", skranke.Captured, skranke.Authorized} {
		all, err := d.Pickup(ctx, desksync.PickupFilter{Status: status, Limit: desksync.MaxPickupCount})
		require.NoError(t, err)
		require.Less(t, len(all.Purchases), desksync.MaxPickupCount)
		require.Len(t, all.Purchases, all.Total)
		for _, product := range append(slices.Clone(pickupProducts), "Drikke") {
			var want []string
			for _, s := range all.Purchases {
				if slices.Contains(s.Products, product) {
					want = append(want, s.Code)
				}
			}
			for _, limit := range []int{0, 3} {
				l, err := d.Pickup(ctx, desksync.PickupFilter{Product: product, Status: status, Limit: limit})
				require.NoError(t, err)
				w := want
				if limit > 0 && len(w) > limit {
					w = w[:limit]
				}
				require.Equal(t, w, codesOf(l.Purchases), "product %q, status %q, limit %d", product, status, limit)
				require.Equal(t, len(want), l.Total, "product %q, status %q", product, status)
			}
		}
	}
}

// TestPickupByProductIsTheListFilteredInGo fills the cache with a mix of
// products, statuses and deliveries, then changes some purchases (paid,
// handed over, credited, a product dropped), and compares the list by
// product to the whole list filtered in Go each time.
func TestPickupByProductIsTheListFilteredInGo(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "token")
	ps := mixedPurchases(600, 1)
	require.NoError(t, d.CacheForTest(ctx, ps, nil, nil))
	requirePickupByProduct(t, d)

	var few, common int
	for _, product := range []string{pickupProducts[1], pickupProducts[0]} {
		l, err := d.Pickup(ctx, desksync.PickupFilter{Product: product})
		require.NoError(t, err)
		if product == pickupProducts[1] {
			few = l.Total
		} else {
			common = l.Total
		}
	}
	require.Positive(t, few, "the mix has waiting purchases of the rare product")
	require.Greater(t, common, 10*few, "and many more of the common one")

	// The shop's newer copies: a pending one paid, waiting ones handed
	// over in full, credited, or with the rare product taken off.
	rng := rand.New(rand.NewPCG(2, 2))
	var changed []*skranke.Purchase
	for _, p := range ps {
		if rng.IntN(4) != 0 {
			continue
		}
		p.Seq += 1000
		switch rng.IntN(4) {
		case 0:
			p.Status = skranke.Captured
		case 1:
			for i := range p.Lines {
				p.Lines[i].Delivered = p.Lines[i].Quantity
			}
		case 2:
			p.Status = skranke.Credited
		case 3:
			p.Lines = p.Lines[:1]
			p.Lines[0].Name, p.Lines[0].Delivered = pickupProducts[2], 0
		}
		changed = append(changed, p)
	}
	require.NoError(t, d.CacheForTest(ctx, changed, nil, nil))
	requirePickupByProduct(t, d)

	// An offline hand-over in full takes the purchase off its products'
	// lists at once, as off the whole list.
	l, err := d.Pickup(ctx, desksync.PickupFilter{Product: pickupProducts[1]})
	require.NoError(t, err)
	require.NotEmpty(t, l.Purchases)
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: l.Purchases[0].Code, Staff: skranke.Staff{ID: "s1", Name: "Kari"}, Signature: signaturePNG(t)})
	require.NoError(t, err)
	after, err := d.Pickup(ctx, desksync.PickupFilter{Product: pickupProducts[1]})
	require.NoError(t, err)
	require.Equal(t, codesOf(l.Purchases)[1:], codesOf(after.Purchases))
	require.Equal(t, l.Total-1, after.Total)
	requirePickupByProduct(t, d)
}

// TestPickupProductPlan checks that the list and the count by product walk
// the product's rows of pickup_products newest first, purchase by
// purchase, and never the waiting purchases or a sort.
func TestPickupProductPlan(t *testing.T) {
	db := mustNewCacheDB(t)
	for _, status := range []skranke.PaymentStatus{"", skranke.Authorized} {
		count, list, args := desksync.PickupQueriesForTest(desksync.PickupFilter{Product: "Drikkeflaske", Status: status})
		for _, q := range []string{count, list} {
			rows, err := db.Query("EXPLAIN QUERY PLAN "+q, append(args, 10)...)
			require.NoError(t, err)
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
				if !strings.Contains(detail, "subquery") { // The count's wrapper.
					plan = append(plan, detail)
				}
			}
			require.NoError(t, rows.Err())
			rows.Close()
			t.Logf("%s\n%s", q, strings.Join(plan, "\n"))
			require.Len(t, plan, 2, q)
			// No "USE TEMP B-TREE FOR ORDER BY": the key is walked backwards.
			require.Contains(t, plan[0], "SEARCH pp USING PRIMARY KEY (product=?)", q)
			require.Contains(t, plan[1], "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)", q)
		}
	}
}

// TestPickupProductsAfterUpgrade opens a cache of schema version 8 whose
// purchases are indexed (products filled, indexed = 1): migration 0009
// files their products for the pickup list from that column, without
// indexing them again, and the list by product is the whole list filtered
// in Go.
func TestPickupProductsAfterUpgrade(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile))
	require.NoError(t, err)
	files, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	for _, f := range files[:8] {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = db.Exec(string(b))
		require.NoError(t, err, f)
	}
	_, err = db.Exec("PRAGMA user_version = 8")
	require.NoError(t, err)
	tx, err := db.Begin()
	require.NoError(t, err)
	for _, p := range mixedPurchases(400, 3) {
		body, err := json.Marshal(p)
		require.NoError(t, err)
		// The products column as version 8 wrote it: each name between
		// two unit separators.
		products := "\x1f"
		for _, l := range p.Lines {
			products += l.Name + "\x1f"
		}
		_, err = tx.Exec("INSERT INTO purchases(code, seq, body, cached_at, created, status, remaining, products, indexed) VALUES(?, ?, ?, 1, ?, ?, ?, ?, 1)",
			p.Code, p.Seq, body, p.CreatedAt.UnixNano(), string(p.Status), p.RemainingUnits(), products)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())
	require.NoError(t, db.Close())

	d := MustOpenDir(t, dir, deadAddr(t), "token")
	l, err := d.Pickup(context.Background(), desksync.PickupFilter{Product: pickupProducts[0]})
	require.NoError(t, err)
	require.NotEmpty(t, l.Purchases, "the upgraded purchases are on the list by product")
	requirePickupByProduct(t, d)
}
