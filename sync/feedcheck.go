package sync

import (
	"encoding/json"
	"fmt"

	"github.com/skranke/skranke"
)

// The changes feed is checked like the shop's answers to lookups
// (checkAnswered) and gift card uses: a page of it goes into the cache and
// from there to staff's screens, the pickup list and the month's sums, so
// an entry with impossible figures (a broken proxy, a forged shop) would
// mislead staff for as long as the cache keeps it. Such an entry is
// refused alone: the rest of its page is filed, the cursor moves on, and
// the refusal is kept (feed_refused) and tried again at every sync
// (Desk.retryRefused) until the shop gives the entry whole.

// Kinds of entry in feed_refused.
const (
	refusedPurchase = "purchase"
	refusedCard     = "card"
)

// checkFeedPurchase checks a purchase of the changes feed: a purchase
// code, and figures within the shop's own limits that add up. it.full is
// the purchase decoded when it has deliveries or credits; otherwise only
// its lines are decoded, from it.Lines.
func checkFeedPurchase(it *pageItem) error {
	if len(it.Code) != skranke.ReferenceLen || !skranke.ValidCheck(it.Code) {
		return fmt.Errorf("%q is not a purchase code", it.Code)
	}
	if it.Seq <= 0 {
		return fmt.Errorf("purchase %s has the feed number %d", it.Code, it.Seq)
	}
	p := it.full
	if p == nil {
		p = &skranke.Purchase{Code: it.Code}
		if len(it.Lines) > 0 {
			if err := json.Unmarshal(it.Lines, &p.Lines); err != nil {
				return fmt.Errorf("the lines of purchase %s cannot be read: %w", it.Code, err)
			}
		}
	} else if !p.Status.Valid() {
		return fmt.Errorf("purchase %s has the unknown payment status %q", it.Code, p.Status)
	}
	if err := checkFigures(p); err != nil {
		return err
	}
	lines := make(map[string]bool, len(p.Lines))
	for _, l := range p.Lines {
		if lines[l.ID] {
			return fmt.Errorf("purchase %s has two lines %q", p.Code, l.ID)
		}
		lines[l.ID] = true
	}
	// Every figure is within its limit (checkFigures), so these sums
	// cannot overflow.
	var credited skranke.Money
	for _, c := range p.Credits {
		credited += c.Amount
		for _, cl := range c.Lines {
			if !lines[cl.LineID] || cl.Quantity <= 0 || cl.Quantity > skranke.MaxQuantity {
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
			if !lines[dl.LineID] || dl.Quantity <= 0 || dl.Quantity > skranke.MaxQuantity {
				return fmt.Errorf("a delivery of purchase %s hands over %d units of line %q", p.Code, dl.Quantity, dl.LineID)
			}
		}
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
