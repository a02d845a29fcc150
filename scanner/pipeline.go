package scanner

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/skranke/skranke"
)

// Reading.Source values for the app's scan field. A code the Wedge saw
// arrive at scanner speed is SourceWedge: it went through the computer's
// keyboard layout from a scanner's, and the pipeline repairs what a layout
// mismatch did to it. A code typed by a person is SourceHand: their keyboard
// and the computer agree, so nothing is repaired.
const (
	SourceWedge = "wedge"
	SourceHand  = "hand"
)

// DefaultDedupWindow is how long the same code read again is dropped.
const DefaultDedupWindow = 2 * time.Second

// Options configure a Pipeline.
type Options struct {
	// Prefix and Suffix are what the scanner is set to add around each code,
	// beyond the terminator the source splits on. Empty means none.
	Prefix, Suffix string
	// HostLayout is the computer's keyboard layout, ScannerLayout the layout
	// a keyboard-mode scanner is set to. When they differ, characters typed
	// through the keyboard (Source not "serial:..." or "hid:...") are mapped
	// back to what the scanner meant. Empty means unknown: no mapping.
	HostLayout, ScannerLayout Layout
	// DedupWindow is how long a code read again is dropped as a repeat,
	// counted from the last time it was read, so a code held under a
	// scanner in continuous mode is read once. 0 means DefaultDedupWindow,
	// a negative value turns it off.
	DedupWindow time.Duration
}

// Pipeline cleans, repairs, classifies and validates readings from every
// source. It is safe for concurrent use.
type Pipeline struct {
	opts   Options
	window time.Duration
	repair map[rune]rune

	mu   sync.Mutex
	seen map[string]time.Time

	suggestOnce sync.Once
	suggest     []layoutPair
}

// layoutPair is a scanner layout typing into a host layout, with the map
// that undoes it.
type layoutPair struct {
	host, scanner Layout
	repair        map[rune]rune
}

// NewPipeline returns a pipeline configured by opts.
func NewPipeline(opts Options) *Pipeline {
	w := opts.DedupWindow
	if w == 0 {
		w = DefaultDedupWindow
	}
	return &Pipeline{
		opts:   opts,
		window: w,
		repair: repairMap(opts.HostLayout, opts.ScannerLayout),
		seen:   make(map[string]time.Time),
	}
}

// Process turns a reading into a scan. It returns ErrEmpty for a reading
// with nothing in it, ErrDuplicate for the same code (or the same bad
// reading) seen again within the dedup window, and an error of kind
// skranke.Invalid wrapping an *InvalidError (reach it with errors.As) for
// a code that looks like one of ours or an EAN-13 but fails validation. Text
// that is none of those comes back as a Scan of Class Unknown.
func (p *Pipeline) Process(r Reading) (Scan, error) {
	at := r.At
	if at.IsZero() {
		at = time.Now()
	}
	r, sc, inv, err := p.classifyWhole(r)
	sc.Raw, sc.Source, sc.At = r.Data, r.Source, at
	if err == ErrEmpty {
		return sc, err
	}
	if (inv != nil && inv.Kind == BadCharacters || inv == nil && sc.Class == Unknown) && typed(r.Source) {
		if wrong, ok := p.layoutSuggestion(sc.Code); ok {
			inv = wrong
		}
	}
	key := "v" + sc.Code
	if inv != nil {
		key = "x" + inv.Raw
	}
	if p.repeated(key, at) {
		return sc, ErrDuplicate
	}
	if inv != nil {
		return sc, skranke.E("scanner.Pipeline.Process", skranke.Invalid, inv)
	}
	return sc, nil
}

// classifyWhole is classify, for r with its held keys put back in front
// when they belong (see Whole), which it returns.
func (p *Pipeline) classifyWhole(r Reading) (Reading, Scan, *InvalidError, error) {
	sc, inv, err := p.classify(r)
	if r.Held != "" && (inv != nil || sc.Class == Unknown) {
		// The scan's first keys, held apart by a frame the app was
		// drawing: taken back only when they complete a valid code,
		// which keys a person typed before a scan almost never do.
		whole := r
		whole.Data, whole.Held = r.Held+r.Data, ""
		if wsc, winv, werr := p.classify(whole); werr == nil && winv == nil && wsc.Class != Unknown {
			return whole, wsc, nil, nil
		}
	}
	return r, sc, inv, err
}

