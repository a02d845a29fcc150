package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/skranke/skranke"
)

// The changes feed is checked like the shop's answers to lookups
// (checkAnswered) and gift card uses: a page of it goes into the cache and
// from there to staff's screens, the pickup list and the month's sums, so
// an entry with impossible figures (a broken proxy, a forged shop) would
// mislead staff for as long as the cache keeps it. Such an entry is
// refused alone: the rest of its page is filed, the cursor moves on, and
// the refusal is kept (feed_refused) and tried again, at the next sync and
// then with a growing pause (Desk.retryRefused), until the shop gives the
// entry whole.

// Kinds of entry in feed_refused.
const (
	refusedPurchase = "purchase"
	refusedCard     = "card"
)

// checkFeedPurchase checks a purchase of the changes feed: a purchase
// code, and figures within the shop's own limits that add up. it.full is
// the purchase decoded when it has deliveries or credits; otherwise only
// its lines are decoded, from it.Lines, into scratch, which the caller
// hands to every purchase of a page in turn (nothing of it is kept), so
// that checking a page costs no allocation per purchase.
func checkFeedPurchase(it *pageItem, scratch *[]skranke.Line) error {
	if len(it.Code) != skranke.ReferenceLen || !skranke.ValidCheck(it.Code) {
		return fmt.Errorf("%q is not a purchase code", it.Code)
	}
	if it.Seq <= 0 {
		return fmt.Errorf("purchase %s has the feed number %d", it.Code, it.Seq)
	}
	p := it.full
	var lines skranke.Purchase
	if p == nil {
		p = &lines
		p.Code = it.Code
		if len(it.Lines) > 0 {
			var ok bool
			if p.Lines, ok = scanLines(it.Lines, (*scratch)[:0]); ok {
				*scratch = p.Lines
			} else {
				// Its own variable, so that only this rare path allocates.
				var decoded []skranke.Line
				if err := json.Unmarshal(it.Lines, &decoded); err != nil {
					return fmt.Errorf("the lines of purchase %s cannot be read: %w", it.Code, err)
				}
				p.Lines = decoded
			}
		}
	} else if !p.Status.Valid() {
		return fmt.Errorf("purchase %s has the unknown payment status %q", it.Code, p.Status)
	}
	if err := checkFigures(p); err != nil {
		return err
	}
	// A few lines, at most MaxLines: compared pairwise rather than
	// through a map, which cost an allocation per purchase of the feed.
	for i, l := range p.Lines {
		for _, before := range p.Lines[:i] {
			if before.ID == l.ID {
				return fmt.Errorf("purchase %s has two lines %q", p.Code, l.ID)
			}
		}
	}
	hasLine := func(id string) bool {
		for _, l := range p.Lines {
			if l.ID == id {
				return true
			}
		}
		return false
	}
	// Every figure is within its limit (checkFigures), so these sums
	// cannot overflow.
	var credited skranke.Money
	for _, c := range p.Credits {
		credited += c.Amount
		for _, cl := range c.Lines {
			if !hasLine(cl.LineID) || cl.Quantity <= 0 || cl.Quantity > skranke.MaxQuantity {
				return fmt.Errorf("a credit of purchase %s gives back %d units of line %q", p.Code, cl.Quantity, cl.LineID)
			}
		}
	}
	if credited > p.Total() {
		return fmt.Errorf("purchase %s had %d øre credited of %d paid", p.Code, credited, p.Total())
	}
	for _, d := range p.Deliveries {
		if len(d.Lines) > skranke.MaxLines {
			return fmt.Errorf("a delivery of purchase %s has %d lines", p.Code, len(d.Lines))
		}
		for _, dl := range d.Lines {
			if !hasLine(dl.LineID) || dl.Quantity <= 0 || dl.Quantity > skranke.MaxQuantity {
				return fmt.Errorf("a delivery of purchase %s hands over %d units of line %q", p.Code, dl.Quantity, dl.LineID)
			}
		}
	}
	if it.full != nil {
		it.cols = colsOf(it.full)
	} else {
		it.cols = searchCols{created: it.Created, status: it.Status, remaining: p.RemainingUnits(), products: productList(p)}
	}
	return nil
}

