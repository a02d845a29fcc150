package sync

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

// bulkPurchases makes n purchases of every shape the indexing files
// differently: paid or not, waiting or handed over (in part), credited,
// with a delivery undone, over several months, with buyers that share
// names, e-mail words and phone digits.
func bulkPurchases(n int) []*skranke.Purchase {
	rng := rand.New(rand.NewPCG(7, 8))
	names := []string{"Kari Hansen", "Åse Ødegård", "Ola Nordmann", "Kjersti Kjærnes", "Lars Hansen", "Anne Berg"}
	products := []string{"Proteinbar", "Massasje 60 min", "T-skjorte Aktiv, L", "PT-pakke 3 × 60 min"}
	statuses := []skranke.PaymentStatus{skranke.Captured, skranke.Captured, skranke.Authorized, skranke.Pending, skranke.Credited, skranke.Cancelled}
	base := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	var ps []*skranke.Purchase
	for i := range n {
		name := names[rng.IntN(len(names))]
		p := &skranke.Purchase{
			Code:      fmt.Sprintf("B%07d", i),
			Seq:       int64(i + 1),
			Status:    statuses[rng.IntN(len(statuses))],
			Buyer:     skranke.Buyer{Name: name, Email: fmt.Sprintf("%s%d@example.no", skranke.FoldSearch(name)[:3], i%50), Phone: fmt.Sprintf("+47 9%07d", rng.IntN(10_000_000))},
			CreatedAt: base.Add(time.Duration(rng.IntN(300*24)) * time.Hour),
		}
		for j := range 1 + rng.IntN(3) {
			p.Lines = append(p.Lines, skranke.Line{ID: fmt.Sprint(j + 1), ProductID: fmt.Sprint("p", j), Name: products[rng.IntN(len(products))],
				Quantity: 1 + rng.IntN(3), UnitPrice: skranke.Money(1000 * (1 + rng.IntN(90))), VATRate: 25})
		}
		p.UpdatedAt = p.CreatedAt
		if p.Status.Paid() && rng.IntN(3) == 0 {
			d := skranke.Delivery{ID: fmt.Sprintf("d%d", i), PurchaseCode: p.Code, StaffID: "s1", StaffName: "Siri", At: p.CreatedAt.Add(time.Hour),
				Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: p.Lines[0].Quantity}}}
			p.Lines[0].Delivered = p.Lines[0].Quantity
			p.Deliveries = append(p.Deliveries, d)
			if rng.IntN(4) == 0 {
				p.Reverse(skranke.Reversal{DeliveryID: d.ID, StaffID: "s1", At: d.At.Add(time.Minute)})
			}
		}
		if p.Status.Paid() && rng.IntN(5) == 0 {
			p.Credits = append(p.Credits, skranke.Credit{ID: fmt.Sprintf("c%d", i), PurchaseCode: p.Code, Amount: 500, StaffID: "s2",
				StaffName: "Per", At: p.CreatedAt.Add(48 * time.Hour), Reason: "test"})
		}
		ps = append(ps, p)
	}
	return ps
}

// indexedState is what indexing leaves in the cache, by purchase code:
// the search columns, the month's facts and sums, the pickup products.
func indexedState(t *testing.T, d *Desk) []string {
	t.Helper()
	out := queryRows(t, d,
		"SELECT 'p', code, created, status, remaining, products, rowid IN (SELECT purchase FROM unindexed) FROM purchases",
		"SELECT 'f', p.code, f.day, f.n, f.kind, f.product_id, f.product, f.staff_id, f.staff, f.events, f.units, f.amount FROM month_facts f JOIN purchases p ON p.rowid = f.purchase",
		"SELECT 's', day, kind, product_id, product, staff_id, staff, events, units, amount, facts FROM month_sums",
		"SELECT 'k', pp.product, pp.created, p.code FROM pickup_products pp JOIN purchases p ON p.rowid = pp.purchase",
	)
	slices.Sort(out)
	return out
}

