package sync

import (
	"context"
	"slices"
	"testing"
)

// A start-over during a bulk indexing cut short (a restore of the shop
// while the desk indexes its first sync) leaves the cache as a fresh one:
// the indexes of purchases by date and of the month facts and pickup rows
// are there for the full pull that follows, and the search index is not
// left set up for bulk.
func TestStartOverEndsABulkCutShort(t *testing.T) {
	ctx := context.Background()
	fresh := mustOpenOffline(t)
	want := schemaOf(t, fresh)

	d := mustOpenOffline(t)
	fileAll(t, d, bulkPurchases(600), true)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := 0
	d.indexing = indexSizes{batch: 64, staff: 16, bulkAfter: 128, afterBatch: func() {
		if batches++; batches == 5 {
			cancel()
		}
	}}
	if err := d.indexCached(cctx, true); err == nil {
		t.Fatal("the indexing was not cut short: the test shows nothing")
	}
	if on, err := bulkIndexOn(ctx, d.c.r); err != nil || !on {
		t.Fatalf("the indexing was cut short before its bulk (%v): the test shows nothing", err)
	}
	// As if the bulk had also begun its end: the indexes of month_facts
	// and pickup_products dropped too.
	if err := d.c.write(ctx, "test", endBulkSteps(ctx, 0)[0]); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(schemaOf(t, d), want) {
		t.Fatal("the bulk left the schema as it was: the test shows nothing")
	}

	if err := d.startOver(ctx); err != nil {
		t.Fatal(err)
	}
	if got := schemaOf(t, d); !slices.Equal(got, want) {
		t.Errorf("the cache's schema after the start-over:\n%q\nwant a fresh cache's:\n%q", got, want)
	}
	if on, err := bulkIndexOn(ctx, d.c.r); err != nil || on {
		t.Errorf("the search index is still set up for bulk after the start-over (%v)", err)
	}
}
