package app

import (
	"log/slog"
	"time"
)

// scanSteps times the steps of one scan, from its Enter to the frame that
// shows its purchase, and logs them on one line ("scan steps", times in
// milliseconds), so that a slow scan tells where its time went: the UI
// work before the lookup, the lookup, the wait for the UI goroutine, the
// widgets, and the paint. Times are the wall clock's, not the desk's.
type scanSteps struct {
	code     string
	start    time.Time // The scan screen took the code.
	asked    time.Time // The lookup was started.
	answered time.Time // The lookup returned (off the UI goroutine).
	applied  time.Time // Its answer reached the UI goroutine.
	shown    time.Time // The widgets show the purchase.
	source   string    // "cache" or "shop": where the answer came from.
	between  time.Time // A frame painted between the start and the answer, if any.
}

func newScanSteps(code string) *scanSteps { return &scanSteps{code: code, start: time.Now()} }

// from is a copy of the steps so far, for the answer from source: the
// cache's and the shop's come on their own goroutines.
func (st *scanSteps) from(source string) *scanSteps {
	c := *st
	c.source = source
	return &c
}

// log writes the steps, the frame with the purchase having been recorded
// at painted and put on screen at onScreen (see paintProbe).
func (st *scanSteps) log(painted, onScreen time.Time) {
	ms := func(from, to time.Time) float64 {
		if from.IsZero() || to.IsZero() {
			return 0
		}
		return float64(to.Sub(from).Microseconds()) / 1e3
	}
	slog.Info("scan steps", "code", st.code, "from", st.source,
		"before_ms", ms(st.start, st.asked), "lookup_ms", ms(st.asked, st.answered),
		"queued_ms", ms(st.answered, st.applied), "widgets_ms", ms(st.applied, st.shown),
		"paint_ms", ms(st.shown, onScreen), "total_ms", ms(st.start, onScreen),
		"record_ms", ms(st.shown, painted),
		"frame_between_ms", ms(st.start, st.between))
}
