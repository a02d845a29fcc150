package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/skranke/skranke"
)

// decodeChangesPage reads a page of the changes feed as encoding/json would
// read it into a ChangesPage, in one pass over the body: a first sync reads
// a thousand pages of a thousand purchases, and encoding/json, which checks
// the whole body and then walks it again to copy every purchase out, was
// a third of the desk's CPU time. The purchases and gift cards are slices
// of body, which must not change afterwards. Anything the fast path does
// not expect (escaped or case-folded keys, duplicate keys, a number that
// is not an integer, an error) is left to encoding/json, so that a broken
// page is described as encoding/json describes it.
func decodeChangesPage(body []byte) (ChangesPage, error) {
	if p, ok := scanChangesPage(body); ok {
		return p, nil
	}
	var p ChangesPage
	err := json.Unmarshal(body, &p)
	return p, err
}

// pageFields are the keys of a page the fast path reads.
var pageFields = [...]string{"purchases", "cards", "next", "more"}

func scanChangesPage(b []byte) (p ChangesPage, ok bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return p, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return p, skipWS(b, i+1) == len(b)
	}
	var seen [len(pageFields)]bool
	for i < len(b) {
		if b[i] != '"' {
			return p, false
		}
		ke, ok := validString(b, i)
		if !ok {
			return p, false
		}
		key := b[i+1 : ke-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return p, false // Escaped keys: leave them to encoding/json.
		}
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return p, false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return p, false
		}
		field := -1
		for f, name := range pageFields {
			if string(key) == name {
				field = f
			} else if bytes.EqualFold(key, []byte(name)) {
				return p, false // encoding/json matches keys case-insensitively.
			}
		}
		if field >= 0 {
			if seen[field] {
				return p, false // Duplicate keys: the last one wins there.
			}
			seen[field] = true
		}
		var end int
		switch field {
		case 0:
			if p.Purchases, p.scanned, end, ok = scanPurchases(b, i); !ok {
				return p, false
			}
		case 1:
			if p.Cards, end, ok = scanList(b, i); !ok {
				return p, false
			}
		case 2:
			if end, ok = validNumber(b, i); !ok {
				return p, false
			}
			n, err := strconv.ParseInt(string(b[i:end]), 10, 64)
			if err != nil {
				return p, false
			}
			p.Next = n
		case 3:
			switch {
			case bytes.HasPrefix(b[i:], []byte("true")):
				p.More, end = true, i+4
			case bytes.HasPrefix(b[i:], []byte("false")):
				p.More, end = false, i+5
			default:
				return p, false
			}
		default:
			if end, ok = validValue(b, i, 0); !ok {
				return p, false
			}
		}
		var closed bool
		if i, closed, ok = afterValue(b, end, '}'); !ok {
			return p, false
		} else if closed {
			return p, skipWS(b, i) == len(b)
		}
	}
	return p, false
}

// scanList reads a JSON array (or null) at b[i] into its elements, each a
// slice of b.
func scanList(b []byte, i int) (list []json.RawMessage, end int, ok bool) {
	if bytes.HasPrefix(b[i:], []byte("null")) {
		return nil, i + 4, true
	}
	if b[i] != '[' {
		return nil, 0, false
	}
	list = make([]json.RawMessage, 0, PageSize)
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return list, i + 1, true
	}
	for i < len(b) {
		e, ok := validValue(b, i, 1)
		if !ok {
			return nil, 0, false
		}
		list = append(list, b[i:e:e])
		var closed bool
		if i, closed, ok = afterValue(b, e, ']'); !ok {
			return nil, 0, false
		} else if closed {
			return list, i, true
		}
	}
	return nil, 0, false
}

// scanPurchases is scanList for the page's purchases, which also reads
// each purchase's code, seq and activity as it goes (validPurchase): a
// second pass over every purchase (scanFeedPurchase) cost as much as
// checking the page.
func scanPurchases(b []byte, i int) (list []json.RawMessage, scanned []scannedPurchase, end int, ok bool) {
	if bytes.HasPrefix(b[i:], []byte("null")) {
		return nil, nil, i + 4, true
	}
	if b[i] != '[' {
		return nil, nil, 0, false
	}
	list = make([]json.RawMessage, 0, PageSize)
	scanned = make([]scannedPurchase, 0, PageSize)
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return list, scanned, i + 1, true
	}
	for i < len(b) {
		e, sp, ok := validPurchase(b, i)
		if !ok {
			return nil, nil, 0, false
		}
		list = append(list, b[i:e:e])
		scanned = append(scanned, sp)
		var closed bool
		if i, closed, ok = afterValue(b, e, ']'); !ok {
			return nil, nil, 0, false
		} else if closed {
			return list, scanned, i, true
		}
	}
	return nil, nil, 0, false
}

