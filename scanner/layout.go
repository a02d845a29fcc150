package scanner

import (
	"fmt"
	"strings"

	"github.com/skranke/skranke"
)

// Layout names a keyboard layout: the one the computer uses (host) or the
// one a scanner in keyboard mode is set to (the scanner sends key positions,
// and the host's layout turns them into characters).
type Layout string

// The layouts Skranke knows. Digits and A–Z (except Y and Z on German and A,
// Q, W, Z, M and the digit row on French layouts) sit on the same keys
// everywhere; the hyphen of a grouped code does not.
const (
	LayoutUS Layout = "us" // US English (also fine for UK as far as codes go).
	LayoutNO Layout = "no" // Norwegian.
	LayoutSE Layout = "se" // Swedish and Finnish.
	LayoutDK Layout = "dk" // Danish.
	LayoutDE Layout = "de" // German (QWERTZ).
	LayoutFR Layout = "fr" // French (AZERTY).
)

// Layouts lists the known layouts, for a settings screen.
func Layouts() []Layout {
	return []Layout{LayoutUS, LayoutNO, LayoutSE, LayoutDK, LayoutDE, LayoutFR}
}

// ParseLayout returns the layout named s ("us", "NO", "nb", "sv", ...), or an
// error naming the layouts known.
func ParseLayout(s string) (Layout, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "us", "en", "en-us", "uk", "gb":
		return LayoutUS, nil
	case "no", "nb", "nn", "nb-no":
		return LayoutNO, nil
	case "se", "sv", "fi":
		return LayoutSE, nil
	case "dk", "da":
		return LayoutDK, nil
	case "de", "de-de", "ch":
		return LayoutDE, nil
	case "fr", "fr-fr", "be":
		return LayoutFR, nil
	}
	return "", skranke.E("scanner.ParseLayout", skranke.Invalid, fmt.Sprintf("unknown keyboard layout %q (known: us, no, se, dk, de, fr)", s))
}

// HID keyboard usages (USB HID Usage Tables, page 0x07) used by name.
const (
	keyA          = 0x04
	keyEnter      = 0x28
	keyBackspace  = 0x2A
	keyTab        = 0x2B
	keyKPEnter    = 0x58
	keyErrRollOvr = 0x01
)

// keyLevels holds what one key types: plain, with Shift, with AltGr. 0 means
// nothing.
type keyLevels [3]rune

// keyTable maps HID usages to characters for one layout.
type keyTable [0x68]keyLevels

// baseTable is what every layout shares: letters a–z on their US keys,
// control keys, space and the keypad.
func baseTable() *keyTable {
	var t keyTable
	for i := 0; i < 26; i++ {
		t[keyA+i] = keyLevels{rune('a' + i), rune('A' + i)}
	}
	t[keyEnter] = keyLevels{'\r', '\r'}
	t[keyTab] = keyLevels{'\t', '\t'}
	t[0x2C] = keyLevels{' ', ' '}
	// Keypad (NumLock assumed on, as scanners expect).
	kp := "/*-+\r1234567890."
	for i, r := range kp {
		t[0x54+i] = keyLevels{r, r}
	}
	return &t
}

// set fills usages from the first: each string gives plain and shifted
// characters of consecutive keys in pairs.
func (t *keyTable) set(first int, pairs string) {
	rs := []rune(pairs)
	for i := 0; i+1 < len(rs); i += 2 {
		t[first+i/2][0], t[first+i/2][1] = rs[i], rs[i+1]
	}
}

func (t *keyTable) altGr(usage int, r rune) { t[usage][2] = r }

func (t *keyTable) swap(a, b byte) {
	ua, ub := keyA+int(a-'a'), keyA+int(b-'a')
	t[ua], t[ub] = t[ub], t[ua]
}

func usTable() *keyTable {
	t := baseTable()
	t.set(0x1E, "1!2@3#4$5%6^7&8*9(0)")
	t.set(0x2D, "-_=+[{]}\\|\\|;:'\"`~,<.>/?")
	t.set(0x64, "\\|")
	return t
}

