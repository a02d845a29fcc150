package sync

import (
	"context"
	"testing"
)

// Review: an indexing that a reader (Month, Pickup by product, Sales)
// started before the background indexing switched to bulk goes on filing
// into the bulk tables (indexBatch looks for them in every transaction),
// but ends without ending the bulk (its own bulk was read once, at its
// start). Its caller then reads month_facts / pickup_products while the
// rows of every purchase indexed in bulk sit in the bulk tables.
func TestReviewReaderIndexingEndsWithRowsInBulkTables(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, Config{BaseURL: "http://127.0.0.1:1", DataDir: t.TempDir(), AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
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
	// What the reader's caller reads now (monthFacts, pickup by product).
	var bulkFacts, facts int
	if err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM month_facts_bulk").Scan(&bulkFacts); err != nil {
		t.Fatalf("no bulk table (%v): the test shows nothing", err)
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
