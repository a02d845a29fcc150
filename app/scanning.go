package app

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/scanner"
)

// scanEntry is the scan field. A keyboard-wedge scanner types into it like a
// keyboard; the wedge tells a scan from a person typing by the timing of the
// keys, and Enter submits either.
type scanEntry struct {
	entry
	wedge    *scanner.Wedge
	submit   func(scanner.Entry)
	lastScan time.Time // When the last scan's Enter came, for the Enter that may trail it.
	// shortcut, when set, may take a shortcut (Ctrl+Z: undo a delivery)
	// before the field does; it reports whether it did.
	shortcut func(fyne.Shortcut) bool
	// held are the keys typed and not shown yet, the last at heldAt (see
	// echoDelay); echoing: a wait for echoDelay is under way.
	held    []rune
	heldAt  time.Time
	echoing bool
}

// echoDelay is how long after the last key the scan field shows what was
// typed. A scanner types a code and its Enter within it, so the field
// never paints the code: each frame painted costs tens of milliseconds in
// software rendering, and a scan's Enter that arrives while a frame of its
// own keys is painted waits for it, before the purchase can be painted. A
// person's key shows this much later, which nobody notices; Enter, Tab,
// Backspace, Esc and shortcuts show what is held at once, so that they act
// on the text as typed.
const echoDelay = scanner.DefaultWedgeMaxGap

// TypedShortcut implements fyne.Shortcutable.
func (e *scanEntry) TypedShortcut(sc fyne.Shortcut) {
	e.echo()
	if e.shortcut != nil && e.shortcut(sc) {
		return
	}
	e.entry.TypedShortcut(sc)
}

// SetText implements widget.Entry's SetText: keys not yet shown go too.
func (e *scanEntry) SetText(text string) {
	e.held = e.held[:0]
	e.entry.SetText(text)
}

// echo shows the keys held back.
func (e *scanEntry) echo() {
	held := e.held
	e.held = e.held[:0]
	for _, r := range held {
		e.Entry.TypedRune(r)
	}
}

// echoLater shows the keys held back once echoDelay has passed since the
// last of them.
func (e *scanEntry) echoLater(wait time.Duration) {
	e.echoing = true
	e.keys.after(wait, func() {
		e.echoing = false
		if len(e.held) == 0 {
			return
		}
		if left := echoDelay - e.keys.now().Sub(e.heldAt); left > 0 {
			e.echoLater(left)
			return
		}
		e.echo()
	})
}

// burstTail is how soon after the Enter that ends a scan another Enter is
// still part of the scan: a scanner's CR+LF suffix (a few ms) or a double
// tap of the trigger (up to about 60 ms), with room for a busy desk that
// handles keys late. Such an Enter confirms nothing.
const burstTail = 150 * time.Millisecond

// trailsScan reports whether an Enter at now on an empty field trails the
// last scan, and should be dropped.
func trailsScan(last, now time.Time) bool {
	return !last.IsZero() && now.Sub(last) >= 0 && now.Sub(last) < burstTail
}

func newScanEntry(keys keyHandler, submit func(scanner.Entry)) *scanEntry {
	e := &scanEntry{wedge: scanner.NewWedge(scanner.WedgeOptions{}), submit: submit}
	e.keys = keys // Its own wedge tells scans; the entry's burst stays nil.
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrapOff
	e.SetPlaceHolder(label("scan.placeholder"))
	return e
}

// TypedRune implements fyne.Focusable. The key is shown echoDelay later.
func (e *scanEntry) TypedRune(r rune) {
	e.keys.touch()
	now := e.keys.now()
	e.wedge.Key(r, now)
	e.held = append(e.held, r)
	e.heldAt = now
	if !e.echoing {
		e.echoLater(echoDelay)
	}
}

// AcceptsTab implements fyne.Tabbable: scanners set to end codes with Tab
// send it right after the code, and it must submit rather than move the
// focus. On an empty field Tab moves the focus as usual.
func (e *scanEntry) AcceptsTab() bool { return e.wedge.Len() > 0 }