func nordicTable() *keyTable {
	t := baseTable()
	t.set(0x1E, "1!2\"3#4¤5%6&7/8(9)0=")
	t.set(0x2D, "+?´`åÅ¨^'*'*øØæÆ|§,;.:-_")
	t.set(0x64, "<>")
	t.altGr(0x1F, '@')
	t.altGr(0x20, '£')
	t.altGr(0x21, '$')
	t.altGr(0x22, '€')
	t.altGr(0x24, '{')
	t.altGr(0x25, '[')
	t.altGr(0x26, ']')
	t.altGr(0x27, '}')
	t.altGr(0x30, '~')
	t.altGr(0x08, '€')
	return t
}

func noTable() *keyTable {
	t := nordicTable()
	t.set(0x2E, "\\`")
	t.altGr(0x2E, '´')
	return t
}

func seTable() *keyTable {
	t := nordicTable()
	t.set(0x33, "öÖäÄ§½")
	t.altGr(0x2D, '\\')
	t.altGr(0x64, '|')
	return t
}

func dkTable() *keyTable {
	t := nordicTable()
	t.set(0x35, "½§")
	t.altGr(0x64, '\\')
	t.altGr(0x2E, '|')
	return t
}

func deTable() *keyTable {
	t := baseTable()
	t.swap('y', 'z')
	t.set(0x1E, "1!2\"3§4$5%6&7/8(9)0=")
	t.set(0x2D, "ß?´`üÜ+*#'#'öÖäÄ^°,;.:-_")
	t.set(0x64, "<>")
	t.altGr(0x14, '@')
	t.altGr(0x08, '€')
	t.altGr(0x1F, '²')
	t.altGr(0x20, '³')
	t.altGr(0x24, '{')
	t.altGr(0x25, '[')
	t.altGr(0x26, ']')
	t.altGr(0x27, '}')
	t.altGr(0x2D, '\\')
	t.altGr(0x30, '~')
	t.altGr(0x64, '|')
	return t
}

func frTable() *keyTable {
	t := baseTable()
	t.swap('a', 'q')
	t.swap('w', 'z')
	t.set(0x1E, "&1é2\"3'4(5-6è7_8ç9à0")
	t.set(0x2D, ")°=+^¨$£*µ*µmMù%²\x00;.:/!§")
	t.set(0x10, ",?")
	t.set(0x64, "<>")
	t.altGr(0x20, '#')
	t.altGr(0x21, '{')
	t.altGr(0x22, '[')
	t.altGr(0x23, '|')
	t.altGr(0x24, '`')
	t.altGr(0x25, '\\')
	t.altGr(0x27, '@')
	t.altGr(0x2D, ']')
	t.altGr(0x2E, '}')
	t.altGr(0x08, '€')
	return t
}

// table returns the key table of l, or nil for an unknown or empty layout.
func (l Layout) table() *keyTable {
	switch l {
	case LayoutUS:
		return usTable()
	case LayoutNO:
		return noTable()
	case LayoutSE:
		return seTable()
	case LayoutDK:
		return dkTable()
	case LayoutDE:
		return deTable()
	case LayoutFR:
		return frTable()
	}
	return nil
}

// keyRune returns what usage types on t with the given modifiers, 0 if
// nothing.
func (t *keyTable) keyRune(usage byte, shift, altGr bool) rune {
	if int(usage) >= len(t) {
		return 0
	}
	k := t[usage]
	switch {
	case altGr:
		return k[2]
	case shift:
		return k[1]
	}
	return k[0]
}

// repairMap returns, for a scanner set to layout scanner typing into a
// computer set to host, which character the scanner meant for each character
// the computer saw, where they differ. It is nil when nothing needs repair.
func repairMap(host, scanner Layout) map[rune]rune {
	if host == "" || scanner == "" || host == scanner {
		return nil
	}
	h, s := host.table(), scanner.table()
	if h == nil || s == nil {
		return nil
	}
	// Keypad keys type the same everywhere and are left out: a character
	// the computer shows is taken to come from the main keys, where
	// scanners type. When several main keys show it, the first counts,
	// plain before shifted before AltGr.
	m := make(map[rune]rune)
	for level := 0; level < 3; level++ {
		for u := range h {
			if u >= 0x54 && u <= 0x63 {
				continue
			}
			hr, sr := h[u][level], s[u][level]
			if hr == 0 || sr == 0 {
				continue
			}
			if _, done := m[hr]; !done {
				m[hr] = sr
			}
		}
	}
	for k, v := range m {
		if k == v {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
