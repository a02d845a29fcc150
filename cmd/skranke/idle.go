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
// desk calls before each). After any of these the loop runs freely for
// linger, to draw what changed and to see a double click through, and a
// wait ends after rest at the latest, so that what Fyne itself queues
// (a theme change, a quit on SIGTERM) waits no longer than that.
type restLoop struct {
	wait   func(d time.Duration) // Waits for an input event, at most d; on the main thread.
	post   func()                // Ends a wait from any goroutine.
	onMain func(fn func())       // Runs fn on the main thread and returns when it has run.
	isMain func() bool           // Whether the caller is on the main thread.
	now    func() time.Time

	linger time.Duration // How long the loop runs freely after activity.
	rest   time.Duration // The longest wait.
	settle time.Duration // How long the loop runs after a wait that saw nothing.

	last    atomic.Int64 // When the desk was last active, in Unix nanoseconds.
	mu      sync.Mutex
	waiting bool // The main thread is in wait.
	posted  bool // post was called during this wait.

	waits, woken atomic.Int64 // Waits, and waits that activity ended early: for tests.
}

// Durations of restLoop for the desk: a double click (Fyne's 300 ms)
// falls within linger, and a second is the longest anything Fyne queues
// by itself waits for the main thread.
const (
	restLinger = 500 * time.Millisecond
	restMax    = time.Second
	restSettle = 40 * time.Millisecond
)

// touch records activity and ends a wait in progress. The desk calls it
// before it hands the UI a change from another goroutine.
func (l *restLoop) touch() {
	l.last.Store(l.now().UnixNano())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waiting && !l.posted {
		l.posted = true
		l.post()
	}
}

// idleFor is how long the desk has been inactive.
func (l *restLoop) idleFor() time.Duration {
	return l.now().Sub(time.Unix(0, l.last.Load()))
}

// park waits on the main thread for activity, at most rest, unless there
// was activity within linger. It reports whether it waited, and whether
// activity ended the wait.
func (l *restLoop) park() (waited, woken bool) {
	l.mu.Lock()
	if l.idleFor() < l.linger {
		l.mu.Unlock()
		return false, false
	}
	l.waiting, l.posted = true, false
	l.mu.Unlock()
	start := l.now()
	l.wait(l.rest)
	l.mu.Lock()
	l.waiting = false
	posted := l.posted
	l.mu.Unlock()
	// An input event ends the wait early without a post: GLFW has already
	// handed it to Fyne's handlers, and what they changed is drawn while
	// the loop lingers.
	woken = posted || l.now().Sub(start) < l.rest*9/10
	if woken {
		l.last.Store(l.now().UnixNano())
		l.woken.Add(1)
	}
	l.waits.Add(1)
	return true, woken
}

// run parks the event loop whenever the desk has been inactive for
// linger, until ctx ends or the loop has stopped (onMain then runs fn off
// the main thread, and nothing may wait there).
func (l *restLoop) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, l.touch)
	defer stop()
	for ctx.Err() == nil {
		if d := l.linger - l.idleFor(); d > 0 {
			if !sleepCtx(ctx, d) {
				return
			}
			continue
		}
		onMain := true
		waited, woken := false, false
		l.onMain(func() {
			if onMain = l.isMain(); onMain && ctx.Err() == nil {
				waited, woken = l.park()
			}
		})
		if !onMain {
			return
		}
		if waited && !woken {
			// Let the loop tick once or twice: what Fyne queued meanwhile
			// runs and is drawn, and its caches see the window alive.
			if !sleepCtx(ctx, l.settle) {
				return
			}
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