// Whole returns r with the keys a busy app held apart from it (Held) put
// back in front of Data when, as in Process, they complete a valid code
// that Data alone is not, and Held emptied either way. It records
// nothing: it is for a reading kept to be processed later (the next
// customer's code, scanned while the buyer signs), which must keep its
// first keys.
func (p *Pipeline) Whole(r Reading) Reading {
	if r.Held == "" {
		return r
	}
	w, _, _, _ := p.classifyWhole(r)
	w.Held = ""
	return w
}

// Check classifies r as Process does, with the same errors save
// ErrDuplicate, and records nothing: for a reading kept to be processed
// later (Whole), to tell at once whether it is worth keeping.
func (p *Pipeline) Check(r Reading) (Scan, error) {
	r, sc, inv, err := p.classifyWhole(r)
	sc.Raw, sc.Source, sc.At = r.Data, r.Source, r.At
	if err != nil {
		return sc, err
	}
	if inv != nil {
		return sc, skranke.E("scanner.Pipeline.Check", skranke.Invalid, inv)
	}
	return sc, nil
}

// Forget forgets that code (as Scan.Code has it) was read, so that the
// next reading of it is not dropped as a repeat: the app calls it for a
// code read again after the screen moved on from it, which staff mean.
func (p *Pipeline) Forget(code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.seen, "v"+code)
}

// repeated reports whether key was seen within the window before at, and
// records it.
func (p *Pipeline) repeated(key string, at time.Time) bool {
	if p.window < 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	last, ok := p.seen[key]
	p.seen[key] = at
	if len(p.seen) > 256 {
		for k, t := range p.seen {
			if d := at.Sub(t); d > p.window || d < -p.window {
				delete(p.seen, k)
			}
		}
	}
	if !ok {
		return false
	}
	d := at.Sub(last)
	return d <= p.window && d >= -p.window
}

// typed reports whether a reading from source is a scanner's typing through
// the computer's keyboard layout. Serial and HID sources decode bytes
// themselves, and a person's typing needs no repair.
func typed(source string) bool {
	return source != SourceHand && !strings.HasPrefix(source, "serial:") && !strings.HasPrefix(source, "hid:")
}

// clean trims the reading, undoes the layout mix-up, and strips prefix,
// suffix and AIM identifier. It returns the text and the symbology the AIM
// identifier named.
func (p *Pipeline) clean(r Reading) (text, sym string) {
	s := strings.TrimFunc(r.Data, isSpaceOrControl)
	if p.repair != nil && typed(r.Source) {
		s = p.repairLayout(s)
	}
	s = p.stripAffixes(s)
	if got, ok := parseAIM(s); ok {
		s, sym = s[3:], got
	} else if alt, ok := nordicAIM(s); ok {
		got, _ = parseAIM(alt)
		s, sym = alt[3:], got
	}
	s = strings.TrimFunc(s, isSpaceOrControl)
	if p.opts.Prefix != "" || p.opts.Suffix != "" {
		// A scanner may put the prefix before or after the AIM identifier.
		s = strings.TrimFunc(p.stripAffixes(s), isSpaceOrControl)
	}
	return s, sym
}

func (p *Pipeline) stripAffixes(s string) string {
	if p.opts.Prefix != "" {
		s = strings.TrimPrefix(s, p.opts.Prefix)
	}
	if p.opts.Suffix != "" {
		s = strings.TrimSuffix(s, p.opts.Suffix)
	}
	return s
}

// nordicAIM recognises an AIM identifier from a scanner set to US typing
// into a Nordic computer when the layouts were not configured: "]" is the
// dead key "¨" there, left alone before a consonant ("¨Q1") and composed
// with a vowel ("Ë0"). Neither can start one of our codes or an EAN, so
// reading them as "]" is safe.
func nordicAIM(s string) (string, bool) {
	c, n := utf8.DecodeRuneInString(s)
	var alt string
	if c == '¨' {
		alt = "]" + s[n:]
	} else if base, ok := diaeresisBase(c); ok {
		alt = "]" + string(base) + s[n:]
	} else {
		return "", false
	}
	_, ok := parseAIM(alt)
	return alt, ok
}

// repairLayout maps back what the computer's layout made of the scanner's
// key presses.
func (p *Pipeline) repairLayout(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, c := range s {
		if i == 0 {
			// "]E0" through a Nordic layout: the dead key "¨" composed with E.
			if base, ok := diaeresisBase(c); ok && p.repair['¨'] == ']' {
				b.WriteByte(']')
				b.WriteByte(base)
				continue
			}
		}
		if m, ok := p.repair[c]; ok {
			c = m
		}
		b.WriteRune(c)
	}
	return b.String()
}

