package app

import "time"

// clock is the desk's time: what the time is, and work to do later. The
// desk runs on the wall clock; tests give it one they step, so that timing
// rules (a purchase armed for delivery once it has been on screen, a
// scanner's burst of keys) are tested without sleeping.
type clock interface {
	Now() time.Time
	// AfterFunc calls f, on a goroutine of its own, once d has passed.
	AfterFunc(d time.Duration, f func())
}

// after runs fn on the UI goroutine once dur has passed on the desk's clock.
func (d *Desk) after(dur time.Duration, fn func()) {
	run := func() {
		if d.ctx.Err() == nil {
			d.do(fn)
		}
	}
	if d.clock != nil {
		d.clock.AfterFunc(dur, run)
		return
	}
	time.AfterFunc(dur, run)
}
