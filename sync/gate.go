package sync

import (
	"context"
	stdsync "sync"
	"time"
)

// writeGate decides who writes to the cache next. SQLite takes one writer
// at a time, and the desk has two kinds: desk actions (a delivery, the copy
// of a scanned purchase, an outbox answer), which staff wait for, and the
// changes feed, which nobody waits for and which writes in large
// transactions because small ones cost many times the disk writes. Desk
// actions go first: a feed writer holding the gate watches Wanted and
// commits what it has at once, and it does not take the gate again while a
// desk action waits. So a scan waits for at most one row of the feed and
// its commit, never for a whole batch; a copy of the shop's answer to a scan
// does not wait at all (handOff).
type writeGate struct {
	mu   stdsync.Mutex
	held bool
	low  bool          // The holder is the feed.
	high int           // Desk actions waiting.
	free chan struct{} // Closed when the gate is released.
	want chan struct{} // Signalled when a desk action waits behind the feed.
	// copies are writes handed to the feed (see handOff), written by the
	// next holder of the gate.
	copies []func(*writer) error
	open   bool // A pull of the feed runs and takes hand-offs.

	// Desk actions under way that staff wait for, such as a scan asking
	// the shop (see deskAction), whether they write or not.
	active int
	since  time.Time     // When active last rose from 0.
	idle   chan struct{} // Closed when active falls back to 0.
	last   time.Time     // When the last desk action ended.
	// pauseLimit is deskPauseLimit, longer in tests; onPause, if set, is
	// called as the feed starts to pause, for tests to wait on.
	pauseLimit time.Duration
	onPause    func()
}

func newWriteGate() *writeGate {
	return &writeGate{free: make(chan struct{}), want: make(chan struct{}, 1), idle: make(chan struct{}),
		pauseLimit: deskPauseLimit}
}

// staffAtWork reports whether a desk action is under way or ended less
// than within ago: staff are at the desk, and a delivery may follow a scan.
func (g *writeGate) staffAtWork(within time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.active > 0 || (!g.last.IsZero() && time.Since(g.last) < within)
}

// deskPauseLimit is how long after a desk action starts the feed keeps
// pausing for it (see pauseForDesk). A scan takes a few milliseconds; one
// whose shop answers slowly must not hold the sync back for its whole
// timeout.
const deskPauseLimit = 200 * time.Millisecond

// deskAction marks a desk action that staff wait for as under way, until
// the function it returns is called. While one runs the feed pauses
// between rows (pauseForDesk): the feed's writer is pure CPU, and on a
// two-core desk PC it and the page decoder would otherwise keep the
// scan's goroutines (HTTP to the shop, the read of the outbox) waiting for
// a processor, up to a scheduler time slice per step.
func (g *writeGate) deskAction() (done func()) {
	g.mu.Lock()
	if g.active == 0 {
		g.since = time.Now()
	}
	g.active++
	g.mu.Unlock()
	var once stdsync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.active--
			g.last = time.Now()
			if g.active == 0 {
				close(g.idle)
				g.idle = make(chan struct{})
			}
			g.mu.Unlock()
		})
	}
}

// pauseForDesk waits while a desk action is under way (deskAction), for
// at most deskPauseLimit after the first of those under way began, and
// returns early when a desk action waits for the gate (the caller then
// commits and lets it in) or ctx ends. It reports whether it waited. The
// feed calls it between rows holding its transaction open: a pause costs
// no commit.
func (g *writeGate) pauseForDesk(ctx context.Context) bool {
	g.mu.Lock()
	if g.active == 0 || g.high > 0 {
		g.mu.Unlock()
		return false
	}
	// No desk action waits for the gate, so a want signal left in the
	// channel is stale (one gave up waiting): drop it, or it would end
	// this pause and every later one at once.
	select {
	case <-g.want:
	default:
	}
	left := g.pauseLimit - time.Since(g.since)
	idle, hook := g.idle, g.onPause
	g.mu.Unlock()
	if left <= 0 {
		return false
	}
	if hook != nil {
		hook()
	}
	t := time.NewTimer(left)
	defer t.Stop()
	for {
		select {
		case <-idle:
		case <-t.C:
		case <-ctx.Done():
		case <-g.want:
			g.mu.Lock()
			waiting := g.high > 0
			g.mu.Unlock()
			if !waiting {
				continue // It gave up waiting already: pause on.
			}
			// Put the signal back for pullFeed's select, in case the
			// waiting desk action is gone before the caller looks.
			select {
			case g.want <- struct{}{}:
			default:
			}
		}
		return true
	}
}

