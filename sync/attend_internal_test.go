package sync

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

// While staff wait for a scan (Attend), the indexing that follows a first
// sync pauses between rows, as the feed does, and goes on when the scan is
// on screen: on a two-core desk PC its CPU would hold back the frame that
// shows the purchase.
func TestIndexingPausesWhileStaffWait(t *testing.T) {
	ctx := context.Background()
	d := mustOpenOffline(t)
	const n = 4 * yieldEvery
	err := d.c.write(ctx, "test", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		w.deferIndex = true // As a first sync files them.
		for i := range n {
			if err := w.putPurchase(&skranke.Purchase{Code: fmt.Sprintf("IDX%05d", i), Seq: int64(i + 1), Status: skranke.Captured}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d.c.gate.pauseLimit = time.Hour // Only the scan's end ends the pause here.
	paused := make(chan struct{}, 1)
	d.c.gate.onPause = func() {
		select {
		case paused <- struct{}{}:
		default:
		}
	}
	done := d.Attend()
	indexed := make(chan error, 1)
	go func() { indexed <- d.indexCached(ctx, true) }()
	select {
	case <-paused:
	case err := <-indexed:
		t.Fatalf("the indexing went on while staff waited for a scan (%v)", err)
	}
	done()
	if err := <-indexed; err != nil {
		t.Fatal(err)
	}
	var left int
	if err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM unindexed").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d purchases left unindexed after the scan", left)
	}
}