// TypedKey implements fyne.Focusable: Enter submits what was typed or scanned.
func (e *scanEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyTab:
		e.keys.touch()
		now := e.keys.now()
		entry := e.wedge.End(now)
		text, scanned := entry.Text, entry.Scanned
		if scanned {
			e.held = e.held[:0] // Never shown, and never to be.
		} else {
			// Typed by hand, perhaps edited: the field holds what the person means.
			e.echo()
			text = e.Text
		}
		if scanned {
			e.lastScan = now
		} else if strings.TrimSpace(text) == "" && trailsScan(e.lastScan, now) {
			e.lastScan = now // CR+LF+LF: each trails the one before.
			slog.Info("enter ignored", "reason", "scan burst")
			return
		}
		if e.Text != "" {
			e.SetText("")
		}
		entry.Text = text
		e.submit(entry)
		return
	}
	if editingKey(ev.Name) {
		// Backspace and the rest act on the text as typed. Other keys
		// leave it alone: Shift comes with a scanner's capitals, and every
		// key typed comes here too, besides its character.
		e.echo()
	}
	switch ev.Name {
	case fyne.KeyBackspace:
		e.wedge.Key('\b', e.keys.now())
	case fyne.KeyEscape:
		e.wedge.Reset()
		e.SetText("")
	}
	e.entry.TypedKey(ev)
}

// editingKey reports whether the key named name acts on the text of a
// field: Enter submits it, Backspace deletes from it, the arrows move in it.
func editingKey(name fyne.KeyName) bool {
	switch name {
	case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyTab, fyne.KeyBackspace, fyne.KeyDelete, fyne.KeyEscape,
		fyne.KeyLeft, fyne.KeyRight, fyne.KeyUp, fyne.KeyDown, fyne.KeyHome, fyne.KeyEnd,
		fyne.KeyPageUp, fyne.KeyPageDown, fyne.KeyInsert:
		return true
	}
	return false
}

// hasSource reports whether src is one of the scanners in use.
func (d *Desk) hasSource(src scanner.Source) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.sources {
		if s == src {
			return true
		}
	}
	return false
}

// newPipeline builds the scan pipeline the settings describe.
func newPipeline(cfg config.Config) *scanner.Pipeline {
	opts := scanner.Options{Prefix: cfg.ScannerPrefix, Suffix: cfg.ScannerSuffix}
	if l, err := scanner.ParseLayout(cfg.KeyboardHost); err == nil {
		opts.HostLayout = l
	}
	if l, err := scanner.ParseLayout(cfg.KeyboardScan); err == nil {
		opts.ScannerLayout = l
	}
	return scanner.NewPipeline(opts)
}

// handleEntry handles text submitted in a scan field. Its source tells the
// pipeline whether a scanner typed it through the keyboard layout (and it
// may need repair) or a person did (and it must be taken as typed).
func (d *Desk) handleEntry(e scanner.Entry) {
	d.handle(e.Reading(d.now()))
}

// handleReading runs a reading through the pipeline and shows what it is.
// The whole reading goes on, not only its text: a HID POS scanner's
// symbology is what tells a product's EAN-8 from one of our references
// made of digits. It is stamped with the desk's clock, the one the
// pipeline's repeat window and the wedge's readings are measured by.
func (d *Desk) handleReading(r scanner.Reading) {
	r.At = d.now()
	d.handle(r)
}

// handle runs a reading through the pipeline and shows what it is.
func (d *Desk) handle(r scanner.Reading) {
	source := r.Source
	if d.loggedOn == nil {
		d.login.say(label("login.first"))
		return
	}
	d.touch()
	d.mu.Lock()
	p := d.pipeline
	d.mu.Unlock()
	if d.scan.SignatureOpen() {
		// The next customer, while this one signs: kept, opened after,
		// with the first keys a busy desk held apart from the rest.
		r = p.Whole(r)
		if sc, err := p.Check(r); errors.Is(err, scanner.ErrEmpty) {
			return
		} else if err != nil || sc.Class != scanner.Reference && sc.Class != scanner.GiftCardCode {
			// Not a code of ours (a product's barcode, a misread): kept,
			// it would hold the place of the real next customer.
			d.scan.refuseNext(r.Data, r.Source)
			return
		}
		d.scan.queueNext(r)
		return
	}
	sc, err := p.Process(r)
	if errors.Is(err, scanner.ErrDuplicate) && sc.Code != "" && !d.shows(sc.Code) {
		// Read again after the screen moved on from it (Esc, another
		// code, another screen): staff mean it. Only a code on screen,
		// held under a scanner in continuous mode, is a repeat.
		p.Forget(sc.Code)
		sc, err = p.Process(r)
	}
	raw := sc.Raw // With the keys a busy desk held apart, when they belong.
	var inv *scanner.InvalidError
	switch {
	case errors.Is(err, scanner.ErrEmpty):
		return
	case errors.Is(err, scanner.ErrDuplicate):
		slog.Debug("repeat scan dropped", "code", sc.Code)
		return
	case errors.As(err, &inv):
		d.say("")
		slog.Info("invalid scan", "raw", raw, "reason", inv.Reason, "source", source)
		d.showScreen(idScan)
		d.scan.showInvalid(raw, invalidReason(inv))
		return
	case err != nil:
		d.say("")
		d.showScreen(idScan)
		d.scan.showInvalid(raw, errText(err))
		return
	}
	// A new scan is a new customer: what the bar said about the last one
	// (a green "Delivered") must not stand under this one's state.
	d.say("")
	slog.Info("scan", "code", sc.Code, "class", sc.Class.String(), "source", source)
	switch sc.Class {
	case scanner.GiftCardCode:
		d.showScreen(idCards)
		d.screenCards().Lookup(sc.Code)
	case scanner.Reference:
		d.showScreen(idScan)
		d.scan.Lookup(sc.Code, raw)
	case scanner.EAN13:
		d.showScreen(idScan)
		d.scan.showInvalid(raw, label("scan.ean"))
	default:
		d.showScreen(idScan)
		d.scan.showInvalid(raw, label("scan.not_ours"))
	}
}

