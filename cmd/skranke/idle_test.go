package main

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeMain stands in for GLFW and Fyne's main thread: wait blocks until
// post or until the test lets the rest run out (expire).
type fakeMain struct {
	mu      sync.Mutex
	now     time.Time
	posts   int
	waiting chan struct{} // Receives when a wait begins.
	end     chan bool     // true: an event (post), false: the rest ran out.
	offMain bool
}

func newFakeMain() *fakeMain {
	return &fakeMain{now: time.Unix(1_000_000, 0), waiting: make(chan struct{}, 16), end: make(chan bool, 16)}
}

func (f *fakeMain) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeMain) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fakeMain) loop(linger, rest, settle time.Duration) *restLoop {
	l := &restLoop{
		wait: func(d time.Duration) {
			f.waiting <- struct{}{}
			if !<-f.end {
				f.advance(d) // The rest ran out.
			}
		},
		post: func() {
			f.mu.Lock()
			f.posts++
			f.mu.Unlock()
			f.end <- true
		},
		onMain: func(fn func()) { fn() },
		isMain: func() bool { return !f.offMain },
		now:    f.clock,
		linger: linger, rest: rest, settle: settle,
	}
	l.until = f.clock().Add(linger)
	return l
}

// TestRestLoopParks checks what the main thread does at rest and after
// activity: it waits only once the loop has run for what it ran for (the
// window coming up: linger), a wait that runs out counts no activity and
// lets the loop tick for settle, and a change the desk hands the UI ends
// the wait at once with a single post and lets the loop run for settle,
// a few frames to draw it.
func TestRestLoopParks(t *testing.T) {
	f := newFakeMain()
	l := f.loop(500*time.Millisecond, time.Second, 40*time.Millisecond)

	if waited, _ := l.park(); waited {
		t.Fatal("parked right after activity")
	}
	f.advance(499 * time.Millisecond)
	if waited, _ := l.park(); waited {
		t.Fatal("parked within linger of activity")
	}
	f.advance(time.Millisecond)

	// At rest: a wait that runs out counts as no activity, and the loop
	// parks again after a tick or two.
	for i := range 2 {
		f.end <- false
		if waited, woken := l.park(); !waited || woken {
			t.Fatalf("at rest, wait %d: waited %v, woken %v; want a wait that ran out", i, waited, woken)
		}
		<-f.waiting
		if waited, _ := l.park(); waited {
			t.Fatalf("at rest, wait %d: parked again without a tick", i)
		}
		f.advance(40 * time.Millisecond)
	}

	// A change from another goroutine during a wait.
	done := make(chan [2]bool)
	go func() {
		w, k := l.park()
		done <- [2]bool{w, k}
	}()
	<-f.waiting
	l.touch()
	l.touch() // A second change during the same wait posts nothing more.
	if r := <-done; !r[0] || !r[1] {
		t.Fatalf("touched during a wait: waited %v, woken %v; want woken", r[0], r[1])
	}
	if f.posts != 1 {
		t.Fatalf("%d posts for two changes during one wait, want 1", f.posts)
	}
	if l.woken.Load() != 1 || l.waits.Load() != 3 {
		t.Fatalf("waits %d (woken %d), want 3 (1)", l.waits.Load(), l.woken.Load())
	}
	if waited, _ := l.park(); waited {
		t.Fatal("parked right after a change")
	}
	f.advance(39 * time.Millisecond)
	if waited, _ := l.park(); waited {
		t.Fatal("parked before a change was drawn")
	}
	// A change while not waiting posts nothing: the loop is running.
	l.touch()
	if f.posts != 1 {
		t.Fatalf("a change while the loop runs posted (%d posts)", f.posts)
	}
}

// TestRestLoopEventEndsWait checks that an input event, which ends GLFW's
// wait without a post, counts as activity: the loop lingers after it to
// draw what the event changed.
func TestRestLoopEventEndsWait(t *testing.T) {
	f := newFakeMain()
	l := f.loop(500*time.Millisecond, time.Second, 40*time.Millisecond)
	f.advance(time.Second)
	l.wait = func(time.Duration) { f.advance(20 * time.Millisecond) } // A key press 20 ms in.
	if waited, woken := l.park(); !waited || !woken {
		t.Fatalf("a key press during the wait: waited %v, woken %v; want woken", waited, woken)
	}
	f.advance(499 * time.Millisecond)
	if waited, _ := l.park(); waited {
		t.Fatal("parked within linger of a key press")
	}
	f.advance(time.Millisecond)
	f.end <- false
	if waited, _ := l.park(); !waited {
		t.Fatal("did not park after linger")
	}
}

// TestRestLoopRunStops checks that run ends a wait when its context ends
// (the desk quitting on a signal must not wait for the rest to run out),
// and that it stops once Fyne's loop is gone (onMain then runs its func
// off the main thread, where nothing may wait).
func TestRestLoopRunStops(t *testing.T) {
	f := newFakeMain()
	l := f.loop(0, time.Hour, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.run(ctx); close(done) }()
	<-f.waiting
	cancel()
	<-done
	if f.posts != 1 {
		t.Fatalf("%d posts when the context ended during a wait, want 1", f.posts)
	}

	f = newFakeMain()
	f.offMain = true
	l = f.loop(0, time.Hour, 0)
	done = make(chan struct{})
	go func() { l.run(context.Background()); close(done) }()
	<-done
	if n := l.waits.Load(); n != 0 {
		t.Fatalf("%d waits off the main thread, want 0", n)
	}
}

// TestRestLoopTouchAfterDecisionToPark checks that a change handed to the
// UI after run decided to park, and queued behind the park on Fyne's queue,
// is not held up for a whole wait when the main thread reaches the park
// only after settle has run out (a long frame on a busy machine).
func TestRestLoopTouchAfterDecisionToPark(t *testing.T) {
	f := newFakeMain()
	l := f.loop(500*time.Millisecond, time.Second, 40*time.Millisecond)
	f.advance(500 * time.Millisecond) // At rest.

	l.mu.Lock() // What run does before it queues the park.
	l.armed, l.armedAt = true, l.touches
	l.mu.Unlock()
	l.touch()                        // A sync report: its change is queued behind the park.
	f.advance(50 * time.Millisecond) // The main thread gets to the park late.
	f.end <- false                   // Ends a wait at once, should park wait.
	if waited, _ := l.park(); waited {
		t.Fatal("parked with a change queued behind the park")
	}
	// The next park, decided after that change, waits as before.
	f.advance(50 * time.Millisecond)
	l.mu.Lock()
	l.armed, l.armedAt = true, l.touches
	l.mu.Unlock()
	f.end <- false
	if waited, _ := l.park(); !waited {
		t.Fatal("did not park at rest")
	}
}
