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
	if err := c.r.QueryRowContext(ctx, "SELECT count(*) FROM purchases WHERE indexed = 0").Scan(&unindexed); err != nil {
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
