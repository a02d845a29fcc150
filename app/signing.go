package app

import (
	"log/slog"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

// queuedScan is a reading that came while the buyer signed: the next
// customer's code, opened once the signature is done with. The whole
// reading is kept: a HID POS scanner's symbology is what tells a product's
// EAN-8 from one of our references.
type queuedScan struct{ scanner.Reading }

// queueNext keeps a scan that came while the signature pad was open, and
// says so on the panel: it is neither lost nor allowed to interrupt.
//
// One code waits, the first: a second customer's code is not queued
// behind it (it would open, unseen, over the first customer's purchase, or
// wait on a screen that no longer says so), and staff are told so, with
// the refusal tone, to scan it again once the first is open. The same code
// again (a second read of the same label) changes nothing.
func (s *scanScreen) queueNext(r scanner.Reading) {
	raw, source := r.Data, r.Source
	if s.next != nil {
		first := skranke.GroupCode(s.next.Data)
		if skranke.NormalizeCode(raw) == skranke.NormalizeCode(s.next.Data) {
			slog.Info("next customer already queued", "raw", raw, "source", source)
			s.sh.say(label("sign.next_waiting", m{"Code": first}))
			return
		}
		slog.Info("scan not queued: a next customer already waits", "raw", raw, "source", source, "waiting", s.next.Data)
		warn := label("sign.next_not_queued", m{"Code": skranke.GroupCode(raw), "First": first})
		s.NextWaiting.SetText(label("sign.next_waiting", m{"Code": first}) + "\n" + warn)
		s.NextWaiting.Show()
		s.sh.sayErr(warn)
		return
	}
	s.next = &queuedScan{r}
	slog.Info("next customer queued", "raw", raw, "source", source)
	text := label("sign.next_waiting", m{"Code": skranke.GroupCode(raw)})
	s.NextWaiting.SetText(text)
	s.NextWaiting.Show()
	s.sh.say(text)
}

// refuseNext says that a reading that came while the buyer signed is not
// a code of ours and was not kept, with the refusal tone; a next customer
// already waiting keeps waiting.
func (s *scanScreen) refuseNext(raw, source string) {
	slog.Info("scan not queued: not a code of ours", "raw", raw, "source", source)
	s.sh.sayErr(label("sign.next_not_ours", m{"Code": shorten(strings.TrimSpace(raw), 40)}))
}

// openNext opens the scan that waited for the signature, if one did.
func (s *scanScreen) openNext() {
	s.NextWaiting.SetText("")
	s.NextWaiting.Hide()
	if s.next == nil || s.pending != nil {
		return
	}
	n := s.next
	s.next = nil
	s.rd.handleReading(n.Reading)
}

// padKey handles a key on the signature pad. Characters are a scanner's
// (the buyer has a pen, not a keyboard): they are gathered, and the Enter
// that ends them queues the code for the next customer instead of
// accepting the signature. Only an Enter of its own accepts.
func (s *scanScreen) padKey(ev *fyne.KeyEvent) {
	s.sh.touch()
	if s.sh.globalKey(ev) {
		return
	}
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		now := s.sh.now()
		typed := s.padWedge.len() > 0
		got := s.padWedge.end(now)
		text, scanned := got.Text, got.Scanned
		switch {
		case scanned:
			s.padLastScan = now
			// Queued (queueNext) the way the desk queues every scan
			// while the buyer signs, with the keys held apart from it.
			s.rd.handleEntry(got)
			return
		case typed && utf8.RuneCountInString(strings.TrimSpace(text)) >= scanner.DefaultWedgeMinLen:
			// A code whose Enter came late (a slow suffix, a busy desk):
			// nobody types a code on a signature pad, so it is a scan too,
			// queued when it is a code of ours (handle).
			s.rd.handleReading(scanner.Reading{Data: strings.TrimSpace(text), Source: scanner.SourceWedge, At: now})
			return
		case typed:
			// Keys, but no code: not the buyer's "yes" either.
			slog.Info("enter ignored", "reason", "typed on the signature pad")
			s.SignMessage.SetText(label("sign.scan_not_accept"))
			return
		case trailsScan(s.padLastScan, now):
			s.padLastScan = now
			slog.Info("enter ignored", "reason", "scan burst")
			return
		}
		s.acceptSignature()
	case fyne.KeyDelete, fyne.KeyBackspace:
		s.padWedge.reset()
		s.SignClear.OnTapped()
	}
}

func (s *scanScreen) acceptSignature() {
	if s.pending == nil {
		return
	}
	if s.Pad.Empty() {
		s.SignMessage.SetText(label("sign.blank"))
		s.sh.sayErr(s.SignMessage.Text)
		return
	}
	strokes := s.Pad.snapshot()
	req := *s.pending
	s.pending = nil
	s.arrange()
	// The pad is hidden but would keep the focus, swallowing the next scan.
	s.sh.focusDefault()
	s.deliver(req, strokes)
}

// newSignPanel builds the signature panel: the pad the buyer signs on and
// its buttons.
func (s *scanScreen) newSignPanel() fyne.CanvasObject {
	s.Pad = newSignaturePad()
	s.padWedge = &burst{}
	s.Pad.onKey = s.padKey
	s.Pad.onRune = func(r rune) {
		s.sh.touch()
		s.padWedge.key(r, s.sh.now())
	}
	s.NextWaiting = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.NextWaiting.Wrapping = fyne.TextWrapWord
	s.NextWaiting.Importance = widget.WarningImportance
	s.NextWaiting.Hide()
	s.Pad.onDraw = s.sh.touch
	s.SignAccept = newButton(s.sh, label("sign.accept"), theme.ConfirmIcon(), s.acceptSignature)
	s.SignAccept.Importance = widget.SuccessImportance
	s.SignClear = newButton(s.sh, label("sign.clear"), theme.ContentClearIcon(), func() {
		s.Pad.Clear()
		s.SignMessage.SetText(label("sign.prompt"))
	})
	s.SignCancel = newButton(s.sh, label("sign.cancel"), theme.CancelIcon(), s.cancel)
	s.SignMessage = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.SignMessage.Wrapping = fyne.TextWrapWord
	signTitle := bigText(24, true)
	signTitle.Room = 300
	signTitle.Text = label("sign.title")
	// The panel takes the place of the lines and the action bar, so that
	// the pad gets the height of the screen (at least padMinHeight) and
	// its buttons stand beside it, large, where a hand finds them.
	padBg := canvas.NewRectangle(colWhite)
	padBg.SetMinSize(fyne.NewSize(padMinWidth, padMinHeight))
	panel := container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, container.NewCenter(signTitle), nil, s.SignMessage), s.NextWaiting), nil,
		nil, big(container.NewGridWithRows(3, s.SignAccept, s.SignClear, s.SignCancel), 16),
		container.NewStack(padBg, s.Pad))
	panel.Hide()
	return panel
}
