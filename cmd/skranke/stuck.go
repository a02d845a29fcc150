package main

import (
	"context"
	"log/slog"
	"time"
)

// quitGrace is how long the desk waits, after a SIGINT, a SIGTERM or its
// window closing, for Fyne's loop to return before it stops without it.
const quitGrace = 10 * time.Second

// exitIfStuck waits for ctx to end (a signal, or the window closing) and
// then for ran to close, at most grace; if ran is still open by then, it
// calls closeDesk and exit. Fyne's shutdown empties the queue of work
// handed to its loop once, and a lifecycle call still on its way is lost
// with its caller waiting for it forever: the window is gone but the
// process stays, holding the cache, and a service manager's restart or the
// next start finds it locked (seen once in about twenty stops, with a
// goroutine dump in docs/bench/s6-deskres/hang-new-a.txt). The cache is
// closed first, so that what staff did is on disk before the process ends.
func exitIfStuck(ctx context.Context, ran <-chan struct{}, grace time.Duration, closeDesk func(), exit func(code int)) {
	select {
	case <-ran:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-ran:
	case <-t.C:
		slog.Error("the window's loop did not stop after the signal; stopping without it", "waited", grace)
		closeDesk()
		exit(0)
	}
}
