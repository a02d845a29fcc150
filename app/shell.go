package app

import (
	"context"
	"github.com/skranke/skranke/scanner"
	"image/color"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/skranke/skranke"
)

// keyHandler is what a widget does with the keys it does not handle itself:
// the window's keys (F-keys, Esc) and the activity that keeps the desk from
// locking. Widgets take one instead of the whole desk.
type keyHandler interface {
	// touch records activity for the idle lock.
	touch()
	// globalKey handles the keys that work everywhere and reports whether
	// it used the key.
	globalKey(ev *fyne.KeyEvent) bool
	// tapped returns the focus to where the next input goes after a
	// button's action, unless the action moved it.
	tapped(b fyne.Focusable)
	// now is the desk's clock: key timing (scanner bursts) and how long a
	// purchase has been on screen are measured with it, so that tests can
	// step it instead of sleeping.
	now() time.Time
	// routeScan handles text a scanner typed into a field that is not a
	// scan field as a scan.
	routeScan(e scanner.Entry)
	// strayRune and strayEnter take the keys typed where no field takes
	// text; strayEnter reports whether they were a scanner's burst, handled
	// as a scan.
	strayRune(r rune)
	strayEnter() bool
	// after runs fn on the UI goroutine once d has passed on the desk's clock.
	after(d time.Duration, fn func())
}

// shell is what a screen asks of the window around it: messages, the
// focus, work in the background and who is at the desk. Screens get it
// instead of the whole desk.
type shell interface {
	keyHandler
	say(text string)
	sayOK(text string)
	sayErr(text string)
	// refuse sounds the refusal tone (at most once per refusalGap).
	refuse()
	// sayFirst puts text in front of the message shown.
	sayFirst(text string)
	focus(obj fyne.Focusable)
	focusDefault()
	async(work func(ctx context.Context) func())
	// begin is async, but the func work returns runs as the returned
	// await says: called on the UI goroutine, await waits up to d for work,
	// and when it is done by then, runs that func before it returns and
	// reports true, so that what it shows is in the next frame painted;
	// else the func runs later, as with async. await must be called once;
	// it holds the UI goroutine for at most d.
	begin(work func(ctx context.Context) func()) (await func(d time.Duration) bool)
	await(w waiter)
	// currentStaff returns the staff member logged in, or nil.
	currentStaff() *skranke.Staff
	// painted has fn called, on the UI goroutine, once the window has
	// painted its next frame (see paintProbe).
	painted(fn func(painted, shown time.Time))
}

// async runs work off the UI goroutine with a deadline; the func it returns,
// if any, runs on the UI goroutine afterwards.
func (d *Desk) async(work func(ctx context.Context) func()) {
	d.busy.Add(1)
	go func() {
		defer d.busy.Add(-1)
		ctx, cancel := context.WithTimeout(d.ctx, 60*time.Second)
		defer cancel()
		ui := work(ctx)
		if ui != nil && d.ctx.Err() == nil {
			d.doAndWait(ui)
		}
	}()
}

func (d *Desk) painted(fn func(painted, shown time.Time)) { d.probe.next(fn) }

// begin: see shell. The wait is on the wall clock, not the desk's: it
// bounds how long the window stops, whatever the tests' clock says.
func (d *Desk) begin(work func(ctx context.Context) func()) func(time.Duration) bool {
	done := make(chan func(), 1)
	d.busy.Add(1)
	go func() {
		ctx, cancel := context.WithTimeout(d.ctx, 60*time.Second)
		defer cancel()
		done <- work(ctx)
	}()
	return func(within time.Duration) bool {
		var ui func()
		ok := false
		if within <= 0 {
			select {
			case ui = <-done:
				ok = true
			default:
			}
		} else {
			t := time.NewTimer(within)
			defer t.Stop()
			select {
			case ui = <-done:
				ok = true
			case <-t.C:
			}
		}
		if ok {
			d.busy.Add(-1)
			if ui != nil {
				ui()
			}
			return true
		}
		go func() {
			defer d.busy.Add(-1)
			if ui := <-done; ui != nil && d.ctx.Err() == nil {
				d.doAndWait(ui)
			}
		}()
		return false
	}
}

