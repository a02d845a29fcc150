package skranke

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a purchase search. A term shorter than MinSearchTerm matches
// too much to be of use (and a prefix index cannot look it up cheaply), so a query
// needs at least one term that long; shorter terms only narrow its results.
const (
	MinSearchTerm  = 3   // Letters or digits the longest term must have.
	MaxSearchQuery = 100 // Characters a query may have: more is no name, e-mail or phone.
	MaxSearchTerms = 6   // Terms a query may have.
	MaxSearchLimit = 100 // Results one page of a search may hold.
	// MaxSearchTail is how many of a phone number's or code's last
	// characters a search may begin in (SearchText): 15, the most
	// digits an international phone number has (ITU-T E.164).
	MaxSearchTail = 15
)

// SearchProblem says why a query cannot be searched for, so that the desk
// can tell staff in their language.
type SearchProblem uint8

// The problems a query can have.
const (
	SearchOK       SearchProblem = iota
	SearchEmpty                  // Nothing but spaces and punctuation.
	SearchTooShort               // No term has MinSearchTerm letters or digits.
	SearchTooLong                // Longer than MaxSearchQuery characters or MaxSearchTerms terms.
)

// SearchQuery is a query for purchases, parsed: the folded terms that must
// each begin a word of a purchase's SearchText. Terms holds only lower-case ASCII
// letters and digits, so it is safe to put in a LIKE pattern or an FTS5
// phrase as it is.
type SearchQuery struct {
	Terms   []string
	Problem SearchProblem
	// Domain is how many of Terms, the last ones, were typed only after an
	// @: the domain of an e-mail address ("example", "no"). Such words
	// begin nearly every purchase's text, so a word index is better asked
	// for the other terms and these checked on the rows it finds (Local).
	Domain int
}

// ParseSearch parses what staff typed into a search. Names, e-mail
// addresses and codes are folded (FoldSearch) and split into terms at
// anything but a letter or digit, so punctuation, SQL and FTS syntax
// (quotes, *, -, NEAR) are plain text or separators, never operators.
// A query that is all digits and phone punctuation ("+47 991 69 481",
// "(0047) 99169481") is one phone-number term: its digits without the
// Norwegian country code. Invalid UTF-8 counts as separators.
func ParseSearch(q string) SearchQuery {
	if utf8.RuneCountInString(q) > MaxSearchQuery {
		return SearchQuery{Problem: SearchTooLong}
	}
	if d, ok := phoneDigits(q); ok {
		if len(d) < MinSearchTerm {
			return SearchQuery{Problem: SearchTooShort}
		}
		return SearchQuery{Terms: []string{nationalNumber(d)}}
	}
	terms := strings.Fields(FoldSearch(q))
	// The terms typed before an @ (FoldSearch makes it a separator, and
	// no byte of a multi-byte character is one).
	local := len(terms)
	if at := strings.IndexByte(q, '@'); at >= 0 {
		local = len(strings.Fields(FoldSearch(q[:at])))
	}
	if len(terms) == 0 {
		return SearchQuery{Problem: SearchEmpty}
	}
	if len(terms) > MaxSearchTerms {
		return SearchQuery{Problem: SearchTooLong}
	}
	long := false
	seen := map[string]bool{}
	var out []string
	domain := 0
	for i, t := range terms {
		// Letters, not bytes: "王" is three bytes but one letter.
		if utf8.RuneCountInString(t) >= MinSearchTerm {
			long = true
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
			domain += b2i(i >= local)
		}
	}
	if !long {
		return SearchQuery{Problem: SearchTooShort}
	}
	return SearchQuery{Terms: out, Domain: domain}
}

