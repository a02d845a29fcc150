package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// restLoop parks Fyne's event loop while the desk is at rest. Fyne's GLFW
// driver wakes its main thread 60 times a second to poll for input and
// look for something to draw, whether anything changed or not
// (fyne-io/fyne#2506): on a 2-core desk PC that alone was 1.4-2.7 % of a
// core, most of the desk's idle CPU. While nothing happens, restLoop hands
// the main thread a function that waits for the next input event itself
// (GLFW's WaitEventsTimeout, through wait), so the loop does not tick:
// a key, a click or a window event ends the wait at once, and so does a
// change the desk hands the UI from another goroutine (touch, which the
// desk calls before each). After input the loop runs freely for linger,
// to draw what changed and to see a double click through; after a change
// from the desk for settle, a few frames, since the sync loop's reports
// come every few seconds; and a wait ends after rest at the latest, so
// that what Fyne itself queues (a theme change, a quit on SIGTERM) waits
// no longer than that.
type restLoop struct {
	wait   func(d time.Duration) // Waits for an input event, at most d; on the main thread.
	post   func()                // Ends a wait from any goroutine.
	onMain func(fn func())       // Runs fn on the main thread and returns when it has run.
	isMain func() bool           // Whether the caller is on the main thread.
	now    func() time.Time

	linger time.Duration // How long the loop runs freely after input.
	rest   time.Duration // The longest wait.
	settle time.Duration // How long it runs after a change from the desk, or a wait that saw nothing.
	start  time.Duration // How long it runs before run first parks it: the window coming up.

	mu      sync.Mutex
	until   time.Time // The loop runs freely until then.
	waiting bool      // The main thread is in wait.
	posted  bool      // post was called during this wait.
	touches uint64    // Calls of touch.
	armed   bool      // run has queued a park, when touches was armedAt.
	armedAt uint64

	waits, woken atomic.Int64 // Waits, and waits that activity ended early: for tests.
}

// Durations of restLoop for the desk: a double click (Fyne's 300 ms)
// falls within linger, and a second is the longest anything Fyne queues
// by itself waits for the main thread.
const (
	restLinger = 500 * time.Millisecond
	restMax    = time.Second
	restSettle = 40 * time.Millisecond
	restStart  = 2 * time.Second
)

// touch ends a wait in progress and keeps the loop running for settle.
// The desk calls it before it hands the UI a change from another
// goroutine.
func (l *restLoop) touch() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runFor(l.settle)
	l.touches++
	if l.waiting && !l.posted {
		l.posted = true
		l.post()
	}
}

// runFor keeps the loop running for at least d from now; l.mu is held.
func (l *restLoop) runFor(d time.Duration) {
	if u := l.now().Add(d); u.After(l.until) {
		l.until = u
	}
}

// runsFor is how much longer the loop runs freely.
func (l *restLoop) runsFor() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until.Sub(l.now())
}

// park waits on the main thread for activity, at most rest, unless the
// loop is to run freely still. It reports whether it waited, and whether
// activity ended the wait.
func (l *restLoop) park() (waited, woken bool) {
	l.mu.Lock()
	// A touch after run decided to park came with a change queued behind
	// the park on Fyne's queue: waiting would hold it up to rest if the
	// main thread got here after settle (a long frame, a busy machine).
	touched := l.armed && l.touches != l.armedAt
	l.armed = false
	if touched || l.now().Before(l.until) {
		l.mu.Unlock()
		return false, false
	}
	l.waiting, l.posted = true, false
	l.mu.Unlock()
	start := l.now()
	l.wait(l.rest)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiting = false
	// An input event ends the wait early without a post: GLFW has already
	// handed it to Fyne's handlers, and what they changed is drawn while
	// the loop lingers. A post (touch) has set the loop's time already.
	woken = l.posted || l.now().Sub(start) < l.rest*9/10
	if !l.posted && woken {
		l.runFor(l.linger)
	}
	if woken {
		l.woken.Add(1)
	} else {
		// Let the loop tick once or twice: what Fyne queued meanwhile
		// runs and is drawn, and its caches see the window alive.
		l.runFor(l.settle)
	}
	l.waits.Add(1)
	return true, woken
}

// run parks the event loop whenever it has nothing to run for, until ctx
// ends or the loop has stopped (onMain then runs fn off the main thread,
// and nothing may wait there).
func (l *restLoop) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, l.touch)
	defer stop()
	l.mu.Lock()
	l.runFor(l.start)
	l.mu.Unlock()
	for ctx.Err() == nil {
		if d := l.runsFor(); d > 0 {
			if !sleepCtx(ctx, d) {
				return
			}
			continue
		}
		l.mu.Lock()
		l.armed, l.armedAt = true, l.touches
		l.mu.Unlock()
		onMain := true
		l.onMain(func() {
			if onMain = l.isMain(); onMain && ctx.Err() == nil {
				l.park()
			}
		})
		if !onMain {
			return
		}
	}
}

// sleepCtx waits for d or for ctx to end, and reports whether ctx is still
// alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
