package skranke

import (
	"fmt"
	"time"
)

// UndoWindow is how long after a delivery the desk offers to undo it: long
// enough to notice a slip (the wrong purchase, a double Enter), short enough
// that the goods are still on the counter.
const UndoWindow = 30 * time.Second

// ReversalLimit is how long after a delivery the shop still accepts its
// reversal, by the times the desk states for both. It is longer than
// UndoWindow to leave room for the confirmation and for two desk clocks
// that differ a little (the shop takes a desk time ahead of its own as
// now). It is counted from the delivery, not from when the reversal
// arrives: an offline desk replays a delivery and its reversal together,
// maybe hours later, and refusing the reversal then would record goods as
// handed over that stayed at the desk.
const ReversalLimit = 2 * time.Minute

// Reversal undoes one delivery: the units it handed over count as not
// handed over again. A delivery is reversed at most once, and a delivery
// that handed over gift cards is never reversed (see CheckReversal).
type Reversal struct {
	ID           string          `json:"id"` // Chosen by the desk (UUID), so a resend is recognised.
	DeliveryID   string          `json:"delivery_id"`
	PurchaseCode string          `json:"purchase_code"`
	Lines        []DeliveredLine `json:"lines"` // The units given back: the delivery's lines.
	DeskID       string          `json:"desk_id"`
	StaffID      string          `json:"staff_id"`
	StaffName    string          `json:"staff_name,omitempty"`
	At           time.Time       `json:"at"`
	// StatedByDesk: the desk recorded the reversal offline and states who
	// made it; see Delivery.StatedByDesk.
	StatedByDesk bool `json:"stated_by_desk,omitempty"`
}

// Delivery returns the delivery with the given ID and whether there is one.
func (p *Purchase) Delivery(id string) (Delivery, bool) {
	for _, d := range p.Deliveries {
		if d.ID == id {
			return d, true
		}
	}
	return Delivery{}, false
}

// Reversed reports whether the delivery with the given ID was reversed.
func (p *Purchase) Reversed(deliveryID string) bool {
	for _, r := range p.Reversals {
		if r.DeliveryID == deliveryID {
			return true
		}
	}
	return false
}

// HandsOverGiftCards reports whether delivery d handed over a gift card line
// of the purchase.
func (p *Purchase) HandsOverGiftCards(d Delivery) bool {
	for _, dl := range d.Lines {
		for _, l := range p.Lines {
			if l.ID == dl.LineID && l.Kind == GiftCard && dl.Quantity > 0 {
				return true
			}
		}
	}
	return false
}

// CheckReversal says whether the delivery with the given ID may be reversed
// at time at, within limit of the delivery (UndoWindow at the desk,
// ReversalLimit at the shop). The error is of kind NotFound for no such
// delivery, Conflict for one already reversed, one that handed over gift
// cards (a printed card is valid as soon as it leaves the printer and may
// be spent at once; only a credit can take it back), or one older than
// limit.
func (p *Purchase) CheckReversal(deliveryID string, at time.Time, limit time.Duration) error {
	const op = "skranke.Purchase.CheckReversal"
	d, ok := p.Delivery(deliveryID)
	switch {
	case !ok:
		return E(op, NotFound, fmt.Sprintf("purchase %s has no delivery %s", p.Code, deliveryID))
	case p.Reversed(deliveryID):
		return E(op, Conflict, fmt.Sprintf("the delivery %s on %s was undone already", deliveryID, p.Code))
	case p.HandsOverGiftCards(d):
		return E(op, Conflict, fmt.Sprintf("the delivery %s on %s handed over gift cards, which are valid once printed; it cannot be undone (credit the purchase instead)", deliveryID, p.Code))
	case at.Sub(d.At) > limit:
		return E(op, Conflict, fmt.Sprintf("the delivery %s on %s was made at %s; it can be undone for %s only", deliveryID, p.Code,
			d.At.UTC().Format(time.RFC3339), limit))
	}
	return nil
}

// Reverse applies reversal r to the purchase: the units of its delivery
// count as not handed over again. It does nothing for a delivery the
// purchase lacks or has reversed already, so applying a reversal twice (the
// shop's copy and the desk's pending one) counts it once.
func (p *Purchase) Reverse(r Reversal) {
	d, ok := p.Delivery(r.DeliveryID)
	if !ok || p.Reversed(r.DeliveryID) {
		return
	}
	for _, dl := range d.Lines {
		for i := range p.Lines {
			if p.Lines[i].ID == dl.LineID {
				p.Lines[i].Delivered = max(p.Lines[i].Delivered-dl.Quantity, 0)
			}
		}
	}
	p.Reversals = append(p.Reversals, r)
}

// NewReversal returns the reversal of delivery d, made by staff at a desk
// at time at, under the given ID.
func NewReversal(id string, d Delivery, deskID string, staff Staff, at time.Time) Reversal {
	return Reversal{ID: id, DeliveryID: d.ID, PurchaseCode: d.PurchaseCode, Lines: d.Lines,
		DeskID: deskID, StaffID: staff.ID, StaffName: staff.Name, At: at}
}
