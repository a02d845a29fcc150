package app

// Hooks that let the tests watch the desk the way a person would: which
// screen is shown, whether background work is done. They are in a test file
// so that the desk itself carries nothing only tests use.

// currentScreen returns the screen shown.
func (d *Desk) currentScreen() screenID { return d.screen }

// submit feeds a reading from a source, as a hardware scanner does. Call it
// on the UI goroutine.
func (d *Desk) submit(raw, source string) { d.handleReading(raw, source) }

// isBusy reports whether background work started by the UI is still running.
// Tests poll it; once it is false every widget update of that work is done.
func (d *Desk) isBusy() bool { return d.busy.Load() > 0 }

// runPending runs the UI updates that background work queued, on the
// caller's goroutine, and reports how many ran. It is for tests, which set
// Services.manualUI: fyne's test driver would otherwise run updates on
// whatever goroutine finished the work, racing with the test.
func (d *Desk) runPending() int {
	n := 0
	for {
		d.qmu.Lock()
		q := d.queue
		d.queue = nil
		d.qmu.Unlock()
		if len(q) == 0 {
			return n
		}
		for _, fn := range q {
			fn()
			n++
		}
	}
}

// waiting reports how many follow-ups wait for the sync.
func (d *Desk) waiting() int { return len(d.waiters) }
