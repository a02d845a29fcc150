package sync

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

// A copy of the shop's answer handed to the feed while no feed transaction
// is open (the feed is committing, or waits for its next page) is taken
// at once, and lands with the next writer: here a desk action, which
// writes it before its own writes, so that the copy never lands after it.
func TestCopiesWaitForTheNextWriter(t *testing.T) {
	ctx := context.Background()
	c, err := openCache(ctx, filepath.Join(t.TempDir(), CacheFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })
	keep := func(code string) func(*writer) error {
		return func(w *writer) error { return w.putPurchase(&skranke.Purchase{Code: code, Seq: 1}, nil) }
	}
	if c.gate.handOff(keep("NOFEED01")) {
		t.Fatal("a copy was taken while no pull runs")
	}
	b := &feedBatch{c: c}
	if err := b.begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.end(true); err != nil {
		t.Fatal(err)
	}
	// The feed's transaction is over; its pull is not.
	if !c.gate.handOff(keep("COPY0001")) {
		t.Fatal("a copy handed off between two feed transactions was refused: the scan would wait")
	}
	var seen bool
	err = c.write(ctx, "test", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT count(*) > 0 FROM purchases WHERE code = 'COPY0001'").Scan(&seen)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Fatal("a desk action ran before the copy handed off ahead of it")
	}
	// The end of the pull writes what is left and takes no more.
	if !c.gate.handOff(keep("COPY0002")) {
		t.Fatal("copy refused during the pull")
	}
	b.close(ctx)
	if c.gate.handOff(keep("NOFEED02")) {
		t.Fatal("a copy was taken after the pull ended")
	}
	if _, _, ok, err := c.cachedPurchase(ctx, "COPY0002"); err != nil || !ok {
		t.Fatalf("the copy left at the end of the pull was not written: %v", err)
	}
}

// TestGateWakesTheFeedWhenADeskActionGivesUp: a desk action that stops
// waiting for the gate (its context ended) just as the holder lets go must
// not leave the feed waiting for a release that never comes. The feed saw
// the desk action still waiting, went back to waiting, and nobody released
// the gate again: the sync loop then hung in shrinkWriter until the next
// desk action's write.
func TestGateWakesTheFeedWhenADeskActionGivesUp(t *testing.T) {
	// One P makes the unlucky order the usual one: the feed, readied last,
	// runs first and finds the desk action still counted.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for i := range 100 {
		g := newWriteGate()
		if err := g.lock(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		gaveUp := make(chan error, 1)
		go func() { gaveUp <- g.lock(ctx) }()
		for !g.wanted() {
			runtime.Gosched()
		}
		fed := make(chan error, 1)
		go func() { fed <- g.lockLow(context.Background()) }()
		runtime.Gosched() // The feed starts waiting too.
		cancel()
		g.unlock()
		if err := <-gaveUp; err == nil {
			g.unlock() // The desk action took the gate before it saw its end.
		}
		select {
		case err := <-fed:
			if err != nil {
				t.Fatal(err)
			}
			g.unlock()
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the gate is free and nobody waits for it, but the feed still waits", i)
		}
	}
}

// TestPauseIgnoresADeskActionThatGaveUp: a desk action that stopped
// waiting behind the feed leaves its want signal behind. A later scan's
// pause must not take that for a desk action waiting now: it would end at
// once, that pause and every later one, and the feed would run on through
// the scan.
func TestPauseIgnoresADeskActionThatGaveUp(t *testing.T) {
	g := newWriteGate()
	g.pauseLimit = time.Hour // Only the scan's end may end the pause.
	ctx := context.Background()
	if err := g.lockLow(ctx); err != nil { // The feed holds the gate.
		t.Fatal(err)
	}
	gaveUp, cancel := context.WithCancel(ctx)
	cancel()
	if err := g.lock(gaveUp); err == nil {
		t.Fatal("a desk action with its context ended took the gate from the feed")
	}
	for round := range 3 {
		done := g.deskAction() // A scan under way.
		var ended []string
		g.onPause = func() { done() } // The scan ends once the feed pauses.
		if !g.pauseForDesk(ctx) {
			t.Fatalf("round %d: the feed did not pause for the scan", round)
		}
		if len(g.want) != 0 {
			ended = append(ended, "the stale signal is still there")
		}
		if g.wanted() {
			ended = append(ended, "a desk action is counted as waiting")
		}
		if len(ended) > 0 {
			t.Fatalf("round %d: %v", round, ended)
		}
	}
}
