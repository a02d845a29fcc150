package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

// A page filed many purchases to a statement (writer.fileMany) keeps what
// one statement per purchase kept: the newest copy of a purchase sent
// twice, whether the newer copy comes first or last and whether both are in
// one statement or not; a purchase with deliveries in between, with its
// delivery for the daily report; and every purchase, up to the page's odd
// tail that fills no whole statement.
func TestApplyFilesManyPerStatement(t *testing.T) {
	ctx := context.Background()
	c, err := openCache(ctx, filepath.Join(t.TempDir(), CacheFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })

	raw := func(code string, seq int64, buyer string) json.RawMessage {
		b, err := json.Marshal(skranke.Purchase{Code: code, Seq: seq, Buyer: skranke.Buyer{Name: buyer}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Codes the feed check takes for purchase codes: body and check character.
	ref := func(body string) string { return body + string(skranke.CheckSymbol(body)) }
	const n = 2*fileManyRows + 7 // Two whole statements and a tail.
	var page ChangesPage
	want := map[string]string{} // Code: buyer of the newest copy.
	for i := range n {
		code := ref(fmt.Sprintf("MANY%03d", i))
		page.Purchases = append(page.Purchases, raw(code, int64(10+i), "first"))
		want[code] = "first"
	}
	// Sent twice in the first statement, newer copy last.
	page.Purchases[3] = raw(ref("TWCE001"), 5, "old")
	page.Purchases[9] = raw(ref("TWCE001"), 6, "new")
	want[ref("TWCE001")] = "new"
	delete(want, ref("MANY003"))
	delete(want, ref("MANY009"))
	// Sent twice in the second statement, newer copy first.
	page.Purchases[fileManyRows+1] = raw(ref("TWCE002"), 8, "new")
	page.Purchases[fileManyRows+2] = raw(ref("TWCE002"), 7, "old")
	want[ref("TWCE002")] = "new"
	delete(want, ref(fmt.Sprintf("MANY%03d", fileManyRows+1)))
	delete(want, ref(fmt.Sprintf("MANY%03d", fileManyRows+2)))
	// A purchase with a delivery in the middle of the first statement.
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	delivered, err := json.Marshal(skranke.Purchase{Code: ref("DEV0001"), Seq: 50, Buyer: skranke.Buyer{Name: "first"}, Status: skranke.Captured,
		Lines:      []skranke.Line{{ID: "l1", Name: "Shaker", Quantity: 1, UnitPrice: 9900, Delivered: 1}},
		Deliveries: []skranke.Delivery{{ID: "d1", PurchaseCode: ref("DEV0001"), At: at, Lines: []skranke.DeliveredLine{{LineID: "l1", Quantity: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	page.Purchases[20] = delivered
	delete(want, ref("MANY020"))
	want[ref("DEV0001")] = "first"
	page.Next = 100

	b := &feedBatch{c: c}
	if _, err := b.apply(ctx, &page); err != nil {
		t.Fatal(err)
	}
	if _, err := b.finish(); err != nil {
		t.Fatal(err)
	}
	b.close(ctx)

	// A later page of purchases cached already, a whole statement's worth:
	// newer copies replace the cached ones, an older copy is kept out.
	again := ChangesPage{Purchases: []json.RawMessage{raw(ref("TWCE001"), 5, "old")}, Next: 1000}
	for i := 40; len(again.Purchases) < fileManyRows; i++ {
		code := ref(fmt.Sprintf("MANY%03d", i))
		again.Purchases = append(again.Purchases, raw(code, int64(100+i), "second"))
		want[code] = "second"
	}
	b = &feedBatch{c: c}
	if _, err := b.apply(ctx, &again); err != nil {
		t.Fatal(err)
	}
	if _, err := b.finish(); err != nil {
		t.Fatal(err)
	}
	b.close(ctx)

	var count int
	if err := c.r.QueryRowContext(ctx, "SELECT count(*) FROM purchases").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != len(want) {
		t.Errorf("%d purchases cached, want %d", count, len(want))
	}
	for code, buyer := range want {
		p, _, ok, err := c.cachedPurchase(ctx, code)
		if err != nil || !ok {
			t.Fatalf("purchase %s not cached: %v", code, err)
		}
		if p.Buyer.Name != buyer {
			t.Errorf("purchase %s cached with buyer %q, want %q (the newest copy)", code, p.Buyer.Name, buyer)
		}
	}
	var deliveries int
	if err := c.r.QueryRowContext(ctx, "SELECT count(*) FROM activities WHERE kind = 'delivery' AND code = ? AND synced", ref("DEV0001")).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if deliveries != 1 {
		t.Errorf("%d synced deliveries recorded for %s, want 1", deliveries, ref("DEV0001"))
	}
	var unindexed int
	if err := c.r.QueryRowContext(ctx, "SELECT count(*) FROM unindexed").Scan(&unindexed); err != nil {
		t.Fatal(err)
	}
	if unindexed != len(want) {
		t.Errorf("%d purchases wait for indexing, want all %d", unindexed, len(want))
	}
	if cursor, err := c.meta(ctx, "cursor"); err != nil || cursor != "1000" {
		t.Errorf("cursor %q (%v), want 1000", cursor, err)
	}
}

// The feed's transactions grow with the cache, from feedBatchRows, as long
// as their rows and the code index fit the writer's page cache, and never
// past feedBatchMaxRows.
func TestBatchRowsGrowWithTheCache(t *testing.T) {
	last := 0
	for _, cached := range []int{0, 100_000, 400_000, 600_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 10_000_000} {
		b := &feedBatch{c: &cache{gate: newWriteGate()}, cached: cached}
		rows := b.batchRows()
		if rows < feedBatchRows || rows > feedBatchMaxRows {
			t.Errorf("cached %d: %d rows a transaction, want %d to %d", cached, rows, feedBatchRows, feedBatchMaxRows)
		}
		if dirty := rows*feedRowBytes + cached*feedIndexBytes; rows > feedBatchRows && dirty > writerCacheKiB<<10 {
			t.Errorf("cached %d: %d rows a transaction dirty about %d bytes, more than the writer's page cache", cached, rows, dirty)
		}
		if cached <= 1_000_000 && rows < last {
			t.Errorf("cached %d: %d rows a transaction, fewer than %d for a smaller cache", cached, rows, last)
		}
		last = rows
		t.Logf("cached %d: %d rows a transaction", cached, rows)
	}
	b := &feedBatch{c: &cache{gate: newWriteGate()}, cached: 1_000_000}
	if b.batchRows() <= feedBatchRows {
		t.Errorf("a cache of a million takes transactions of %d rows, no more than an empty one", b.batchRows())
	}
	// While staff are at the desk, and for a while after, a delivery
	// waits no longer for the feed's commit than at an empty cache.
	done := b.c.gate.deskAction()
	if rows := b.batchRows(); rows != feedBatchRows {
		t.Errorf("during a scan: transactions of %d rows, want %d", rows, feedBatchRows)
	}
	done()
	if rows := b.batchRows(); rows != feedBatchRows {
		t.Errorf("right after a scan: transactions of %d rows, want %d", rows, feedBatchRows)
	}
	b.c.gate.last = time.Now().Add(-2 * staffWindow)
	if rows := b.batchRows(); rows <= feedBatchRows {
		t.Errorf("long after a scan: transactions of %d rows, want more than %d", rows, feedBatchRows)
	}
}

// The changes feed files a purchase's search columns (created, status,
// remaining, products) as indexing it files them, from the purchase
// decoded whole, however its JSON is written: so the indexing after a
// first sync writes no purchase's row again. Columns filed otherwise, as
// a cache from before they came with the feed holds them, the indexing
// puts right.
func TestFeedFilesSearchColumns(t *testing.T) {
	ctx := context.Background()
	d := mustOpenOffline(t)
	ref := func(body string) string { return body + string(skranke.CheckSymbol(body)) }
	oslo := time.FixedZone("CEST", 2*3600)
	var page ChangesPage
	for i := range 2*fileManyRows + 5 {
		at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		p := &skranke.Purchase{Code: ref(fmt.Sprintf("CMNS%03d", i)), Seq: int64(i + 1), Status: skranke.Captured,
			Buyer: skranke.Buyer{Name: "Kari Nordmann"}, CreatedAt: at, UpdatedAt: at,
			Lines: []skranke.Line{
				{ID: "l1", ProductID: "p1", Name: "10-klippekort", Kind: skranke.Service, Quantity: 1, UnitPrice: 99000, VATRate: 25},
				{ID: "l2", ProductID: "p2", Name: "Drikkeflaske", Kind: skranke.Physical, Quantity: 2, UnitPrice: 14950, VATRate: 25},
			}}
		switch i % 6 {
		case 1:
			p.CreatedAt, p.Status = time.Date(2026, 3, 29, 3, 30, 0, 123456789, oslo), skranke.Pending
		case 2:
			p.Lines[0].Name = "Klippekort \"10\" \\ æøå\u2028" // Escaped by encoding/json.
		case 3:
			p.Lines[1].Delivered, p.Status = 1, skranke.Credited
		case 4:
			p.CreatedAt, p.Lines = time.Time{}, nil
		case 5:
			p.Lines[1].Delivered = 2
			p.Deliveries = []skranke.Delivery{{ID: "d1", PurchaseCode: p.Code, At: p.CreatedAt,
				Lines: []skranke.DeliveredLine{{LineID: "l2", Quantity: 2}}}}
		}
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		page.Purchases = append(page.Purchases, raw)
	}
	// Written otherwise than the shop writes them: keys in another case,
	// spaces, a status given twice.
	page.Purchases = append(page.Purchases,
		json.RawMessage(`{"Code":"`+ref("ADD0001")+`","seq":900,"STATUS":"captured","Created_At":"2026-11-30T10:00:00+01:00","lines":[{"id":"1","Name":"Yoga","quantity":3}]}`),
		json.RawMessage(` { "code" : "`+ref("ADD0002")+`" , "seq" : 901 , "status" : "failed" , "status" : "captured" , "lines" : [ { "id" : "1" , "name" : "Spinning" , "quantity" : 2 , "delivered" : 1 } ] } `))
	page.Next = 1000
	b := &feedBatch{c: d.c}
	if _, err := b.apply(ctx, &page); err != nil {
		t.Fatal(err)
	}
	if _, err := b.finish(); err != nil {
		t.Fatal(err)
	}
	b.close(ctx)

	check := func(when string) {
		t.Helper()
		rows, err := d.c.r.QueryContext(ctx, "SELECT code, body, created, status, remaining, products FROM purchases")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var code string
			var body []byte
			var filed searchCols
			if err := rows.Scan(&code, &body, &filed.created, &filed.status, &filed.remaining, &filed.products); err != nil {
				t.Fatal(err)
			}
			var p skranke.Purchase
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if want := colsOf(&p); filed != want {
				t.Errorf("%s: purchase %s filed with %+v, want %+v", when, code, filed, want)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != len(page.Purchases) {
			t.Errorf("%s: %d purchases cached, want %d", when, n, len(page.Purchases))
		}
	}
	check("filed by the feed")
	var queued int
	if err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM unindexed").Scan(&queued); err != nil || queued != len(page.Purchases) {
		t.Errorf("%d purchases queued for indexing (%v), want all %d", queued, err, len(page.Purchases))
	}

	// As a cache of an older version had them.
	if _, err := d.c.w.ExecContext(ctx, "UPDATE purchases SET created = 0, status = '', remaining = 0, products = '' WHERE rowid % 3 = 0"); err != nil {
		t.Fatal(err)
	}
	if err := d.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	check("indexed")
	if err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM unindexed").Scan(&queued); err != nil || queued != 0 {
		t.Errorf("%d purchases left queued after the indexing (%v)", queued, err)
	}
}

// A purchase the feed files but that does not decode whole (a line's VAT
// rate as a string) stays out of the search once indexed, and out of the
// pickup list, its count and the sales, which decode what they select: its
// search columns, filed by the feed, are cleared; the rest are listed.
func TestDamagedPurchaseStaysOutOfPickupAndSales(t *testing.T) {
	ctx := context.Background()
	d := mustOpenOffline(t)
	ref := func(body string) string { return body + string(skranke.CheckSymbol(body)) }
	good := &skranke.Purchase{Code: ref("GD00001"), Seq: 1, Status: skranke.Captured, CreatedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
		Lines: []skranke.Line{{ID: "l1", Name: "Yoga", Quantity: 1, UnitPrice: 10000, VATRate: 25}}}
	raw, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	damaged := json.RawMessage(`{"code":"` + ref("BD00001") + `","seq":2,"status":"captured","created_at":"2026-11-02T09:00:00Z","lines":[{"id":"l1","name":"Shaker","quantity":1,"unit_price":100,"vat_rate":"25"}]}`)
	b := &feedBatch{c: d.c}
	if _, err := b.apply(ctx, &ChangesPage{Purchases: []json.RawMessage{raw, damaged}, Next: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.finish(); err != nil {
		t.Fatal(err)
	}
	b.close(ctx)
	if err := d.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	l, err := d.Pickup(ctx, PickupFilter{})
	if err != nil {
		t.Fatalf("the pickup list fails: %v", err)
	}
	if len(l.Purchases) != 1 || l.Purchases[0].Code != good.Code || l.Total != 1 {
		t.Errorf("the pickup list holds %+v (total %d), want %s alone", l.Purchases, l.Total, good.Code)
	}
	if n, err := d.PickupCount(ctx); err != nil || n != 1 {
		t.Errorf("%d purchases counted waiting (%v), want 1", n, err)
	}
	if _, err := d.Sales(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("the sales fail: %v", err)
	}
}

// While a first sync's pull files purchases, with the indexes of waiting
// purchases dropped for the indexing after it, the scan screen's count
// says it cannot count yet (Unavailable) rather than read every purchase
// filed after every batch; once the pull is over it counts them all.
func TestPickupCountDuringFirstSync(t *testing.T) {
	ctx := context.Background()
	d := mustOpenOffline(t)
	var raws []json.RawMessage
	for i := range 300 {
		body := fmt.Sprintf("WT%05d", i)
		raw, err := json.Marshal(skranke.Purchase{Code: body + string(skranke.CheckSymbol(body)), Seq: int64(i + 1), Status: skranke.Captured,
			CreatedAt: time.Date(2026, 11, 1, 9, 0, i, 0, time.UTC), Lines: []skranke.Line{{ID: "l1", Name: "Yoga", Quantity: 1, UnitPrice: 10000}}})
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	d.pulling.Add(1)
	b := &feedBatch{c: d.c, bulkAhead: true}
	for i := 0; i < len(raws); i += 100 {
		if _, err := b.apply(ctx, &ChangesPage{Purchases: raws[i : i+100], Next: int64(i + 100), More: i+100 < len(raws)}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.finish(); err != nil {
			t.Fatal(err)
		}
		if n, err := d.PickupCount(ctx); skranke.KindOf(err) != skranke.Unavailable {
			t.Fatalf("counted %d waiting during the first sync (%v), want Unavailable", n, err)
		}
	}
	b.close(ctx)
	d.pulling.Add(-1)
	if n, err := d.PickupCount(ctx); err != nil || n != len(raws) {
		t.Errorf("%d purchases counted waiting after the first sync (%v), want %d", n, err, len(raws))
	}
}
