package skranke

import (
	"crypto/rand"
	"slices"
	"strings"
	"unicode"
)

// Alphabet is the 32 symbols of Skranke's codes: digits and upper-case letters
// without I, L, O and U. Every keyboard layout types them alike, and the
// letters left out are the ones people and scanners confuse with 1, 0 and V.
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Lengths of the codes the shop issues, check character included.
const (
	ReferenceLen = 8  // Purchase reference codes: 35 random bits and a check character.
	GiftCardLen  = 20 // Gift card codes: 95 random bits and a check character.
)

// NormalizeCode turns a code as a person typed or read it ("k7rm-4qx2",
// "K7RM 4QX2\n") into the bare form the shop issues and stores: hyphens,
// white space (tabs, line ends, no-break spaces) and invisible format
// characters (a byte order mark U+FEFF a QR code may start with, a
// zero-width space U+200B in copied text) removed, ASCII letters
// upper-cased, and I and L read as 1, O as 0. Alphabet leaves those three
// letters out because they look like the digits, so a code that holds one
// was misread and the digit is what was printed. U, the fourth letter left
// out, has no look-alike and is kept, as is anything else outside Alphabet,
// so that validation can name it. Desk, scanner and shop all use this one
// rule, so they always agree on what a code is.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		switch r {
		case 'I', 'L':
			return '1'
		case 'O':
			return '0'
		}
		return r
	}, code)
}

// IsCodeSymbol reports whether r is one of Alphabet's symbols.
func IsCodeSymbol(r rune) bool { return r < 128 && symbolValue(byte(r)) >= 0 }

// symbolValue maps a byte to its value in Alphabet, or -1.
func symbolValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return letterValue[c-'A']
	}
	return -1
}

// letterValue is the value of 'A'+i in Alphabet, -1 for I, L, O, U.
var letterValue = func() [26]int {
	var v [26]int
	for i := range v {
		v[i] = strings.IndexByte(Alphabet, byte('A'+i))
	}
	return v
}()

// The check character is computed in GF(32), with the primitive polynomial
// x^5 + x^2 + 1: the code's symbols v0..vn (v0 the check) satisfy
// sum(alpha^i * vi) = 0. A single substitution changes the sum by
// alpha^i*(a^b) != 0; a swap of neighbours by alpha^i*(a^b)*(1^alpha) != 0, so
// both are always caught, for codes of up to 31 symbols.
var gfExp, gfLog = func() (exp [62]byte, log [32]byte) {
	x := byte(1)
	for i := 0; i < 31; i++ {
		exp[i], exp[i+31] = x, x
		log[x] = byte(i)
		x <<= 1
		if x&0x20 != 0 {
			x ^= 0x25 // x^5 + x^2 + 1
		}
	}
	return
}()

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// syndrome returns sum(alpha^i * v_i) over the symbols of s, where i counts
// from the end of s, so that the check character (last) has weight alpha^0.
// ok is false when s has a byte outside Alphabet.
func syndrome(s string) (sum byte, ok bool) {
	n := len(s)
	for j := 0; j < n; j++ {
		v := symbolValue(s[j])
		if v < 0 {
			return 0, false
		}
		sum ^= gfMul(gfExp[(n-1-j)%31], byte(v))
	}
	return sum, true
}

// CheckSymbol returns the check character to append to body, which must be
// upper-case symbols of Alphabet, at most 30 of them.
func CheckSymbol(body string) byte {
	// The check has weight alpha^0, so it must equal the body's sum with the
	// body shifted one position: syndrome(body + "0").
	s, _ := syndrome(body + "0")
	return Alphabet[s]
}

// ValidCheck reports whether code (bare, upper-case) consists of Alphabet
// symbols and ends in a correct check character.
func ValidCheck(code string) bool {
	if len(code) < 2 || len(code) > 31 {
		return false
	}
	s, ok := syndrome(code)
	return ok && s == 0
}

// newCode returns n-1 random symbols from crypto/rand and a check
// character, redrawn while a keyboard layout mix-up would type it as
// another valid code (see LayoutTwins): the check character cannot catch
// that, and the code would open another purchase or gift card.
func newCode(n int) string {
	for {
		if c := drawCode(n); !hasValidTwin(c) {
			return c
		}
	}
}

// drawCode returns n-1 random symbols from crypto/rand and a check
// character.
func drawCode(n int) string {
	buf := make([]byte, n-1)
	if _, err := rand.Read(buf); err != nil {
		panic("skranke: crypto/rand failed: " + err.Error()) // Never happens on supported systems.
	}
	for i, b := range buf {
		buf[i] = Alphabet[b&31]
	}
	return string(buf) + string(CheckSymbol(string(buf)))
}

// layoutMixups are what a scanner set to one keyboard layout typing into a
// computer set to another does to the letters of Alphabet, for the layouts
// the scanner package knows (docs/scanners.md), where every changed letter
// stays in Alphabet; the mix-ups that turn a symbol into a character
// outside Alphabet (the digits on French, M) are caught by validation. The
// scanner package's tests check this list against its key tables.
var layoutMixups = []*strings.Replacer{
	// US or Nordic and German, either way round.
	strings.NewReplacer("Y", "Z", "Z", "Y"),
	// US or Nordic and French, either way round.
	strings.NewReplacer("A", "Q", "Q", "A", "W", "Z", "Z", "W"),
	// A German scanner on a French computer.
	strings.NewReplacer("A", "Q", "Q", "A", "Z", "Y", "Y", "W", "W", "Z"),
	// A French scanner on a German computer.
	strings.NewReplacer("A", "Q", "Q", "A", "Y", "Z", "Z", "W", "W", "Y"),
}

// LayoutTwins returns what code (bare, upper case) becomes when a scanner
// types it through one of the keyboard layout mix-ups that only move
// letters within Alphabet, where that differs from code: a US scanner on a
// German computer swaps every Y and Z. The check character sees only the
// sum of such changes, and for three or more changed positions that sum
// can be zero: the twin is then valid too, and taken for another code.
// The shop issues no code with a valid twin; codes issued before it avoided
// them may have one (docs/scanners.md says what the desk does then).
func LayoutTwins(code string) []string {
	var twins []string
	for _, m := range layoutMixups {
		if t := m.Replace(code); t != code && !slices.Contains(twins, t) {
			twins = append(twins, t)
		}
	}
	return twins
}

// hasValidTwin reports whether one of code's layout twins passes the check.
func hasValidTwin(code string) bool {
	for _, t := range LayoutTwins(code) {
		if ValidCheck(t) {
			return true
		}
	}
	return false
}

// NewReference returns a new random purchase reference code of ReferenceLen
// symbols. The caller (the shop) makes sure it is unique.
func NewReference() string { return newCode(ReferenceLen) }

// NewGiftCardCode returns a new random gift card code of GiftCardLen symbols,
// carrying 95 random bits.
func NewGiftCardCode() string { return newCode(GiftCardLen) }

// GroupCode writes code in groups of four separated by hyphens, the way it is
// printed for people: "K7RM-4QX2". Barcodes hold the bare code.
func GroupCode(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(code[i:min(i+4, len(code))])
	}
	return b.String()
}