// isSpaceOrControl reports whether r is trimmed from the ends of a reading:
// white space, control characters, and format characters (unicode.Cf):
// a QR code in byte mode often starts with a UTF-8 byte order mark
// (U+FEFF), which scanners pass on, and text copied into a code may carry a
// zero-width space (U+200B). None of them is printed, so none is part of
// what staff see on the receipt.
func isSpaceOrControl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// isLayoutSeparator reports whether c is what a group separator (the
// printed hyphen) becomes when a scanner's and a computer's layouts disagree:
// '+' US on Nordic, '/' Nordic or German on US, 'ß' US on German.
func isLayoutSeparator(c rune) bool { return c == '+' || c == '/' || c == 'ß' }

// normalise returns s as skranke.NormalizeCode reads a code, after dropping
// what a layout mix-up makes of the separators. ok is false if the result
// has a character that cannot be in our codes; bad is then the first such
// character.
func normalise(s string) (code string, ok bool, bad rune) {
	code = skranke.NormalizeCode(strings.Map(func(c rune) rune {
		if isLayoutSeparator(c) {
			return -1
		}
		return c
	}, s))
	for _, c := range code {
		if !skranke.IsCodeSymbol(c) {
			return code, false, c
		}
	}
	return code, true, 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// gtinCheck reports whether the digits of s end in a correct GTIN (EAN/UPC)
// check digit: weights 3 and 1 alternating from the right, check excluded.
func gtinCheck(s string) bool {
	sum := 0
	for i := len(s) - 2; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-2-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return (10-sum%10)%10 == int(s[len(s)-1]-'0')
}

// classify cleans and validates a reading. It returns ErrEmpty for a
// reading with nothing in it, and an *InvalidError for one that fails
// validation.
func (p *Pipeline) classify(r Reading) (Scan, *InvalidError, error) {
	text, sym := p.clean(r)
	sc := Scan{Symbology: r.Symbology}
	if sc.Symbology == "" {
		sc.Symbology = sym
	}
	if text == "" {
		return sc, nil, ErrEmpty
	}
	invalid := func(kind InvalidKind, reason string) (Scan, *InvalidError, error) {
		sc.Code = text
		return sc, &InvalidError{Raw: text, Reason: reason, Kind: kind}, nil
	}
	// EAN and UPC first: digits only, and their own check digit.
	if allDigits(text) {
		switch len(text) {
		case 13:
			if !gtinCheck(text) {
				return invalid(BadCheck, "EAN-13 check digit does not match")
			}
			sc.Code, sc.Class = text, EAN13
			if sc.Symbology == "" || sc.Symbology == SymEANUPC {
				sc.Symbology = SymEAN13
			}
			return sc, nil, nil
		case 12:
			if gtinCheck(text) {
				sc.Code, sc.Class = "0"+text, EAN13
				if sc.Symbology == "" || sc.Symbology == SymEANUPC {
					sc.Symbology = SymUPCA
				}
				return sc, nil, nil
			}
			if sc.Symbology == SymEANUPC {
				return invalid(BadCheck, "UPC-A check digit does not match")
			}
		case 8:
			if gtinCheck(text) && (sc.Symbology == SymEAN8 || !skranke.ValidCheck(text)) {
				sc.Code = text
				if sc.Symbology == "" {
					sc.Symbology = SymEAN8
				}
				return sc, nil, nil // A product's EAN-8: not ours, and valid.
			}
		}
	}
	code, ok, bad := normalise(text)
	n := utf8.RuneCountInString(code)
	switch {
	case ok && (n == skranke.ReferenceLen || n == skranke.GiftCardLen):
		if !skranke.ValidCheck(code) {
			return invalid(BadCheck, "check character does not match")
		}
		sc.Code, sc.Class = code, Reference
		if n == skranke.GiftCardLen {
			sc.Class = GiftCardCode
		}
		return sc, nil, nil
	case ok && (n == skranke.ReferenceLen-1 || n == skranke.ReferenceLen+1 || n == skranke.GiftCardLen-1 || n == skranke.GiftCardLen+1) && !allDigits(code):
		return invalid(BadLength, "one symbol too many or too few")
	case !ok && (n == skranke.ReferenceLen || n == skranke.GiftCardLen):
		return invalid(BadCharacters, "character "+string(bad)+" is not in Skranke codes")
	}
	if code, class, ok := codeInURL(text); ok {
		sc.Code, sc.Class = code, class
		return sc, nil, nil
	}
	sc.Code = text
	return sc, nil, nil
}

// layoutSuggestion looks for a keyboard layout mix-up that explains text,
// typed by a scanner: a pair of layouts whose repair turns it into a valid
// code. It is only asked about text with characters foreign to our codes,
// where a valid result is strong evidence.
func (p *Pipeline) layoutSuggestion(text string) (*InvalidError, bool) {
	if n := utf8.RuneCountInString(text); n < skranke.ReferenceLen || n > skranke.GiftCardLen+6 {
		return nil, false
	}
	p.suggestOnce.Do(func() {
		for _, h := range Layouts() {
			for _, s := range Layouts() {
				if m := repairMap(h, s); m != nil {
					p.suggest = append(p.suggest, layoutPair{h, s, m})
				}
			}
		}
	})
	for _, lp := range p.suggest {
		if lp.host == p.opts.HostLayout && lp.scanner == p.opts.ScannerLayout {
			continue
		}
		fixed := []rune(text)
		changed := false
		for i, c := range fixed {
			if m, ok := lp.repair[c]; ok {
				fixed[i], changed = m, true
			}
		}
		if !changed {
			continue
		}
		s := string(fixed)
		if _, ok := parseAIM(s); ok {
			s = s[3:]
		}
		code, ok, _ := normalise(s)
		if ok && (len(code) == skranke.ReferenceLen || len(code) == skranke.GiftCardLen) && skranke.ValidCheck(code) {
			return &InvalidError{Raw: text, Kind: WrongLayout, HostLayout: lp.host, ScannerLayout: lp.scanner, Suggested: code,
				Reason: fmt.Sprintf("looks like a scanner set to %s typing into a computer set to %s", lp.scanner, lp.host)}, true
		}
	}
	return nil, false
}

// codeInURL finds one of Skranke's codes in a web address, as a receipt's QR
// code may hold a link to the receipt: the last path segment, a query value
// or the fragment. Only a code written as the shop writes it counts: upper
// case, bare or grouped with hyphens, and valid. Lower case and the aliases a
// person may type are not accepted here: a link is made by a machine, and
// taken case-blind every eight-letter word of a foreign link ("facebook")
// would pass the five-bit check character one time in 32.
//
// The scheme is case-blind (RFC 3986 3.1): a QR code in alphanumeric mode,
// smaller and so common for links, holds upper case only, and its link
// reads "HTTPS://…". The code in it still has to be as the shop writes it.
//
// A link may hold two valid codes (a purchase's and a gift card bought in
// it). The first one in the link as written wins: the last path segment,
// then the query values in their order, then the fragment. The same link
// then always opens the same screen, the one whose code the shop put
// first, and staff who scan it twice see the same thing twice. Refusing
// such a link would tell them "not a Skranke receipt" of one that is.
func codeInURL(text string) (string, Class, bool) {
	if !hasPrefixFold(text, "https://") && !hasPrefixFold(text, "http://") {
		return "", Unknown, false
	}
	u, err := url.Parse(text)
	if err != nil {
		return "", Unknown, false
	}
	candidates := []string{path.Base(u.Path)}
	candidates = append(candidates, queryValues(u.RawQuery)...)
	candidates = append(candidates, u.Fragment)
	for _, c := range candidates {
		code := strings.ReplaceAll(c, "-", "")
		if (len(code) == skranke.ReferenceLen || len(code) == skranke.GiftCardLen) && skranke.ValidCheck(code) {
			if len(code) == skranke.GiftCardLen {
				return code, GiftCardCode, true
			}
			return code, Reference, true
		}
	}
	return "", Unknown, false
}

// hasPrefixFold reports whether s begins with prefix, ASCII case-blind.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// queryValues returns the values of a raw query in the order the link
// writes them; url.Values is a map and would give them in random order.
// Malformed pairs are skipped, as url.ParseQuery skips them.
func queryValues(raw string) []string {
	var vs []string
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		_, v, _ := strings.Cut(pair, "=")
		if v, err := url.QueryUnescape(v); err == nil {
			vs = append(vs, v)
		}
	}
	return vs
}
