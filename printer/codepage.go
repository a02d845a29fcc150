package printer

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// charmaps maps the code page names used in profiles to their tables.
var charmaps = map[string]*charmap.Charmap{
	"CP437":       charmap.CodePage437,
	"CP850":       charmap.CodePage850,
	"CP852":       charmap.CodePage852,
	"CP855":       charmap.CodePage855,
	"CP858":       charmap.CodePage858,
	"CP860":       charmap.CodePage860,
	"CP862":       charmap.CodePage862,
	"CP863":       charmap.CodePage863,
	"CP865":       charmap.CodePage865,
	"CP866":       charmap.CodePage866,
	"CP1250":      charmap.Windows1250,
	"CP1251":      charmap.Windows1251,
	"CP1252":      charmap.Windows1252,
	"CP1253":      charmap.Windows1253,
	"CP1254":      charmap.Windows1254,
	"CP1257":      charmap.Windows1257,
	"ISO_8859-2":  charmap.ISO8859_2,
	"ISO_8859-15": charmap.ISO8859_15,
}

// Charmap returns the table of a code page name used in profiles, or nil.
func Charmap(name string) *charmap.Charmap { return charmaps[name] }

// encodeIn returns the byte for r in the named page.
func encodeIn(name string, r rune) (byte, bool) {
	if r < 0x80 {
		return byte(r), true
	}
	cm := charmaps[name]
	if cm == nil {
		return 0, false
	}
	b, ok := cm.EncodeRune(r)
	if !ok || b < 0x80 {
		// A few DOS pages map graphics to control positions; never use those.
		return 0, false
	}
	return b, true
}

// decodeIn returns the character byte b stands for in the named page.
func decodeIn(name string, b byte) rune {
	if b < 0x80 {
		return rune(b)
	}
	cm := charmaps[name]
	if cm == nil {
		cm = charmap.CodePage437
	}
	return cm.DecodeByte(b)
}

// fallbacks spell out characters that a printer may have no page for, so the
// reader still understands the text.
var fallbacks = map[rune]string{
	'ł': "l", 'Ł': "L", 'ø': "o", 'Ø': "O", 'æ': "ae", 'Æ': "AE", 'ß': "ss",
	'đ': "d", 'Đ': "D", 'ŀ': "l", 'œ': "oe", 'Œ': "OE", 'þ': "th", 'Þ': "Th",
	'€': "EUR", '–': "-", '—': "-", '‐': "-", '‑': "-", '−': "-",
	'“': "\"", '”': "\"", '„': "\"", '«': "\"", '»': "\"", '‘': "'", '’': "'", '‚': ",",
	'…': "...", '•': "*", '·': ".", '×': "x", '÷': "/", '½': "1/2", '¼': "1/4",
	'\u00a0': " ", '\u2009': " ", '\u202f': " ", '\u2007': " ", '™': "TM", '©': "(c)", '®': "(R)",
	'°': "o", '§': "S", '¤': "$", '→': "->", '←': "<-", '✓': "v", '✔': "v", '✗': "x",
}

// Fallback returns a readable ASCII spelling of r for printers that cannot
// print it: ł becomes l, € becomes EUR, typographic quotes become ". It never
// returns "?" for a letter with a base form.
func Fallback(r rune) string {
	if s, ok := fallbacks[r]; ok {
		return s
	}
	// Strip accents: ą -> a, ö -> o.
	d := norm.NFD.String(string(r))
	var b strings.Builder
	for _, c := range d {
		if c < 0x80 && !unicode.Is(unicode.Mn, c) {
			b.WriteRune(c)
		}
	}
	if b.Len() > 0 {
		return b.String()
	}
	if unicode.IsSpace(r) {
		return " "
	}
	if unicode.Is(unicode.Mn, r) || unicode.IsControl(r) || r == '\ufeff' || r == '\u200b' {
		return ""
	}
	// Nothing readable exists (CJK, emoji): print the code point so the
	// reader sees something was there rather than a silent '?'.
	return fmt.Sprintf("[U+%04X]", r)
}

// textEncoder turns UTF-8 into bytes for one profile, switching code pages
// with ESC t inside a line where a character needs another page.
type textEncoder struct {
	p       Profile
	current int // ESC t number in effect, -1 when unknown
	// Substituted counts characters printed through a fallback spelling.
	substituted map[rune]int
}

func newTextEncoder(p Profile) *textEncoder {
	return &textEncoder{p: p, current: -1}
}

func (t *textEncoder) reset() { t.current = -1 }

func (t *textEncoder) currentName() string {
	if t.current < 0 {
		return ""
	}
	return t.p.PageName(byte(t.current))
}

// canPrint reports whether some page of the profile has r.
func (t *textEncoder) canPrint(r rune) bool {
	if r < 0x80 {
		return true
	}
	for _, cp := range t.p.CodePages {
		if _, ok := encodeIn(cp.Name, r); ok {
			return true
		}
	}
	return false
}

// normalise replaces what no page of the profile has with its fallback, so
// the caller measures and wraps the text that will really print.
func (t *textEncoder) normalise(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			// Control characters would be read as commands.
		case t.canPrint(r):
			b.WriteRune(r)
		default:
			if t.substituted == nil {
				t.substituted = map[rune]int{}
			}
			t.substituted[r]++
			b.WriteString(Fallback(r))
		}
	}
	return b.String()
}

// write appends the bytes for normalised text s to out.
func (t *textEncoder) write(out []byte, s string) []byte {
	rs := []rune(s)
	for i, r := range rs {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		if name := t.currentName(); name != "" {
			if b, ok := encodeIn(name, r); ok {
				out = append(out, b)
				continue
			}
		}
		// Pick the page that covers the longest stretch of what follows,
		// ties going to the profile's preference order.
		best, bestRun := -1, 0
		for _, cp := range t.p.CodePages {
			n := 0
			for _, c := range rs[i:] {
				if c < 0x80 {
					continue
				}
				if _, ok := encodeIn(cp.Name, c); !ok {
					break
				}
				n++
			}
			if n > bestRun {
				best, bestRun = int(cp.N), n
			}
		}
		if best < 0 {
			out = append(out, Fallback(r)...)
			continue
		}
		out = append(out, 0x1b, 't', byte(best))
		t.current = best
		b, _ := encodeIn(t.currentName(), r)
		out = append(out, b)
	}
	return out
}