// scannedPurchase is what validPurchase read of a purchase: fp is its
// code, seq and activity as scanFeedPurchase reads them when fast is set;
// otherwise scanFeedPurchase is left to read them.
type scannedPurchase struct {
	fp   feedPurchase
	fast bool
}

// validPurchase is validValue for an element of the page's purchases,
// which also reads its code, seq and activity from its top-level members
// (topScan) in the same pass.
func validPurchase(b []byte, i int) (int, scannedPurchase, bool) {
	if i >= len(b) || b[i] != '{' {
		e, ok := validValue(b, i, 1)
		return e, scannedPurchase{}, ok
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, scannedPurchase{fast: true}, true
	}
	t := topScan{fast: true}
	for i < len(b) {
		if b[i] != '"' {
			return 0, scannedPurchase{}, false
		}
		ke, ok := validString(b, i)
		if !ok {
			return 0, scannedPurchase{}, false
		}
		key := b[i+1 : ke-1]
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return 0, scannedPurchase{}, false
		}
		vs := skipWS(b, i+1)
		ve, ok := validValue(b, vs, 2)
		if !ok {
			return 0, scannedPurchase{}, false
		}
		if t.fast {
			t.member(key, b[vs:ve])
		}
		var closed bool
		if i, closed, ok = afterValue(b, ve, '}'); !ok {
			return 0, scannedPurchase{}, false
		} else if closed {
			return i, scannedPurchase{fp: t.fp, fast: t.done()}, true
		}
	}
	return 0, scannedPurchase{}, false
}

// maxDepth is how deep the fast path follows nested values before it leaves
// the page to encoding/json. A purchase nests four levels.
const maxDepth = 64

// validValue returns the index just after the JSON value starting at b[i],
// and whether it is valid JSON by the rules encoding/json checks: strings
// without control characters and with valid escapes, numbers by the
// grammar, literals spelled out, brackets matched.
func validValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return validString(b, i)
	case c == '{':
		if depth >= maxDepth {
			return 0, false
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for i < len(b) {
			if b[i] != '"' {
				return 0, false
			}
			e, ok := validString(b, i)
			if !ok {
				return 0, false
			}
			i = skipWS(b, e)
			if i >= len(b) || b[i] != ':' {
				return 0, false
			}
			if i, ok = validValue(b, skipWS(b, i+1), depth+1); !ok {
				return 0, false
			}
			var closed bool
			if i, closed, ok = afterValue(b, i, '}'); !ok || closed {
				return i, ok
			}
		}
		return 0, false
	case c == '[':
		if depth >= maxDepth {
			return 0, false
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for i < len(b) {
			var ok, closed bool
			if i, ok = validValue(b, i, depth+1); !ok {
				return 0, false
			}
			if i, closed, ok = afterValue(b, i, ']'); !ok || closed {
				return i, ok
			}
		}
		return 0, false
	case c == '-' || c >= '0' && c <= '9':
		return validNumber(b, i)
	case c == 't':
		return i + 4, bytes.HasPrefix(b[i:], []byte("true"))
	case c == 'f':
		return i + 5, bytes.HasPrefix(b[i:], []byte("false"))
	case c == 'n':
		return i + 4, bytes.HasPrefix(b[i:], []byte("null"))
	}
	return 0, false
}

// validString returns the index just after the string starting at
// b[i] == '"', and whether it is a valid JSON string.
func validString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			i++
			if i >= len(b) {
				return 0, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return 0, false
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return 0, false
					}
				}
				i += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

