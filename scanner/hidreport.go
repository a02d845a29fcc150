package scanner

import (
	"errors"
	"fmt"

	"github.com/skranke/skranke"
)

// HID POS (USB HID usage page 0x8C, "Bar Code Scanner") input reports, in
// the layout Honeywell scanners use in "HID POS" mode (and Datalogic and
// Zebra scanners in their Honeywell-compatible HID POS modes):
//
//	byte 0      report ID, 0x02
//	byte 1      number of data bytes in this report (0–56)
//	bytes 2–4   AIM symbology identifier, e.g. "]E0" (zeros when off)
//	bytes 5–60  data
//	bytes 61–62 vendor symbology code and reserved
//	byte 63     bit 0 set: the code continues in the next report
//
// A code longer than 56 bytes comes in several reports; all but the last
// have the continue bit set.
const (
	POSUsagePage    = 0x8C
	posReportID     = 0x02
	posDataOffset   = 5
	posMaxData      = 56
	posContinueByte = 63
)

// POSReport is one decoded HID POS input report.
type POSReport struct {
	Data      []byte // The data bytes of this report.
	AIM       string // The AIM identifier ("]Q1"), "" when not sent.
	Continued bool   // More data of the same code follows.
}

// ErrNotPOSReport is returned by DecodePOSReport for a report that is not a
// barcode input report (another report ID, or too short).
var ErrNotPOSReport = errors.New("not a HID POS barcode report")

// DecodePOSReport decodes one HID POS input report, report ID first.
func DecodePOSReport(b []byte) (POSReport, error) {
	if len(b) < posDataOffset || b[0] != posReportID {
		return POSReport{}, ErrNotPOSReport
	}
	n := int(b[1])
	if n > posMaxData || posDataOffset+n > len(b) {
		return POSReport{}, skranke.E("scanner.DecodePOSReport", skranke.Invalid, fmt.Errorf("HID POS report claims %d data bytes in %d: %w", n, len(b), ErrNotPOSReport))
	}
	r := POSReport{Data: b[posDataOffset : posDataOffset+n]}
	if b[2] == ']' {
		r.AIM = string(b[2:5])
	}
	if len(b) > posContinueByte {
		r.Continued = b[posContinueByte]&1 != 0
	}
	return r, nil
}

// POSDecoder joins HID POS reports into codes.
type POSDecoder struct {
	buf []byte
	aim string
}

// Feed adds one report. When it completes a code, Feed returns its data and
// the symbology named by its AIM identifier, and done is true. Reports that
// are not barcode reports are ignored.
func (d *POSDecoder) Feed(report []byte) (data, symbology string, done bool) {
	r, err := DecodePOSReport(report)
	if err != nil {
		return "", "", false
	}
	if d.aim == "" {
		d.aim = r.AIM
	}
	if len(d.buf)+len(r.Data) <= maxFrame {
		d.buf = append(d.buf, r.Data...)
	}
	if r.Continued {
		return "", "", false
	}
	data = bytesToText(d.buf)
	if sym, ok := parseAIM(d.aim); ok {
		symbology = sym
	}
	d.buf, d.aim = d.buf[:0], ""
	return data, symbology, data != ""
}

// Reset drops a partly received code.
func (d *POSDecoder) Reset() { d.buf, d.aim = d.buf[:0], "" }

// Modifier bits of a boot keyboard report.
const (
	modLeftCtrl   = 0x01
	modLeftShift  = 0x02
	modLeftAlt    = 0x04
	modRightCtrl  = 0x10
	modRightShift = 0x20
	modRightAlt   = 0x40 // AltGr on European layouts.
)

// KeyboardReport is one decoded boot keyboard report: the modifier byte and
// the keys held down.
type KeyboardReport struct {
	Modifiers byte
	Keys      [6]byte
}

// DecodeKeyboardReport decodes an 8-byte boot keyboard report, or a 9-byte
// one with a report ID first. ok is false for other lengths and for the
// "roll over" report a keyboard sends when too many keys are down.
func DecodeKeyboardReport(b []byte) (r KeyboardReport, ok bool) {
	switch len(b) {
	case 8:
	case 9:
		b = b[1:]
	default:
		return r, false
	}
	r.Modifiers = b[0]
	copy(r.Keys[:], b[2:8])
	if r.Keys[0] == keyErrRollOvr {
		return r, false
	}
	return r, true
}

