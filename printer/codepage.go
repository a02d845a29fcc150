package printer

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// codePage is one single-byte character table.
type codePage interface {
	EncodeRune(r rune) (byte, bool)
	DecodeByte(b byte) rune
}

// tablePage is a code page x/text has no table for, given by its upper half.
type tablePage struct {
	high [128]rune
	enc  map[rune]byte
}

func newTablePage(high [128]rune) *tablePage {
	t := &tablePage{high: high, enc: make(map[rune]byte, 128)}
	for i, r := range high {
		t.enc[r] = byte(0x80 + i)
	}
	return t
}

// EncodeRune returns the byte for r.
func (t *tablePage) EncodeRune(r rune) (byte, bool) {
	if r < 0x80 {
		return byte(r), true
	}
	b, ok := t.enc[r]
	return b, ok
}

// DecodeByte returns the character b stands for.
func (t *tablePage) DecodeByte(b byte) rune {
	if b < 0x80 {
		return rune(b)
	}
	return t.high[b-0x80]
}

// cp775 is the upper half of IBM PC775 (DOS Baltic Rim), which Epson
// printers select with ESC t 33: Lithuanian, Latvian and Estonian letters
// beside the Nordic ones.
var cp775 = newTablePage([128]rune{
	0x0106, 0x00FC, 0x00E9, 0x0101, 0x00E4, 0x0123, 0x00E5, 0x0107,
	0x0142, 0x0113, 0x0156, 0x0157, 0x012B, 0x0179, 0x00C4, 0x00C5,
	0x00C9, 0x00E6, 0x00C6, 0x014D, 0x00F6, 0x0122, 0x00A2, 0x015A,
	0x015B, 0x00D6, 0x00DC, 0x00F8, 0x00A3, 0x00D8, 0x00D7, 0x00A4,
	0x0100, 0x012A, 0x00F3, 0x017B, 0x017C, 0x017A, 0x201D, 0x00A6,
	0x00A9, 0x00AE, 0x00AC, 0x00BD, 0x00BC, 0x0141, 0x00AB, 0x00BB,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x0104, 0x010C, 0x0118,
	0x0116, 0x2563, 0x2551, 0x2557, 0x255D, 0x012E, 0x0160, 0x2510,
	0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x0172, 0x016A,
	0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x017D,
	0x0105, 0x010D, 0x0119, 0x0117, 0x012F, 0x0161, 0x0173, 0x016B,
	0x017E, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
	0x00D3, 0x00DF, 0x014C, 0x0143, 0x00F5, 0x00D5, 0x00B5, 0x0144,
	0x0136, 0x0137, 0x013B, 0x013C, 0x0146, 0x0112, 0x0145, 0x2019,
	0x00AD, 0x00B1, 0x201C, 0x00BE, 0x00B6, 0x00A7, 0x00F7, 0x201E,
	0x00B0, 0x2219, 0x00B7, 0x00B9, 0x00B3, 0x00B2, 0x25A0, 0x00A0,
})