// shows reports whether the screen in front shows code: the scan screen
// its purchase (or what it found of the code: looking, offline, unknown),
// the gift card screen its card.
func (d *Desk) shows(code string) bool {
	grouped := skranke.GroupCode(code)
	switch d.screen {
	case idScan:
		if p := d.scan.Purchase(); p != nil {
			return p.Code == code
		}
		return d.scan.Code.Text == grouped
	case idCards:
		c := d.screenCards()
		if card := c.Card(); card != nil {
			return card.Code == code
		}
		return c.Code.Text == grouped
	}
	return false
}

func invalidReason(e *scanner.InvalidError) string {
	switch e.Kind {
	case scanner.BadCheck:
		return label("scan.bad_check")
	case scanner.BadLength:
		return label("scan.bad_length")
	case scanner.BadCharacters:
		return label("scan.bad_chars")
	case scanner.WrongLayout:
		return label("scan.wrong_layout", m{"Scanner": strings.ToUpper(string(e.ScannerLayout)), "Host": strings.ToUpper(string(e.HostLayout))})
	}
	return e.Reason
}

// watchSource feeds a hardware scanner's readings into the scan screen and
// its status into the status screen.
func (d *Desk) watchSource(src scanner.Source) {
	go func() {
		reads, stats := src.Readings(), src.Statuses()
		for {
			select {
			case <-d.ctx.Done():
				return
			case r, ok := <-reads:
				if !ok {
					return
				}
				d.do(func() { d.handleReading(r) })
			case st, ok := <-stats:
				if !ok {
					stats = nil
					continue
				}
				d.do(func() {
					if d.hasSource(src) { // Not one replaced in Settings, closing down.
						d.screenStatus().scannerStatus(st)
					}
				})
			}
		}
	}()
}

// listScannerDevices lists serial ports and HID devices for the settings
// screen. It may be slow; call it off the UI goroutine.
func listScannerDevices() (ports, hids []string) {
	ports, err := scanner.ListSerial()
	if err != nil {
		slog.Info("list serial ports", "err", err)
	}
	devs, err := scanner.ListHID()
	if err != nil {
		slog.Info("list HID devices", "err", err)
	}
	for _, d := range devs {
		hids = append(hids, fmt.Sprintf("%04x:%04x", d.VendorID, d.ProductID))
	}
	return ports, hids
}

// looksLikeCode reports whether text typed into a number field (an amount,
// a quantity) is a scanned code instead: a scanner types wherever the focus
// is. Amounts and quantities are short and have no letters.
func looksLikeCode(text string) bool {
	t := strings.TrimSpace(text)
	if len(t) >= skranke.ReferenceLen && strings.IndexFunc(t, unicode.IsLetter) >= 0 {
		return true
	}
	return len(t) >= 12
}

// reader routes what a scanner or a person typed to the screen it belongs
// on: a receipt to the scan screen, a gift card to the card screen.
type reader interface {
	// handleEntry handles text submitted in a scan field.
	handleEntry(e scanner.Entry)
	// handleReading handles a reading from a source.
	handleReading(r scanner.Reading)
}

// scanGuard wraps a number field's Enter handler: a scanned code goes to
// the scan pipeline instead, and the field is cleared of it.
func scanGuard(rd reader, e *entry, next func()) func(string) {
	return func(text string) {
		if looksLikeCode(text) {
			e.SetText("")
			rd.handleReading(scanner.Reading{Data: text, Source: scanner.SourceWedge})
			return
		}
		next()
	}
}