func (r KeyboardReport) held(k byte) bool {
	for _, h := range r.Keys {
		if h == k {
			return true
		}
	}
	return false
}

// KeyboardDecoder turns boot keyboard reports from a scanner in keyboard
// mode into codes, with the scanner's key layout. It sees each key press
// (a key in a report that was not in the previous one), so "11" arrives as
// press, release, press. Enter and Tab end a code. It understands "Alt
// mode" (Alt held while the character's code is typed on the keypad), which
// some scanners offer as a layout-independent output.
type KeyboardDecoder struct {
	table   *keyTable
	prev    KeyboardReport
	buf     []rune
	alt     int
	altKeys int
}

// NewKeyboardDecoder returns a decoder for a scanner set to layout l; an
// unknown layout decodes as US.
func NewKeyboardDecoder(l Layout) *KeyboardDecoder {
	t := l.table()
	if t == nil {
		t = usTable()
	}
	return &KeyboardDecoder{table: t}
}

// Feed adds one report and returns the codes it completed, usually none or
// one.
func (d *KeyboardDecoder) Feed(report []byte) []string {
	r, ok := DecodeKeyboardReport(report)
	if !ok {
		return nil
	}
	var done []string
	m := r.Modifiers
	altMode := m&modLeftAlt != 0 || (m&modRightAlt != 0 && d.table[0x1F][2] == 0)
	if d.altKeys > 0 && !altMode {
		// Alt released: the keypad digits give the character. A leading
		// zero means the Windows code page, else the DOS one; both are
		// ASCII below 128, which is all codes need. It was typed before
		// any key pressed in the report that releases Alt, so it goes in
		// first.
		if d.alt > 0 && d.alt < 256 {
			done = d.add(rune(d.alt), done)
		}
		d.alt, d.altKeys = 0, 0
	}
	ctrl := m&(modLeftCtrl|modRightCtrl) != 0
	shift := m&(modLeftShift|modRightShift) != 0
	for _, k := range r.Keys {
		if k == 0 || d.prev.held(k) {
			continue
		}
		switch {
		case k == keyEnter || k == keyKPEnter || k == keyTab:
			done = d.add('\r', done)
		case k == keyBackspace:
			if len(d.buf) > 0 {
				d.buf = d.buf[:len(d.buf)-1]
			}
		case altMode && k >= 0x59 && k <= 0x62:
			d.alt = d.alt*10 + (int(k-0x59)+1)%10
			d.altKeys++
		case ctrl && d.ctrlRune(k, shift, m&modRightAlt != 0) != 0:
			done = d.add(d.ctrlRune(k, shift, m&modRightAlt != 0), done)
		default:
			if c := d.table.keyRune(k, shift, m&modRightAlt != 0); c != 0 {
				done = d.add(c, done)
			}
		}
	}
	d.prev = r
	return done
}

// ctrlRune returns the control character Ctrl and key k type, as on a
// terminal: Ctrl+M is CR, Ctrl+I Tab, Ctrl+J LF, Ctrl+] GS (how scanners in
// keyboard mode send GS1's FNC1 separator); 0 when Ctrl and k type no
// control character, and k is taken as typed. The character is the one the
// key has on the scanner's layout, not on a US keyboard: on French AZERTY
// M is where US has ';', and ] is AltGr with the key US has as '-'.
func (d *KeyboardDecoder) ctrlRune(k byte, shift, altGr bool) rune {
	// A letter is the same control character with or without Shift.
	if c := d.table.keyRune(k, false, false); c >= 'a' && c <= 'z' {
		return c - 'a' + 1
	}
	switch c := d.table.keyRune(k, shift, altGr); c {
	case '[', '\\', ']', '^', '_':
		return c - '[' + 0x1B // ESC, FS, GS, RS, US.
	}
	return 0
}

// add appends c to the code being typed, or ends it when c is CR, LF or
// Tab, adding it to done.
func (d *KeyboardDecoder) add(c rune, done []string) []string {
	switch {
	case c == '\r' || c == '\n' || c == '\t':
		if len(d.buf) > 0 {
			done = append(done, string(d.buf))
		}
		d.buf = d.buf[:0]
	case len(d.buf) < maxFrame:
		d.buf = append(d.buf, c)
	}
	return done
}

// Reset drops a partly typed code and the keys held.
func (d *KeyboardDecoder) Reset() {
	d.buf, d.prev, d.alt, d.altKeys = d.buf[:0], KeyboardReport{}, 0, 0
}