// charmaps maps the code page names used in profiles to their tables.
var charmaps = map[string]codePage{
	"CP775":       cp775,
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

// KnownCodePage reports whether the encoder has a table for a code page
// name used in profiles.
func KnownCodePage(name string) bool { return charmaps[name] != nil }

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
	cm, ok := charmaps[name]
	if !ok {
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
	'¡': "!", '¿': "", '¢': "c", '£': "GBP", '¥': "JPY", '¦': "|", '¬': "-", '\u00ad': "", '¯': "-",
	'±': "+/-", '´': "'", '¨': "", '¸': ",", 'µ': "u", '¶': "P", '¾': "3/4",
	// Letters with a stroke or hook have no decomposition; their base
	// letter is what a reader expects.
	'Ð': "D", 'ð': "d", 'Ħ': "H", 'ħ': "h", 'ı': "i", 'ĸ': "k", 'Ŋ': "N", 'ŋ': "n",
	'Ŧ': "T", 'ŧ': "t", 'ƀ': "b", 'Ɓ': "B", 'Ƈ': "C", 'ƈ': "c", 'Ɗ': "D", 'Ƒ': "F",
	'ƒ': "f", 'Ɠ': "G", 'Ɨ': "I", 'ɨ': "i", 'Ƙ': "K", 'ƙ': "k", 'ƚ': "l", 'Ɲ': "N", 'ƞ': "n",
	'Ƥ': "P", 'ƥ': "p", 'Ƭ': "T", 'ƭ': "t", 'Ʈ': "T", 'Ʋ': "V", 'Ƴ': "Y", 'ƴ': "y",
	'Ƶ': "Z", 'ƶ': "z", 'Ǥ': "G", 'ǥ': "g", 'Ȥ': "Z", 'ȥ': "z", 'ȴ': "l", 'ȵ': "n",
	'ȶ': "t", 'ȷ': "j", 'Ⱥ': "A", 'Ȼ': "C", 'ȼ': "c", 'Ƚ': "L", 'Ⱦ': "T", 'Ƀ': "B",
	'Ʉ': "U", 'Ɇ': "E", 'ɇ': "e", 'Ɉ': "J", 'ɉ': "j", 'Ɍ': "R", 'ɍ': "r", 'Ɏ': "Y",
	'ɏ': "y", 'ǝ': "e", 'Ǝ': "E", 'Ə': "E", 'ə': "e", 'Ɛ': "E", 'ɛ': "e", 'Ʒ': "Z",
	'ʒ': "z", 'Ǯ': "Z", 'ǯ': "z", 'Ǣ': "AE", 'ǣ': "ae", 'Ǽ': "AE", 'ǽ': "ae",
	'Ɔ': "O", 'ɔ': "o", 'Ɖ': "D", 'ɖ': "d", 'Ɯ': "M", 'Ɵ': "O", 'Ʀ': "R", 'Ʃ': "Sh",
	'ʃ': "sh", 'Ʊ': "U", 'Ȣ': "Ou", 'ȣ': "ou", 'Ƕ': "Hv", 'Ƿ': "W", 'Ȝ': "Y", 'ȝ': "y",
	'Ƣ': "Oi", 'ƣ': "oi", 'Ɣ': "G", 'Ɩ': "I", 'ƛ': "l", 'ȸ': "db", 'ȹ': "qp", 'Ƞ': "N",
	'ȡ': "d", 'ȿ': "s", 'ɀ': "z", 'Ɂ': "'", 'ɂ': "'", 'Ɋ': "Q", 'ɋ': "q", 'ƻ': "2",
	'Ƨ': "S", 'ƨ': "s", 'ƪ': "sh", 'ƫ': "t", 'Ƹ': "Z", 'ƹ': "z", 'ƺ': "z", 'Ƽ': "5",
	'ƽ': "5", 'ƾ': "ts", 'ƿ': "w", 'ǀ': "|", 'ǁ': "||", 'ǂ': "+", 'ǃ': "!", 'Ƅ': "6",
	'ƅ': "6", 'Ƃ': "B", 'ƃ': "b", 'Ƌ': "D", 'ƌ': "d", 'ƍ': "d", 'ƕ': "hv",
}

// translit spells Greek and Cyrillic letters in Latin ones, for printers
// without a page for them: a name stays readable rather than a code point.
var translit = func() map[rune]string {
	m := map[rune]string{}
	add := func(letters string, latin []string) {
		i := 0
		for _, r := range letters {
			m[r] = latin[i]
			i++
		}
	}
	add("абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґў", strings.Fields(
		"a b v g d e e zh z i j k l m n o p r s t u f kh ts ch sh shch ' y ' e yu ya i ye yi g u"))
	add("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯІЄЇҐЎ", strings.Fields(
		"A B V G D E E Zh Z I J K L M N O P R S T U F Kh Ts Ch Sh Shch ' Y ' E Yu Ya I Ye Yi G U"))
	add("αβγδεζηθικλμνξοπρσςτυφχψω", strings.Fields(
		"a b g d e z i th i k l m n x o p r s s t y f ch ps o"))
	add("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ", strings.Fields(
		"A B G D E Z I Th I K L M N X O P R S T Y F Ch Ps O"))
	return m
}()

// Fallback returns a readable ASCII spelling of r for printers that cannot
// print it: ł becomes l, € becomes EUR, typographic quotes become ". It never
// returns "?" for a letter with a base form.
func Fallback(r rune) string {
	if s, ok := fallbacks[r]; ok {
		return s
	}
	if s, ok := translit[r]; ok {
		return s
	}
	// Strip accents (ą -> a, ö -> o, ǿ -> o) and undo compatibility forms
	// (ĳ -> ij, ² -> 2, ﬁ -> fi), spelling what remains by the tables.
	d := norm.NFKD.String(string(r))
	var b strings.Builder
	for _, c := range d {
		switch {
		case c < 0x80:
			b.WriteRune(c)
		case unicode.Is(unicode.Mn, c) || c == r:
		default:
			if s, ok := fallbacks[c]; ok {
				b.WriteString(s)
			} else if s, ok := translit[c]; ok {
				b.WriteString(s)
			}
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