// do runs fn on the UI goroutine, or, with Services.manualUI, queues it
// for runPending.
func (d *Desk) do(fn func()) {
	if d.svc.manualUI {
		d.qmu.Lock()
		d.queue = append(d.queue, fn)
		d.qmu.Unlock()
		return
	}
	fyne.Do(fn)
	// After fn is queued: a loop woken before might rest again first.
	if d.svc.WakeUI != nil {
		d.svc.WakeUI()
	}
}

// doAndWait is do, returning when fn has run (or the desk closed). Not
// fyne.DoAndWait: that queues fn only once it is called, and a wake before
// it would let the loop park in between, fn queued behind the park (see
// do). Called from background goroutines only: on the UI goroutine it
// would wait for itself.
func (d *Desk) doAndWait(fn func()) {
	done := make(chan struct{})
	d.do(func() {
		defer close(done)
		fn()
	})
	select {
	case <-done:
	case <-d.ctx.Done():
	}
}

// say shows an informational message in the message bar.
func (d *Desk) say(text string) { d.setMessage(text, theme.Color(theme.ColorNameBackground)) }

// sayOK shows a success message.
func (d *Desk) sayOK(text string) { d.setMessage(text, tint(colOK, 0x40)) }

// refusalGap is the least time between two refusal tones: a refusal
// shown in the banner and said in the message bar sounds once.
const refusalGap = 400 * time.Millisecond

// refuse sounds the refusal tone, unless it sounded a moment ago.
func (d *Desk) refuse() {
	now := d.now()
	if d.svc.Beeper == nil || !d.lastRefusal.IsZero() && now.Sub(d.lastRefusal) < refusalGap {
		return
	}
	d.lastRefusal = now
	d.svc.Beeper.Refusal()
}

// sayErr shows an error message, logged too, with the refusal tone.
func (d *Desk) sayErr(text string) {
	slog.Info("desk message", "error", text)
	d.refuse()
	d.setMessage(text, tint(colBad, 0x50))
}

func (d *Desk) setMessage(text string, bg color.Color) {
	if d.loggedOn == nil && !d.setup && text != "" {
		// Locked: what the last person's work says afterwards (a print
		// that ends, a sync) is not for whoever comes next; the login
		// screen says what it needs in its own place.
		slog.Info("desk message while locked, not shown", "text", text)
		return
	}
	if d.message.Text == text && d.msgBg.FillColor == bg {
		return // Every scan clears the bar, mostly empty already.
	}
	d.message.SetText(text)
	d.msgBg.FillColor = bg
	d.msgBg.Refresh()
}

// waiter is follow-up work that waits for the sync: gift cards to print once
// the shop has sent them, the outcome of a redemption or credit whose answer
// was lost. It runs off the UI goroutine and returns nil while there is
// nothing to do yet, or the UI update to run, once, when there is.
type waiter func(ctx context.Context) func()

// await adds w to the follow-ups checked whenever the sync reports news.
func (d *Desk) await(w waiter) {
	d.waiters = append(d.waiters, w)
	d.checkWaiters()
}

func (d *Desk) checkWaiters() {
	if len(d.waiters) == 0 {
		return
	}
	if d.checking {
		d.recheck = true
		return
	}
	ws := d.waiters
	d.waiters, d.checking, d.recheck = nil, true, false
	d.async(func(ctx context.Context) func() {
		var uis []func()
		var left []waiter
		for _, w := range ws {
			if ui := w(ctx); ui != nil {
				uis = append(uis, ui)
			} else {
				left = append(left, w)
			}
		}
		return func() {
			d.checking = false
			d.waiters = append(left, d.waiters...)
			for _, ui := range uis {
				ui()
			}
			if d.recheck {
				d.checkWaiters()
			}
		}
	})
}

// isManager reports whether s may do what only managers do.
func isManager(s *skranke.Staff) bool { return s != nil && s.Role == skranke.RoleManager }

func (d *Desk) currentStaff() *skranke.Staff { return d.loggedOn }

func (d *Desk) now() time.Time {
	if d.clock != nil {
		return d.clock.Now()
	}
	return time.Now()
}

func (d *Desk) sayFirst(text string) { d.message.SetText(text + " " + d.message.Text) }

func (d *Desk) tapped(b fyne.Focusable) {
	if c := d.window.Canvas(); c != nil {
		if f := c.Focused(); f == nil || f == b {
			d.focusDefault()
		}
	}
}