// waitDeskIdle waits while a desk action is under way (deskAction), for
// at most deskPauseLimit after the first of those under way began, or
// until ctx ends. The feed's fetcher calls it before each page. Unlike
// pauseForDesk it holds no transaction that a desk action waiting for
// the gate would need committed, so such a desk action does not end it.
func (g *writeGate) waitDeskIdle(ctx context.Context) {
	g.mu.Lock()
	if g.active == 0 {
		g.mu.Unlock()
		return
	}
	left := g.pauseLimit - time.Since(g.since)
	idle := g.idle
	g.mu.Unlock()
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	case <-ctx.Done():
	}
}

// lock takes the gate for a desk action.
func (g *writeGate) lock(ctx context.Context) error {
	g.mu.Lock()
	g.high++
	for g.held {
		if g.low {
			select {
			case g.want <- struct{}{}:
			default:
			}
		}
		free := g.free
		g.mu.Unlock()
		select {
		case <-free:
		case <-ctx.Done():
			g.mu.Lock()
			g.high--
			if !g.held && g.high == 0 {
				// The gate was let go while this desk action was giving
				// up: a feed that saw it waiting went back to waiting,
				// for a release nobody else will make.
				g.wake()
			}
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Lock()
	}
	g.high--
	g.held, g.low = true, false
	g.mu.Unlock()
	return nil
}

// lockLow takes the gate for the feed, once no desk action waits.
func (g *writeGate) lockLow(ctx context.Context) error {
	g.mu.Lock()
	for g.held || g.high > 0 {
		free := g.free
		g.mu.Unlock()
		select {
		case <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		g.mu.Lock()
	}
	g.held, g.low = true, true
	select { // A signal meant for an earlier holder.
	case <-g.want:
	default:
	}
	g.mu.Unlock()
	return nil
}

func (g *writeGate) unlock() {
	g.mu.Lock()
	g.held, g.low = false, false
	g.wake()
	g.mu.Unlock()
}

// wake lets everyone waiting for the gate look again; g.mu is held.
func (g *writeGate) wake() {
	close(g.free)
	g.free = make(chan struct{})
}

// wanted reports whether a desk action waits for the gate.
func (g *writeGate) wanted() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.high > 0
}

// wantC receives when a desk action starts waiting behind the feed.
func (g *writeGate) wantC() <-chan struct{} { return g.want }

// handOff gives fn to the feed instead of waiting for the gate, while a
// pull of the feed runs (see openCopies): for copies of what the shop
// answered, which nobody reads back before the next write. The feed writes
// them in its open transaction, or in the next one when it is committing;
// a desk action that takes the gate first writes them in its own
// transaction before its own writes (cache.write), so they never land
// after a later desk action. It reports whether fn was taken; if not, the
// caller writes it itself.
func (g *writeGate) handOff(fn func(*writer) error) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open {
		return false
	}
	g.copies = append(g.copies, fn)
	return true
}

// takeCopies returns the writes handed off so far, for the holder of the
// gate to write.
func (g *writeGate) takeCopies() []func(*writer) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	fns := g.copies
	g.copies = nil
	return fns
}

// openCopies lets handOff take copies: the feed calls it as its pull
// starts.
func (g *writeGate) openCopies() {
	g.mu.Lock()
	g.open = true
	g.mu.Unlock()
}

// closeCopies refuses further hand-offs and returns those not written yet,
// as the feed's pull ends.
func (g *writeGate) closeCopies() []func(*writer) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = false
	fns := g.copies
	g.copies = nil
	return fns
}