// queryRows runs qs on d's cache and returns their rows in turn, each its
// columns printed together.
func queryRows(t *testing.T, d *Desk, qs ...string) []string {
	t.Helper()
	var out []string
	for _, q := range qs {
		rows, err := d.c.r.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(vals...))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Purchases that a first sync filed unindexed and the sync loop indexed in
// bulk (several transactions, the search index set up for bulk and merged
// at the end) give the search, the pickup list and the month the answers
// that purchases indexed as they were filed give, and leave the search
// index set as before the bulk.
func TestBulkIndexingAnswersAsIndexingOneByOne(t *testing.T) {
	ctx := context.Background()
	ps := bulkPurchases(700)
	file := func(d *Desk, deferIndex bool) {
		err := d.c.write(ctx, "test", func(tx *sql.Tx) error {
			w, err := newWriter(ctx, tx)
			if err != nil {
				return err
			}
			w.deferIndex = deferIndex
			for _, p := range ps {
				if err := w.putPurchase(p, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	each := mustOpenOffline(t)
	file(each, false)
	bulk := mustOpenOffline(t)
	inBulk := 0
	bulk.indexing = indexSizes{batch: 64, staff: 16, bulkAfter: 128, bulk: 200, copyChunk: 64, afterBatch: func() {
		if on, err := bulkIndexOn(ctx, bulk.c.r); err == nil && on {
			inBulk++
		}
	}}
	file(bulk, true)
	if err := bulk.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	if inBulk == 0 {
		t.Fatal("700 purchases were not indexed in bulk: the test shows nothing")
	}
	if on, err := bulkIndexOn(ctx, bulk.c.r); err != nil || on {
		t.Fatalf("the search index is still set up for bulk after it (%v)", err)
	}
	// FTS5's defaults again, for the writes that follow.
	config := map[string]int{}
	rows, err := bulk.c.r.QueryContext(ctx, "SELECT k, v FROM purchase_search_config WHERE k IN ('automerge', 'crisismerge', 'hashsize')")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		config[k] = v
	}
	rows.Close()
	if want := map[string]int{"automerge": 4, "crisismerge": 16, "hashsize": 1 << 20}; !maps.Equal(config, want) {
		t.Errorf("the search index is set %v after the bulk, want FTS5's defaults %v", config, want)
	}
	if got, want := indexedState(t, bulk), indexedState(t, each); !slices.Equal(got, want) {
		t.Errorf("bulk indexing filed %d rows, indexing each purchase %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
	}
	for _, q := range []string{"Kari Hansen", "hansen", "ode", "kja", "+47 9", "B00001", "0000123", "ola12@example.no", "Zyxwu"} {
		pq := skranke.ParseSearch(q)
		a, err := bulk.SearchCached(ctx, pq, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		b, err := each.SearchCached(ctx, pq, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(codesOf(a.Purchases), codesOf(b.Purchases)) || a.Next != b.Next {
			t.Errorf("search %q: bulk-indexed cache found %v (next %q), one indexed purchase by purchase %v (next %q)",
				q, codesOf(a.Purchases), a.Next, codesOf(b.Purchases), b.Next)
		}
	}
}

// A desk closed while it indexed in bulk finds the search index still set
// up for it when it starts again; its next indexing finishes the bulk
// (merges the index and sets it back), even with nothing left to index.
func TestBulkIndexingCutShortIsEndedByTheNextIndexing(t *testing.T) {
	ctx := context.Background()
	d := openAfterBulkCutShort(t)
	if on, err := bulkIndexOn(ctx, d.c.r); err != nil || !on {
		t.Fatalf("the bulk set-up did not survive the restart (%v): the test shows nothing", err)
	}
	if err := d.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, err := bulkIndexOn(ctx, d.c.r); err != nil || on {
		t.Fatalf("the search index is still set up for bulk after the next indexing (%v)", err)
	}
	page, err := d.SearchCached(ctx, skranke.ParseSearch("B0000042"), "", 10)
	if err != nil || len(page.Purchases) != 1 {
		t.Fatalf("search B0000042: %v, %v", page.Purchases, err)
	}
}

// An indexing that a reader (Month, Pickup by product, Sales) started
// before the background indexing switched to bulk goes on filing into the
// bulk tables (indexBatch looks for them in every transaction), and ends
// the bulk before it returns: the month report and the pickup list by
// product do not miss the purchases indexed in bulk meanwhile.
func TestMonthMissesNoPurchaseIndexedWhileTheLoopWentBulk(t *testing.T) {
	ctx := context.Background()
	d := mustOpenOffline(t)
	fileAll(t, d, bulkPurchases(300), true)

	calls := 0
	switched := make(chan struct{})
	release := make(chan struct{})
	bgDone := make(chan error, 1)
	d.indexing = indexSizes{batch: 64, staff: 64, bulkAfter: 128, afterBatch: func() {
		calls++
		switch calls {
		case 1: // The reader's first batch: the loop's indexing starts now.
			go func() { bgDone <- d.indexCached(ctx, true) }()
			<-switched
		case 4: // The loop's third batch, the first in bulk: it pauses here.
			close(switched)
			<-release
		}
	}}
	if err := d.indexCached(ctx, false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-switched:
	default:
		t.Fatal("the loop's indexing did not go bulk while the reader's indexed: the test shows nothing")
	}
	// What the reader's caller reads now (monthFacts, pickup by product).
	// The bulk tables are gone when the reader's indexing ended the bulk.
	var bulkFacts, facts int
	var bulkOn bool
	if err := d.c.r.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'month_facts_bulk')").Scan(&bulkOn); err != nil {
		t.Fatal(err)
	}
	if bulkOn {
		if err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM month_facts_bulk").Scan(&bulkFacts); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM month_facts").Scan(&facts); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-bgDone; err != nil {
		t.Fatal(err)
	}
	if bulkFacts > 0 {
		t.Errorf("indexCached returned to its reader with %d month facts still in month_facts_bulk (%d in month_facts): the month report misses those purchases", bulkFacts, facts)
	}
}

func codesOf(ss []skranke.PurchaseSummary) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Code)
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + "\n" + b[i]
		}
	}
	return fmt.Sprint(len(a), " against ", len(b), " rows")
}

// The merge that ends a cut-short bulk (at the next start) runs with the
// writer's page cache at mergeCacheKiB, since what a connection once
// cached stays resident, and the writer has its full cache back after.
func TestMergeRunsWithASmallPageCache(t *testing.T) {
	ctx := context.Background()
	d := openAfterBulkCutShort(t)
	var sizes []int
	d.indexing.mergeStep = func(tx *sql.Tx) {
		var n int
		if err := tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&n); err != nil {
			t.Error(err)
		}
		sizes = append(sizes, n)
	}
	if err := d.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	if len(sizes) == 0 {
		t.Fatal("no merge step ran: the test shows nothing")
	}
	for i, n := range sizes {
		if n != -mergeCacheKiB {
			t.Errorf("merge step %d ran with cache_size %d, want %d", i, n, -mergeCacheKiB)
		}
	}
	var after int
	if err := d.c.w.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != -writerCacheKiB {
		t.Errorf("the writer's cache_size after the merge is %d, want %d", after, -writerCacheKiB)
	}
}

// openAfterBulkCutShort opens a desk whose previous run was closed while
// it indexed in bulk: the search index set up for the bulk, 50 purchases
// filed and not indexed.
func openAfterBulkCutShort(t *testing.T) *Desk {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(ctx, Config{BaseURL: "http://127.0.0.1:1", DataDir: dir, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	err = d.c.write(ctx, "test", func(tx *sql.Tx) error {
		if err := setBulkIndex(ctx, tx, true); err != nil {
			return err
		}
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range bulkPurchases(50) {
			if err := w.putPurchase(p, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(ctx, Config{BaseURL: "http://127.0.0.1:1", DataDir: dir, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// A first sync through the changes feed into an empty cache sets the bulk
// indexing up with its first page, before it files anything, and once the
// desk has indexed what it filed the cache is as if each purchase had been
// indexed as it was filed: the same search columns, month facts and sums,
// and pickup rows, and the same schema.
func TestFirstSyncPagesIndexAsEachPurchase(t *testing.T) {
	ctx := context.Background()
	// bulkPurchases as the feed sends them: with purchase codes.
	var raws []json.RawMessage
	for _, p := range bulkPurchases(700) {
		code := p.Code[:1] + p.Code[2:]
		code += string(skranke.CheckSymbol(code))
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, bytes.ReplaceAll(raw, []byte(`"`+p.Code+`"`), []byte(`"`+code+`"`)))
	}

	each := mustOpenOffline(t)
	err := each.c.write(ctx, "test", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		for _, raw := range raws {
			var p skranke.Purchase
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			if err := w.putPurchase(&p, raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	pulled := mustOpenOffline(t)
	before := schemaOf(t, pulled)
	b := &feedBatch{c: pulled.c, bulkAhead: true}
	for i := 0; i < len(raws); i += 100 {
		page := ChangesPage{Purchases: raws[i:min(i+100, len(raws))], Next: int64(i + 100), More: i+100 < len(raws)}
		if _, err := b.apply(ctx, &page); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.finish(); err != nil {
		t.Fatal(err)
	}
	b.close(ctx)
	if on, err := bulkIndexOn(ctx, pulled.c.r); err != nil || !on {
		t.Fatalf("the first sync did not set the bulk indexing up (%v)", err)
	}
	if schema := schemaOf(t, pulled); slices.Equal(schema, before) {
		t.Error("the first sync filed its purchases with the indexes by date in place")
	}
	pulled.indexing = indexSizes{batch: 64, staff: 16, bulkAfter: 128, bulk: 300, copyChunk: 64}
	indexLikeEach(t, pulled, each, before, "a first sync, indexed")
}

// The end of a bulk indexing copies the bulk tables a range of their key
// at a time, so that no sort holds a million purchases' rows at once: cut
// into many ranges (keys tied on the day and the product across the cuts,
// rows of purchases waiting to be indexed left out) it files exactly the
// rows one sort of the whole table files, and in their key order, so that
// the tables are only appended to.
func TestBulkCopyInRangesFilesAsOneSort(t *testing.T) {
	ctx := context.Background()
	fill := func(d *Desk) {
		t.Helper()
		rng := rand.New(rand.NewPCG(3, 4))
		products := []string{"Proteinbar", "Massasje 60 min", "T-skjorte Aktiv, L"}
		err := d.c.write(ctx, "test", func(tx *sql.Tx) error {
			if err := startBulkTables(ctx, tx); err != nil {
				return err
			}
			for p := 1; p <= 3000; p++ {
				day := 20260101 + rng.IntN(20)
				for n := range 1 + p%3 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO month_facts_bulk(purchase, n, day, kind, product_id, product, staff_id, staff, events, units, amount)
VALUES (?, ?, ?, 'sale', ?, ?, '', '', 1, ?, ?)`, p, n, day, fmt.Sprint("p", n), products[n], 1+rng.IntN(3), 1000*rng.IntN(90)); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO pickup_products_bulk(purchase, product, created) VALUES (?, ?, ?)",
						p, products[rng.IntN(len(products))], int64(1767225600000)+int64(rng.IntN(40))*1000); err != nil {
						return err
					}
				}
				if p%97 == 0 {
					if _, err := tx.ExecContext(ctx, "INSERT INTO unindexed(purchase) VALUES (?)", p); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rowsOf := func(d *Desk) []string {
		t.Helper()
		return queryRows(t, d,
			"SELECT 'f', day, purchase, n, kind, product_id, product, staff_id, staff, events, units, amount FROM month_facts ORDER BY day, purchase, n",
			"SELECT 'k', product, created, purchase FROM pickup_products ORDER BY product, created, purchase",
			"SELECT 'w', count(*) FROM month_facts WHERE purchase IN (SELECT purchase FROM unindexed)",
			"SELECT 'v', count(*) FROM pickup_products WHERE purchase IN (SELECT purchase FROM unindexed)",
		)
	}
	copyIn := func(d *Desk, chunkRows int) {
		t.Helper()
		// A log of the order rows are inserted in (tables of the cache's
		// own schema: a temporary one would keep the copy's sorts in
		// memory).
		for _, q := range []string{
			"CREATE TABLE test_copied (seq INTEGER PRIMARY KEY, tbl TEXT, k1, k2, k3)",
			"CREATE TRIGGER test_month_copied AFTER INSERT ON month_facts BEGIN INSERT INTO test_copied(tbl, k1, k2, k3) VALUES ('f', new.day, new.purchase, new.n); END",
			"CREATE TRIGGER test_pickup_copied AFTER INSERT ON pickup_products BEGIN INSERT INTO test_copied(tbl, k1, k2, k3) VALUES ('k', new.product, new.created, new.purchase); END",
		} {
			if err := d.c.write(ctx, "test", func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.c.write(ctx, "test", func(tx *sql.Tx) error { return copyBulkTables(ctx, tx, chunkRows) }); err != nil {
			t.Fatal(err)
		}
	}
	whole, ranges := mustOpenOffline(t), mustOpenOffline(t)
	fill(whole)
	fill(ranges)
	for _, c := range bulkCopies {
		var cuts [][]any
		err := ranges.c.write(ctx, "test", func(tx *sql.Tx) (err error) {
			cuts, err = c.cuts(ctx, tx, 200)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(cuts) < 5 {
			t.Fatalf("%s cut into %d ranges of about 200 rows: the test shows nothing", c.from, len(cuts)+1)
		}
		if len(cuts) > bulkCopyMaxRanges {
			t.Errorf("%s cut into %d ranges, more than bulkCopyMaxRanges (%d)", c.from, len(cuts)+1, bulkCopyMaxRanges)
		}
	}
	copyIn(whole, 1<<30)
	copyIn(ranges, 200)
	for _, tbl := range []string{"f", "k"} {
		var unordered int
		err := ranges.c.r.QueryRowContext(ctx, `SELECT count(*) FROM test_copied a JOIN test_copied b ON b.seq = a.seq + 1 AND b.tbl = a.tbl
WHERE a.tbl = ? AND (b.k1, b.k2, b.k3) < (a.k1, a.k2, a.k3)`, tbl).Scan(&unordered)
		if err != nil {
			t.Fatal(err)
		}
		if unordered != 0 {
			t.Errorf("%s: %d rows copied in ranges were inserted after a row with a larger key", tbl, unordered)
		}
	}
	got, want := rowsOf(ranges), rowsOf(whole)
	if len(want) < 5000 {
		t.Fatalf("one sort filed %d rows: the test shows nothing", len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("copied in ranges: %d rows, in one sort %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
	}
	if w := got[len(got)-2:]; !slices.Equal(w, []string{"w0", "v0"}) {
		t.Errorf("rows of purchases waiting to be indexed were copied: %v", w)
	}
	for _, table := range []string{"month_facts_bulk", "pickup_products_bulk"} {
		var n int
		if err := ranges.c.r.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name = ?", table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s is still there after the copy (%v)", table, err)
		}
	}
}