// validNumber returns the index just after the number starting at b[i],
// and whether it follows JSON's grammar.
func validNumber(b []byte, i int) (int, bool) {
	digits := func(i int) (int, bool) {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i, i > s
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	if b[i] == '0' {
		i++
	} else {
		var ok bool
		if i, ok = digits(i); !ok {
			return 0, false
		}
	}
	if i < len(b) && b[i] == '.' {
		var ok bool
		if i, ok = digits(i + 1); !ok {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		var ok bool
		if i, ok = digits(i); !ok {
			return 0, false
		}
	}
	return i, true
}

// pageItem is a purchase of a page of the changes feed, read as far as the
// cache needs to file it.
type pageItem struct {
	feedPurchase
	// full is the whole purchase, decoded only when it has deliveries or
	// credits (feedPurchase.Activity), which the daily report needs.
	full *skranke.Purchase
	// refused says why the purchase is not filed (checkFeedPurchase), or
	// is empty.
	refused string
	// cols are its search columns, read with its lines by
	// checkFeedPurchase (from full when set).
	cols searchCols
}

// read checks that every purchase and gift card of the page can be filed
// and reads what the cache needs of them, before any of them is written,
// so that a broken page is refused whole and never half applied.
func (p *ChangesPage) read() error {
	if p.items != nil || len(p.Purchases)+len(p.Cards) == 0 {
		return nil
	}
	items := make([]pageItem, len(p.Purchases))
	var scratch []skranke.Line // For checkFeedPurchase.
	for i, raw := range p.Purchases {
		var fp feedPurchase
		var err error
		if i < len(p.scanned) && p.scanned[i].fast {
			fp = p.scanned[i].fp
		} else {
			fp, err = scanFeedPurchase(raw)
		}
		if err == nil && fp.Code == "" {
			err = errors.New("it has no code")
		}
		if err != nil {
			return fmt.Errorf("purchase %d of the page: %w", i+1, err)
		}
		items[i].feedPurchase = fp
		if fp.Activity {
			items[i].full = new(skranke.Purchase)
			if err := json.Unmarshal(raw, items[i].full); err != nil {
				return fmt.Errorf("purchase %s: %w", fp.Code, err)
			}
		}
		if err := checkFeedPurchase(&items[i], &scratch); err != nil {
			items[i].refused = err.Error()
		}
	}
	cards := make([]skranke.Card, len(p.Cards))
	var cardsRefused []string
	for i, raw := range p.Cards {
		err := json.Unmarshal(raw, &cards[i])
		if err == nil && cards[i].Code == "" {
			err = errors.New("it has no code")
		}
		if err != nil {
			return fmt.Errorf("gift card %d of the page: %w", i+1, err)
		}
		if err := checkFeedCard(&cards[i]); err != nil {
			if cardsRefused == nil {
				cardsRefused = make([]string, len(p.Cards))
			}
			cardsRefused[i] = err.Error()
		}
	}
	p.items, p.cards, p.cardsRefused = items, cards, cardsRefused
	return nil
}

// pageTail reads where the next page of the changes feed starts and
// whether there is one from the end of a page's body, where the shop
// writes them: `,"next":N,"more":B}`, the last members of the page's
// object. So the fetcher asks for the next page before this one is
// decoded (see fetchFeed), and the decoder checks that the page says the
// same. ok is false for any other ending; the page is then decoded first.
func pageTail(b []byte) (next int64, more, ok bool) {
	i := len(b)
	// back steps over whitespace before b[i], and then over lit if b[:i]
	// ends with it.
	back := func(lit string) bool {
		for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t' || b[i-1] == '\n' || b[i-1] == '\r') {
			i--
		}
		if !bytes.HasSuffix(b[:i], []byte(lit)) {
			return false
		}
		i -= len(lit)
		return true
	}
	if !back("}") {
		return 0, false, false
	}
	switch {
	case back("true"):
		more = true
	case back("false"):
	default:
		return 0, false, false
	}
	if !back(":") || !back(`"more"`) || !back(",") || !back("") {
		return 0, false, false
	}
	end := i
	for i > 0 && b[i-1] >= '0' && b[i-1] <= '9' {
		i--
	}
	if i > 0 && b[i-1] == '-' {
		i--
	}
	n, err := strconv.ParseInt(string(b[i:end]), 10, 64)
	if err != nil || !back(":") || !back(`"next"`) {
		return 0, false, false
	}
	if !back(",") && !back("{") {
		return 0, false, false
	}
	return n, more, true
}
