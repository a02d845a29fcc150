package sync

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

func mustOpenCache(t *testing.T) *cache {
	t.Helper()
	c, err := openCache(context.Background(), filepath.Join(t.TempDir(), CacheFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })
	return c
}

// putFeedRows writes purchases FEED0000+from… into the batch's open
// transaction as apply does.
func putFeedRows(t *testing.T, b *feedBatch, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := b.w.putPurchase(&skranke.Purchase{Code: fmt.Sprintf("FEED%04d", i), Seq: int64(i + 1)}, nil); err != nil {
			t.Fatal(err)
		}
		b.rows++
	}
}

func countFeedRows(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM purchases WHERE code LIKE 'FEED%'").Scan(&n)
	return n, err
}

// pausedFeed opens a cache and a feed batch holding rows purchases in its
// open transaction, starts a scan (deskAction) and lets the feed give way
// in the background: it returns once the feed pauses, with the scan's end
// and the channel giveWay's result comes on.
func pausedFeed(t *testing.T, rows int) (c *cache, b *feedBatch, scanDone func(), gave <-chan giveWayResult) {
	t.Helper()
	ctx := context.Background()
	c = mustOpenCache(t)
	c.gate.pauseLimit = time.Hour // Only events end the pause here.
	paused := make(chan struct{}, 1)
	c.gate.onPause = func() { paused <- struct{}{} }
	b = &feedBatch{c: c}
	c.gate.openCopies()
	if err := b.begin(ctx); err != nil {
		t.Fatal(err)
	}
	putFeedRows(t, b, 0, rows)
	scanDone = c.gate.deskAction()
	ch := make(chan giveWayResult, 1)
	go func() {
		n, err := b.giveWay(ctx)
		ch <- giveWayResult{n, err}
	}()
	select {
	case <-paused:
	case r := <-ch:
		t.Fatalf("the feed went on while a scan was under way (committed %d, %v)", r.n, r.err)
	}
	return c, b, scanDone, ch
}

type giveWayResult struct {
	n   int
	err error
}

// While a scan is under way the feed pauses between rows with its
// transaction open; a desk action that then wants to write gets in at
// once: the feed commits the rows it holds, the desk action writes before
// the rest of the batch, and nothing of the batch is lost.
func TestDeskWriteDuringPauseGoesBeforeTheBatchRest(t *testing.T) {
	ctx := context.Background()
	c, b, scanDone, gave := pausedFeed(t, 50)

	// The desk action writes while the feed is paused mid-batch.
	var before int
	err := c.write(ctx, "test", func(tx *sql.Tx) error {
		var err error
		if before, err = countFeedRows(ctx, tx); err != nil {
			return err
		}
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		return w.putPurchase(&skranke.Purchase{Code: "DESK0001", Seq: 1000}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if before != 50 {
		t.Fatalf("the desk action saw %d of the feed's rows; want the 50 written before it, committed", before)
	}
	r := <-gave
	if r.err != nil || r.n != 50 {
		t.Fatalf("giveWay committed %d rows (%v), want 50", r.n, r.err)
	}
	scanDone()

	// The rest of the batch goes on in a new transaction.
	putFeedRows(t, b, 50, 100)
	if _, err := b.finish(); err != nil {
		t.Fatal(err)
	}
	b.close(ctx)
	if n, err := countFeedRows(ctx, c.r); err != nil || n != 100 {
		t.Fatalf("%d of the batch's 100 rows in the cache (%v)", n, err)
	}
	if _, _, ok, err := c.cachedPurchase(ctx, "DESK0001"); err != nil || !ok {
		t.Fatalf("the desk action's row is missing: %v", err)
	}
}

// A pause ends when the scan ends, without a commit: the batch stays one
// transaction, and what the scan handed off lands in it.
func TestPauseEndsWithTheScan(t *testing.T) {
	ctx := context.Background()
	c, b, scanDone, gave := pausedFeed(t, 10)
	if !c.gate.handOff(func(w *writer) error {
		return w.putPurchase(&skranke.Purchase{Code: "SCAN0001", Seq: 500}, nil)
	}) {
		t.Fatal("the scan's copy was refused during the pull")
	}
	scanDone()
	if r := <-gave; r.err != nil || r.n != 0 {
		t.Fatalf("the pause committed %d rows (%v); a scan that does not write should cost the batch no commit", r.n, r.err)
	}
	if b.rows != 10 || b.tx == nil {
		t.Fatalf("the batch's transaction holds %d rows (open %v), want the 10 before the pause", b.rows, b.tx != nil)
	}
	if _, err := b.finish(); err != nil {
		t.Fatal(err)
	}
	b.close(ctx)
	if _, _, ok, err := c.cachedPurchase(ctx, "SCAN0001"); err != nil || !ok {
		t.Fatalf("the scan's copy is missing: %v", err)
	}
}

// The feed does not pause without a scan under way, nor for a scan that
// has run longer than the limit (a shop answering slowly must not hold the
// sync back for the whole timeout).
func TestPauseOnlyForAScanUnderWay(t *testing.T) {
	ctx := context.Background()
	g := newWriteGate()
	if g.pauseForDesk(ctx) {
		t.Fatal("paused with no desk action under way")
	}
	g.pauseLimit = time.Millisecond
	done := g.deskAction()
	defer done()
	// However long the first pause takes, by its end the limit has passed.
	g.pauseForDesk(ctx)
	if g.pauseForDesk(ctx) {
		t.Fatal("paused again for a desk action older than the limit")
	}
	done()
	done() // Twice is harmless.
	if g.pauseForDesk(ctx) {
		t.Fatal("paused after the desk action ended")
	}
}