// phoneDigits returns the digits of q when q is a phone number: digits,
// spaces and + - ( ) . only, with at least one digit.
func phoneDigits(q string) (string, bool) {
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == '-' || r == '(' || r == ')' || r == '.' || unicode.IsSpace(r):
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

// nationalNumber strips the Norwegian country code from a phone number's
// digits (+47, 0047) when what is left is a whole eight-digit number.
func nationalNumber(d string) string {
	switch {
	case len(d) == 12 && strings.HasPrefix(d, "0047"):
		return d[4:]
	case len(d) == 10 && strings.HasPrefix(d, "47"):
		return d[2:]
	}
	return d
}

// FoldSearch folds s for searching: lower case, accents dropped (é → e,
// ü → u), the Nordic letters spelt in ASCII the way people type them
// without a Norwegian keyboard (ø, ö → o; å, ä → a; æ → ae; ß → ss), and
// every character that is not a letter or digit, including invalid UTF-8,
// made a space. So "Åse Ødegård" and "ase odegard" fold alike. Æ folds to
// "ae" rather than "a" because that is how Norwegians write it in e-mail
// addresses (Kjærnes → kjaernes).
func FoldSearch(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n <= 1 {
			b.WriteByte(' ')
			continue
		}
		if r < 128 {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				b.WriteRune(r)
			case r >= 'A' && r <= 'Z':
				b.WriteRune(r + 'a' - 'A')
			default:
				b.WriteByte(' ')
			}
			continue
		}
		r = unicode.ToLower(r)
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
			continue
		}
		// Other letters and digits (Greek, Cyrillic, …) are kept as they are.
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			continue
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// foldTable spells the accented Latin letters of European names in ASCII.
var foldTable = func() map[rune]string {
	m := map[rune]string{'æ': "ae", 'ø': "o", 'å': "a", 'ß': "ss", 'œ': "oe", 'þ': "th", 'ð': "d", 'ł': "l", 'đ': "d", 'ı': "i"}
	for base, letters := range map[string]string{
		"a": "àáâãäāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥ",
		"i": "ìíîïĩīĭį", "j": "ĵ", "k": "ķ", "l": "ĺļľ", "n": "ñńņňŉ", "o": "òóôõöōŏő",
		"r": "ŕŗř", "s": "śŝşš", "t": "ţť", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// SearchText is what a purchase is found by, as words separated by single
// spaces: its buyer's name and e-mail address folded, the phone number's
// digits with and without the country code, and the reference code in
// lower case. A term matches a word it begins (Matches): names and e-mail
// addresses are found from the start of a word ("Ødeg" finds Ødegård),
// while phone numbers and codes are found from any digit or symbol, so
// their every tail of MinSearchTerm or more is a word too ("69 481" finds
// 99169481, "4QX2" finds K7RM4QX2). Desk and shop index the same text, so
// both find the same purchases; a word index with prefix queries answers it.
func SearchText(p *Purchase) string {
	words := strings.Fields(FoldSearch(p.Buyer.Name) + " " + FoldSearch(p.Buyer.Email))
	var tails []string
	if d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, p.Buyer.Phone); d != "" {
		tails = append(tails, d)
		if n := nationalNumber(d); n != d {
			tails = append(tails, n)
		}
	}
	if p.Code != "" {
		tails = append(tails, strings.ToLower(p.Code))
	}
	for _, t := range tails {
		// The whole number or code is a word however long, but only the
		// last MaxSearchTail characters begin tails of their own: every
		// tail of a long phone number would make a text that grows with
		// the square of its length (8 000 digits, 32 MB), and a tail
		// longer than any real phone number finds nothing the whole
		// number does not.
		words = append(words, t)
		for i := max(1, len(t)-MaxSearchTail); i+MinSearchTerm <= len(t); i++ {
			words = append(words, t[i:])
		}
	}
	seen := make(map[string]bool, len(words))
	out := words[:0]
	for _, w := range words {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// Matches reports whether every term of q begins a word of a purchase's
// SearchText.
func (q SearchQuery) Matches(text string) bool {
	if q.Problem != SearchOK || len(q.Terms) == 0 {
		return false
	}
	text = " " + text
	for _, t := range q.Terms {
		if !strings.Contains(text, " "+t) {
			return false
		}
	}
	return true
}

// Prefix lengths the search indexes of desk and shop have an index of their
// own for: FTS5 reads a prefix of such a length from that index row by row,
// in rowid order, and can stop at a page's end; for any other length it
// first builds the whole list of matching rows.
const (
	MinIndexedPrefix = 2
	MaxIndexedPrefix = 8
)

// FTSMatch returns q as an FTS5 query on a word index of SearchText with
// prefix indexes from MinIndexedPrefix to MaxIndexedPrefix characters:
// each term as a prefix, cut to MaxIndexedPrefix, and terms shorter than
// MinIndexedPrefix left out. exact says whether every row it matches
// matches q; if not, the rows must be checked with Matches. The match is
// empty when no term can be looked up. Terms are letters and digits only,
// so quoting them is safe.
func (q SearchQuery) FTSMatch() (match string, exact bool) {
	return q.ftsMatch(MaxIndexedPrefix)
}

// FTSMatchWhole is FTSMatch with every term whole, however long: FTS5
// then builds the whole list of rows a term longer than MaxIndexedPrefix
// begins a word of, which is cheap for a rare word ("torbjornmorset59")
// and dear for a common one ("kristiansen"), so FTSMatch is the better
// first try.
func (q SearchQuery) FTSMatchWhole() (match string, exact bool) {
	return q.ftsMatch(MaxSearchQuery)
}

func (q SearchQuery) ftsMatch(cut int) (match string, exact bool) {
	var phrases []string
	exact = true
	for _, t := range q.Terms {
		r := []rune(t)
		if len(r) < MinIndexedPrefix {
			exact = false
			continue
		}
		if len(r) > cut {
			exact = false
			r = r[:cut]
		}
		phrases = append(phrases, `"`+string(r)+`"*`)
	}
	return strings.Join(phrases, " AND "), exact && len(phrases) > 0
}

// Local returns q without the terms of an e-mail address's domain
// (Domain), for a word index to look up: the rows it finds must then be
// checked with q.Matches. It returns q when q has no such terms or when
// nothing would be left to look up (FTSMatch would be empty), as for
// "a@example.no".
func (q SearchQuery) Local() SearchQuery {
	if q.Domain <= 0 || q.Domain > len(q.Terms) {
		return q
	}
	l := SearchQuery{Terms: q.Terms[: len(q.Terms)-q.Domain : len(q.Terms)-q.Domain], Problem: q.Problem}
	if m, _ := l.FTSMatch(); m == "" {
		return q
	}
	return l
}

// PurchaseSummary is one purchase as a search or the pickup list shows it.
type PurchaseSummary struct {
	Code      string        `json:"code"`
	Buyer     string        `json:"buyer"`
	CreatedAt time.Time     `json:"created_at"`
	Status    PaymentStatus `json:"status"`
	Total     Money         `json:"total"`
	Remaining int           `json:"remaining"` // Units left to hand over.
	Products  []string      `json:"products,omitempty"`
}

// Summarize returns the summary of p.
func Summarize(p *Purchase) PurchaseSummary {
	s := PurchaseSummary{Code: p.Code, Buyer: p.Buyer.Name, CreatedAt: p.CreatedAt, Status: p.Status,
		Total: p.Total(), Remaining: p.RemainingUnits()}
	for _, l := range p.Lines {
		s.Products = append(s.Products, l.Name)
	}
	return s
}

// SearchPage is one page of search results. Next is the cursor of the next
// page, empty on the last one.
type SearchPage struct {
	Purchases []PurchaseSummary `json:"purchases"`
	Next      string            `json:"next,omitempty"`
}
