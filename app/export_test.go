package app

import "github.com/skranke/skranke/scanner"

// Hooks that let the tests watch the desk the way a person would: which
// screen is shown, whether background work is done. They are in a test file
// so that the desk itself carries nothing only tests use.

// currentScreen returns the screen shown.
func (d *Desk) currentScreen() screenID { return d.screen }

// submit feeds a reading from a source, as a hardware scanner does. Call it
// on the UI goroutine.
func (d *Desk) submit(raw, source string) {
	d.handleReading(scanner.Reading{Data: raw, Source: source})
}

// isBusy reports whether background work started by the UI is still running.
// Tests poll it; once it is false every widget update of that work is done.
func (d *Desk) isBusy() bool { return d.busy.Load() > 0 }

// typed is what was typed into the scan field: its text and the keys it
// has not shown yet (echoDelay).
func (e *scanEntry) typed() string { return e.Text + string(e.held) }

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

// screenReport and the like return their screen, built on first use as
// the desk builds it when it opens (see screenOf), for tests that hold on
// to a screen before they open it.
func (d *Desk) screenReport() *reportScreen { d.screenOf(idReport); return d.report }

func (d *Desk) screenSettings() *settingsScreen { d.screenOf(idSettings); return d.settings }

func (d *Desk) screenSearch() *searchScreen { d.screenOf(idSearch); return d.search }

func (d *Desk) screenPickup() *pickupScreen { d.screenOf(idPickup); return d.pickup }

func (d *Desk) screenSales() *salesScreen { d.screenOf(idSales); return d.sales }

func (d *Desk) screenMonth() *monthScreen { d.screenOf(idMonth); return d.month }
