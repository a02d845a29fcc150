package sync

import (
	"context"
	"database/sql"
	"testing"
)

// Indexing a batch of purchases writes their search words out once, as
// one b-tree (segment) of the search index, not one per purchase: the
// month facts filed with each purchase opened a statement journal, which
// made FTS5 write what it held after every purchase, and most of the
// indexing after a first sync went into writing and merging those
// segments.
func TestIndexingWritesTheSearchIndexOncePerBatch(t *testing.T) {
	ctx := context.Background()
	d := mustOpenOffline(t)
	// Few enough for one batch, and for FTS5 to hold their words in
	// memory (its hashsize, 1 MiB) until the batch commits.
	ps := bulkPurchases(100)
	err := d.c.write(ctx, "test", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		w.deferIndex = true // As a first sync files them.
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
	if err := d.indexCached(ctx, true); err != nil {
		t.Fatal(err)
	}
	var segments int
	if err := d.c.r.QueryRowContext(ctx, "SELECT count(DISTINCT segid) FROM purchase_search_idx").Scan(&segments); err != nil {
		t.Fatal(err)
	}
	if segments != 1 {
		t.Errorf("indexing %d purchases in one batch left %d segments in the search index, want 1", len(ps), segments)
	}
}
