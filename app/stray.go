package app

import (
	"github.com/skranke/skranke/scanner"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// A keyboard-wedge scanner types wherever the keyboard is: in a date or
// settings field, the PIN field, a dropdown, or nowhere at all after a
// click. The desk recognises its bursts everywhere, by their timing, and
// handles them as scans (on the scan or gift card screen) instead of as
// text in the field they landed in.

// enterGrace is how long after a burst's last key its Enter may come, in a
// field that is not a scan field, and still end a scan: some scanners send
// their suffix as a report of its own, and a busy desk handles keys late.
// No person types six keys at scanner speed and then Enter this soon.
const enterGrace = 300 * time.Millisecond

// routeScan handles text a scanner typed outside the scan fields as a scan.
func (d *Desk) routeScan(e scanner.Entry) {
	slog.Info("scan outside a scan field", "screen", d.screen.String(), "logged_in", d.loggedOn != nil)
	d.handleEntry(e)
}

// strayRune takes a character typed where no field takes text.
func (d *Desk) strayRune(r rune) {
	d.touch()
	d.stray.key(r, d.now())
}

// strayEnter ends what strayRune gathered and reports whether it was a
// scanner's burst, which it then handles as a scan.
func (d *Desk) strayEnter() bool {
	e := d.stray.end(d.now())
	if !e.Scanned {
		return false
	}
	d.routeScan(e)
	return true
}

// burstEnter ends the keys w gathered in field e: a scanner's burst is taken
// out of the field (it never was the field's text: the field gets back
// before, its text when the burst began) and handled as a scan. It reports
// whether it was one.
func burstEnter(keys keyHandler, w *burst, e *widget.Entry, before string) bool {
	got := w.end(keys.now())
	if !got.Scanned {
		return false
	}
	e.SetText(before)
	keys.routeScan(got)
	return true
}

// selectField is a dropdown that, like the other fields, passes the
// window's keys on and hands a scanner's keys to the desk: a plain
// widget.Select keeps the focus once used and swallows both.
type selectField struct {
	widget.Select
	keys keyHandler
}

func newSelect(keys keyHandler, options []string, changed func(string)) *selectField {
	s := &selectField{keys: keys}
	s.ExtendBaseWidget(s)
	s.Options = options
	s.OnChanged = changed
	return s
}

// TypedKey implements fyne.Focusable.
func (s *selectField) TypedKey(ev *fyne.KeyEvent) {
	s.keys.touch()
	if s.keys.globalKey(ev) {
		return
	}
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		s.keys.strayEnter()
		return
	}
	s.Select.TypedKey(ev)
}

// TypedRune implements fyne.Focusable.
func (s *selectField) TypedRune(r rune) { s.keys.strayRune(r) }
