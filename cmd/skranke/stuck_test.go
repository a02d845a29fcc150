package main

import (
	"context"
	"testing"
	"time"
)

// TestExitIfStuck holds that a desk whose window loop does not return
// after a signal closes its cache and exits, and that one whose loop
// returns, before or after the signal, is left to stop by itself.
func TestExitIfStuck(t *testing.T) {
	cases := []struct {
		name       string
		signal     bool // The signal comes (ctx ends).
		loopReturn bool // Fyne's loop returns after it.
		want       []string
	}{
		{name: "loop stuck after the signal", signal: true, want: []string{"close", "exit 0"}},
		{name: "loop returns after the signal", signal: true, loopReturn: true},
		{name: "loop returns without a signal", loopReturn: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ran := make(chan struct{})
			events := make(chan string, 4)
			done := make(chan struct{})
			grace := time.Hour
			if !tc.loopReturn {
				grace = time.Millisecond // The loop never returns: no wait is needed.
			}
			go func() {
				defer close(done)
				exitIfStuck(ctx, ran, grace,
					func() { events <- "close" },
					func(code int) { events <- "exit " + string(rune('0'+code)) })
			}()
			if tc.signal {
				cancel()
			}
			if tc.loopReturn {
				close(ran)
			}
			<-done
			close(events)
			var got []string
			for e := range events {
				got = append(got, e)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