// checkFeedCard checks a gift card of the changes feed: gift card codes,
// and a balance between nothing and what the card was issued for.
func checkFeedCard(c *skranke.Card) error {
	if len(c.Code) != skranke.GiftCardLen || !skranke.ValidCheck(c.Code) {
		return fmt.Errorf("%q is not a gift card code", c.Code)
	}
	for _, other := range []string{c.ParentCode, c.RemainderCode} {
		if other != "" && (len(other) != skranke.GiftCardLen || !skranke.ValidCheck(other)) {
			return fmt.Errorf("gift card %s names %q, which is not a gift card code", c.Code, other)
		}
	}
	if c.PurchaseCode != "" && (len(c.PurchaseCode) != skranke.ReferenceLen || !skranke.ValidCheck(c.PurchaseCode)) {
		return fmt.Errorf("gift card %s names %q, which is not a purchase code", c.Code, c.PurchaseCode)
	}
	switch {
	case c.Seq <= 0:
		return fmt.Errorf("gift card %s has the feed number %d", c.Code, c.Seq)
	case c.InitialAmount < 0 || c.InitialAmount > skranke.MaxAmount:
		return fmt.Errorf("gift card %s was issued for %d øre", c.Code, c.InitialAmount)
	case c.Balance < 0 || c.Balance > c.InitialAmount:
		return fmt.Errorf("gift card %s has a balance of %d øre of the %d it was issued for", c.Code, c.Balance, c.InitialAmount)
	}
	switch c.Status {
	case skranke.CardActive, skranke.CardVoided, skranke.CardSpent:
	default:
		return fmt.Errorf("gift card %s has the unknown status %q", c.Code, c.Status)
	}
	return nil
}

// lineFields are the members of a line scanLines reads.
var lineFields = [...]string{"id", "name", "quantity", "unit_price", "discount", "delivered", "credited"}

// scanLines reads the ID and figures of a purchase's lines from their JSON
// (valid JSON, as the page was checked) as encoding/json would, without
// its reflection, appended to lines: decoding them with encoding/json made reading a page of
// the feed three times as costly. ok is false for anything it leaves to
// encoding/json: escapes in keys or IDs, keys that match a field only
// when case is ignored, figures that are not plain integers.
func scanLines(b []byte, lines []skranke.Line) (_ []skranke.Line, ok bool) {
	i := skipWS(b, 0)
	if bytes.HasPrefix(b[i:], []byte("null")) {
		return nil, true
	}
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	if lines == nil {
		lines = []skranke.Line{}
	}
	if i = skipWS(b, i+1); i < len(b) && b[i] == ']' {
		return lines, true
	}
	for i < len(b) {
		if b[i] != '{' {
			return nil, false
		}
		var l skranke.Line
		i = skipWS(b, i+1)
		closed := i < len(b) && b[i] == '}'
		if closed {
			i++
		}
		for !closed {
			if i >= len(b) || b[i] != '"' {
				return nil, false
			}
			ke := i + 1
			for ke < len(b) && b[ke] != '"' {
				if b[ke] == '\\' {
					return nil, false
				}
				ke++
			}
			if ke >= len(b) {
				return nil, false
			}
			key := b[i+1 : ke]
			if i = skipWS(b, ke+1); i >= len(b) || b[i] != ':' {
				return nil, false
			}
			vs := skipWS(b, i+1)
			if vs >= len(b) {
				return nil, false
			}
			ve, good := skipValue(b, vs)
			if !good {
				return nil, false
			}
			if !scanLineMember(&l, key, b[vs:ve]) {
				return nil, false
			}
			if i, closed, ok = afterValue(b, ve, '}'); !ok {
				return nil, false
			}
		}
		lines = append(lines, l)
		var end bool
		if i, end, ok = afterValue(b, i, ']'); !ok {
			return nil, false
		} else if end {
			return lines, skipWS(b, i) == len(b)
		}
	}
	return nil, false
}

// scanLineMember reads the member key (as written between its quotes)
// whose value is val into l, and reports false for what it leaves to
// encoding/json.
func scanLineMember(l *skranke.Line, key, val []byte) bool {
	var n *int64
	var q *int
	switch string(key) {
	case "id":
		if len(val) < 2 || val[0] != '"' || bytes.IndexByte(val, '\\') >= 0 {
			return false
		}
		l.ID = string(val[1 : len(val)-1])
		return true
	case "name":
		// Escapes and bytes that are not UTF-8, which encoding/json
		// replaces, are left to it.
		if len(val) < 2 || val[0] != '"' || bytes.IndexByte(val, '\\') >= 0 || !utf8.Valid(val) {
			return false
		}
		l.Name = string(val[1 : len(val)-1])
		return true
	case "quantity":
		q = &l.Quantity
	case "delivered":
		q = &l.Delivered
	case "credited":
		q = &l.Credited
	case "unit_price":
		n = (*int64)(&l.UnitPrice)
	case "discount":
		n = (*int64)(&l.Discount)
	default:
		// Another member, unless encoding/json would take it for one of
		// these regardless of case ("Quantity", or "diſcount" with a
		// long s): those are left to it.
		for _, c := range key {
			if c >= 0x80 {
				return false
			}
		}
		for _, f := range lineFields {
			if len(key) == len(f) && bytes.EqualFold(key, []byte(f)) {
				return false
			}
		}
		return true
	}
	v, err := strconv.ParseInt(string(val), 10, 64)
	if err != nil {
		return false
	}
	if q != nil {
		*q = int(v)
	} else {
		*n = v
	}
	return true
}
