package sync

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/skranke/skranke"
)

// fileAll files ps in d's cache in one transaction, unindexed (as a first
// sync files them) with deferIndex.
func fileAll(t *testing.T, d *Desk, ps []*skranke.Purchase, deferIndex bool) {
	t.Helper()
	ctx := context.Background()
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

// mustOpenOffline opens a desk on a new data directory with no shop to
// talk to, closed when the test ends.
func mustOpenOffline(t *testing.T) *Desk {
	t.Helper()
	d, err := Open(context.Background(), Config{BaseURL: "http://127.0.0.1:1", DataDir: t.TempDir(), AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// indexLikeEach indexes what d has filed unindexed and checks that the
// bulk is over, and that d's cache is as each's, whose purchases were
// indexed one by one as they were filed, with the schema before: what
// says how d's were filed.
func indexLikeEach(t *testing.T, d, each *Desk, before []string, what string) {
	t.Helper()
	ctx := context.Background()
	if err := d.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, err := bulkIndexOn(ctx, d.c.r); err != nil || on {
		t.Fatalf("%s: the search index is still set up for bulk after the indexing (%v)", what, err)
	}
	if got, want := indexedState(t, d), indexedState(t, each); !slices.Equal(got, want) {
		t.Errorf("%s: %d rows filed, indexing each purchase %d; first difference:\n%s", what, len(got), len(want), firstDiff(got, want))
	}
	if got := schemaOf(t, d); !slices.Equal(got, before) {
		t.Errorf("%s: the cache's schema after the bulk:\n%q\nwant as before it:\n%q", what, got, before)
	}
}

// schemaOf is the cache's schema: every table, index and trigger with its
// definition.
func schemaOf(t *testing.T, d *Desk) []string {
	t.Helper()
	rows, err := d.c.r.Query("SELECT type, name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, def string
		if err := rows.Scan(&typ, &name, &def); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ+" "+name+": "+def)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A desk closed while it indexes a first sync in bulk loses nothing: its
// next start goes on, and purchases filed again meanwhile (a new version
// from the shop, indexed as it comes; one filed unindexed again) end as
// they would indexed one by one: the same search columns, month facts and
// sums, pickup rows and answers, and the cache's schema as before the bulk;
// also when it closed between the steps that end the bulk.
func TestBulkIndexingClosedMidwayLosesNothing(t *testing.T) {
	for _, cutEnd := range []bool{false, true} {
		t.Run(map[bool]string{false: "in the bulk", true: "in the steps that end it"}[cutEnd], func(t *testing.T) {
			testBulkClosedMidway(t, cutEnd)
		})
	}
}

func testBulkClosedMidway(t *testing.T, cutEnd bool) {
	ctx := context.Background()
	ps := bulkPurchases(900)
	// New versions of some purchases, filed while the bulk is cut short:
	// handed over in full, credited, or their lines changed.
	var later, laterUnindexed []*skranke.Purchase
	for i, p := range ps[:300] {
		if i%7 != 0 {
			continue
		}
		q := *p
		q.Seq += 10_000
		q.Lines = slices.Clone(p.Lines)
		switch i % 3 {
		case 0:
			for j := range q.Lines {
				q.Lines[j].Delivered = q.Lines[j].Quantity
			}
		case 1:
			q.Lines = q.Lines[:1]
		case 2:
			q.Credits = append(slices.Clone(p.Credits), skranke.Credit{ID: "late" + p.Code, PurchaseCode: p.Code, Amount: 100, StaffID: "s2", StaffName: "Per", At: p.CreatedAt.AddDate(0, 1, 0), Reason: "test"})
		}
		if i%2 == 0 {
			later = append(later, &q)
		} else {
			laterUnindexed = append(laterUnindexed, &q)
		}
	}
	final := slices.Clone(ps)
	for _, q := range append(slices.Clone(later), laterUnindexed...) {
		for i := range final {
			if final[i].Code == q.Code {
				final[i] = q
			}
		}
	}

	each := mustOpenOffline(t)
	before := schemaOf(t, each)
	fileAll(t, each, final, false)

	dir := t.TempDir()
	d, err := Open(ctx, Config{BaseURL: "http://127.0.0.1:1", DataDir: dir, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	fileAll(t, d, ps, true)
	// Closed after a few transactions in bulk.
	cctx, cancel := context.WithCancel(ctx)
	batches := 0
	d.indexing = indexSizes{batch: 64, staff: 16, bulkAfter: 128, afterBatch: func() {
		if batches++; batches == 6 {
			cancel()
		}
	}}
	if err := d.indexCached(cctx, true); err == nil {
		t.Fatal("the indexing was not cut short: the test shows nothing")
	}
	cancel()
	var left int
	if err := d.c.r.QueryRow("SELECT count(*) FROM unindexed").Scan(&left); err != nil || left == 0 {
		t.Fatalf("%d purchases left to index after the cut (%v): the test shows nothing", left, err)
	}
	if on, err := bulkIndexOn(ctx, d.c.r); err != nil || !on {
		t.Fatalf("the indexing was cut short before its bulk (%v): the test shows nothing", err)
	}
	if cutEnd {
		// As if a search had indexed everything there was and ended the
		// bulk up to its first step when the desk closed.
		if err := d.c.write(ctx, "test", endBulkSteps(ctx, 0)[0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d, err = Open(ctx, Config{BaseURL: "http://127.0.0.1:1", DataDir: dir, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	fileAll(t, d, later, false)
	fileAll(t, d, laterUnindexed, true)
	d.indexing = indexSizes{batch: 64, staff: 16, bulkAfter: 128}
	indexLikeEach(t, d, each, before, "the bulk cut short and ended")
	for _, q := range []string{"Kari Hansen", "hansen", "ode", "B000007", "B0000014"} {
		pq := skranke.ParseSearch(q)
		a, err := d.SearchCached(ctx, pq, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		b, err := each.SearchCached(ctx, pq, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(codesOf(a.Purchases), codesOf(b.Purchases)) {
			t.Errorf("search %q: %v, one by one %v", q, codesOf(a.Purchases), codesOf(b.Purchases))
		}
	}
}

// writtenByProcess is this process's write_bytes (/proc/self/io): what it
// sent to the storage layer, counted as pages are dirtied.
func writtenByProcess(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("write_bytes:")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no write_bytes in /proc/self/io")
	return 0
}

// Indexing a first sync in bulk writes the month facts, the pickup rows and
// the indexes of purchases by date once, in their order, not again in
// every transaction: the first sync's purchases come in an order their
// dates do not follow, and each transaction of the indexing rewrote most
// pages of those (at a million purchases 25 times the cache it left).
// Not parallel: it counts what the whole process writes.
func TestBulkIndexingWritesLittleMoreThanItKeeps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(ctx, Config{BaseURL: "http://127.0.0.1:1", DataDir: dir, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	fileAll(t, d, bulkPurchases(6000), true)
	d.c.shrinkWriter()
	// Transactions few enough purchases that the tables keyed by date
	// hold more pages than one touches, as at a million with 2,048.
	d.indexing = indexSizes{batch: 32, staff: 16, bulkAfter: 64}
	cacheFile := filepath.Join(dir, CacheFile)
	var size0 int64
	for _, suffix := range []string{"", "-wal"} {
		if st, err := os.Stat(cacheFile + suffix); err == nil {
			size0 += st.Size()
		}
	}
	w0 := writtenByProcess(t)
	if err := d.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	written := writtenByProcess(t) - w0
	st, err := os.Stat(cacheFile)
	if err != nil {
		t.Fatal(err)
	}
	grown := st.Size() - size0
	if written < grown {
		t.Skipf("the file system counts %d bytes written for a cache grown by %d: it does not count writes", written, grown)
	}
	ratio := float64(written) / float64(st.Size())
	t.Logf("indexing 6,000 purchases wrote %d bytes, %.1f times the cache it left (%d bytes, grown by %d)", written, ratio, st.Size(), grown)
	if ratio > 8 {
		t.Errorf("indexing 6,000 purchases in bulk wrote %.1f times the cache it left (%d bytes of %d), want at most 8", ratio, written, st.Size())
	}
}

// TestIndexCreationsSpillToAFile holds that the CREATE INDEX that ends a
// bulk indexing may spill to a temporary file: with the cache's temp_store
// MEMORY a sort never spills, and at a million purchases the sort of
// pickup_products_purchase alone spilled some 60 MB past a 16 MiB page
// cache. Desk actions after it keep their
// statement journals in memory.
func TestIndexCreationsSpillToAFile(t *testing.T) {
	ctx := context.Background()
	d := mustOpenOffline(t)
	tempStore := func(tx *sql.Tx) int {
		t.Helper()
		var v int
		if err := tx.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	const file, memory = 1, 2
	var during, after int
	if err := d.c.write(ctx, "test", func(tx *sql.Tx) error {
		// A write first, so that the transaction is under way.
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO meta(key, value) VALUES ('test', 'x')"); err != nil {
			return err
		}
		if err := sortingToFile(ctx, tx, func() error { during = tempStore(tx); return nil }); err != nil {
			return err
		}
		after = tempStore(tx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if during != file {
		t.Errorf("temp_store while indexes are created = %d, want %d (FILE): their sorts would stay in memory", during, file)
	}
	if after != memory {
		t.Errorf("temp_store after it = %d, want %d (MEMORY)", after, memory)
	}
}
