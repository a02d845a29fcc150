package scanner_test

import (
	"testing"

	"github.com/skranke/skranke/scanner"
)

// kbdReport is a boot keyboard report: modifiers and one key.
func kbdReport(mod, key byte) []byte { return []byte{mod, 0, key, 0, 0, 0, 0, 0} }

// typeReports returns the press and release reports a scanner set to l
// sends for s.
func typeReports(t *testing.T, l scanner.Layout, s string) [][]byte {
	var out [][]byte
	for _, r := range s {
		u, shift, altGr, ok := scanner.KeyFor(l, r)
		if !ok {
			t.Fatalf("no key for %q on %s", r, l)
		}
		var mod byte
		if shift {
			mod |= 0x02
		}
		if altGr {
			mod |= 0x40
		}
		out = append(out, kbdReport(mod, u), kbdReport(0, 0))
	}
	return out
}

// KeyboardDecoder reads Ctrl+M as CR, "as on a terminal" (hidreport.go),
// but finds the letter of a Ctrl key only among usages 0x04-0x1D, the
// letter keys of a US keyboard. On French AZERTY M is on usage 0x33 (US
// ';'), so a scanner set to French that ends its codes with Ctrl+M (CR)
// never ends one: the "m" is typed into the code instead.
func TestRevScanKeyboardDecoderCtrlMOnAZERTY(t *testing.T) {
	ref := withCheck("K7RM4QX")
	reports := typeReports(t, scanner.LayoutFR, ref)
	u, _, _, _ := scanner.KeyFor(scanner.LayoutFR, 'm')
	reports = append(reports, kbdReport(0x01, u), kbdReport(0, 0)) // Left Ctrl + M.
	d := scanner.NewKeyboardDecoder(scanner.LayoutFR)
	var got []string
	for _, r := range reports {
		got = append(got, d.Feed(r)...)
	}
	if len(got) != 1 || got[0] != ref {
		t.Fatalf("decoded %q, want [%s] (Ctrl+M on usage %#x)", got, ref, u)
	}
}

// Alt mode: the character typed as Alt + keypad digits is added when Alt
// is released; when the release comes in the same report as the next
// key, Feed adds that key first and the two come out swapped.
func TestRevScanKeyboardDecoderAltReleaseWithNextKey(t *testing.T) {
	const kp6, kp5 = 0x5E, 0x5D // Keypad 6 and 5: Alt+65 is "A".
	reports := [][]byte{
		kbdReport(0x04, 0), kbdReport(0x04, kp6), kbdReport(0x04, 0), kbdReport(0x04, kp5), kbdReport(0x04, 0),
		kbdReport(0, 0x05), // Alt up, B down.
		kbdReport(0, 0), kbdReport(0, 0x28), kbdReport(0, 0),
	}
	d := scanner.NewKeyboardDecoder(scanner.LayoutUS)
	var got []string
	for _, r := range reports {
		got = append(got, d.Feed(r)...)
	}
	if len(got) != 1 || got[0] != "Ab" {
		t.Fatalf("decoded %q, want [Ab]", got)
	}
}

// The KeyboardDecoder's comment promises "Ctrl+M is CR, Ctrl+I Tab,
// Ctrl+] ... as on a terminal"; Ctrl+] (GS, how keyboard-mode scanners
// send GS1's FNC1 separator) is typed as a plain "]": the code then holds
// a "]" where a GS (trimmed as a control character) belongs, and reads as
// "not ours".
func TestRevScanKeyboardDecoderCtrlBracketIsGS(t *testing.T) {
	ref := withCheck("K7RM4QX")
	reports := typeReports(t, scanner.LayoutUS, ref)
	u, _, _, _ := scanner.KeyFor(scanner.LayoutUS, ']')
	reports = append(reports, kbdReport(0x01, u), kbdReport(0, 0), kbdReport(0, 0x28), kbdReport(0, 0))
	d := scanner.NewKeyboardDecoder(scanner.LayoutUS)
	var got []string
	for _, r := range reports {
		got = append(got, d.Feed(r)...)
	}
	if len(got) != 1 || got[0] != ref+"\x1d" {
		t.Fatalf("decoded %q, want [%q]", got, ref+"\x1d")
	}
}
