package skranke

import (
	"fmt"
	"slices"
	"time"
)

// PaymentStatus is where the acquirer's payment for a purchase stands.
type PaymentStatus string

// The payment statuses a purchase moves through.
const (
	Pending    PaymentStatus = "pending"    // The buyer has not finished paying.
	Authorized PaymentStatus = "authorized" // The acquirer reserved the amount.
	Captured   PaymentStatus = "captured"   // The money was drawn.
	Credited   PaymentStatus = "credited"   // A manager credited the purchase in full.
	Failed     PaymentStatus = "failed"     // The payment was declined.
	Cancelled  PaymentStatus = "cancelled"  // The buyer or the shop cancelled it.
)

// Deliverable reports whether goods paid with this status may be handed over.
func (s PaymentStatus) Deliverable() bool { return s == Authorized || s == Captured }

// Valid reports whether s is one of the known statuses.
func (s PaymentStatus) Valid() bool {
	switch s {
	case Pending, Authorized, Captured, Credited, Failed, Cancelled:
		return true
	}
	return false
}

// LineKind tells what a purchase line sells, which decides how it is handed over.
type LineKind string

// The kinds of line.
const (
	Service  LineKind = "service"  // Course packages, drop-ins, treatments: nothing to hand over but access.
	Physical LineKind = "physical" // Goods that leave the desk: the buyer signs for them.
	GiftCard LineKind = "giftcard" // A gift card sold in the web shop, printed at the desk.
)

// Role is what a staff member may do.
type Role string

// The staff roles.
const (
	RoleStaff      Role = "staff"
	RoleManager    Role = "manager"
	RoleAccountant Role = "accountant"
)

// Centre is one gym or fitness centre of a chain.
type Centre struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	Phone   string `json:"phone,omitempty"`
	OrgNo   string `json:"org_no,omitempty"`
}

// DeskInfo is one front-desk installation of a centre; it authenticates with a bearer token.
type DeskInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	CentreID string `json:"centre_id"`
}

// Staff is a person who works at the desk. The PIN is checked against PINHash,
// a hex PBKDF2-SHA256 digest of the PIN with PINSalt, so that desks can log
// staff in while offline without ever holding the PIN itself.
type Staff struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	CentreID string `json:"centre_id"`
	PINSalt  string `json:"pin_salt,omitempty"`
	PINHash  string `json:"pin_hash,omitempty"`
}

// Product is something the web shop sells.
type Product struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Kind      LineKind `json:"kind"`
	UnitPrice Money    `json:"unit_price"`
	VATRate   int      `json:"vat_rate"` // In percent: 25, 15, 12, 0.
}

// Buyer is who bought a purchase in the web shop.
type Buyer struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Line is one line of a purchase.
type Line struct {
	ID        string   `json:"id"`
	ProductID string   `json:"product_id"`
	Name      string   `json:"name"`
	Kind      LineKind `json:"kind"`
	Quantity  int      `json:"quantity"`
	UnitPrice Money    `json:"unit_price"`
	VATRate   int      `json:"vat_rate"`
	Discount  Money    `json:"discount,omitempty"` // Positive amount taken off the line total.
	Delivered int      `json:"delivered"`
	// Credited is how many units of the line a manager credited line by
	// line: they are never handed over.
	Credited int `json:"credited,omitempty"`
}

// Remaining is how many units of the line are still to be handed over:
// neither handed over nor credited.
func (l Line) Remaining() int { return max(l.Quantity-l.Delivered-l.Credited, 0) }

// Creditable is how many units of the line can still be credited line by
// line.
func (l Line) Creditable() int { return max(l.Quantity-l.Credited, 0) }

// CreditAmount is what crediting n more units of the line gives back: its
// share of the line's total after discount, so that crediting every unit
// gives back exactly the line's total, whatever the rounding on the way.
func (l Line) CreditAmount(n int) Money {
	if l.Quantity <= 0 || n <= 0 {
		return 0
	}
	share := func(units int) Money { return l.Total() * Money(units) / Money(l.Quantity) }
	return share(min(l.Credited+n, l.Quantity)) - share(l.Credited)
}

// Total is the line's amount after discount.
func (l Line) Total() Money { return Money(l.Quantity)*l.UnitPrice - l.Discount }

// Purchase is an order placed in the web shop, identified at the desk by its
// reference code.
type Purchase struct {
	Code       string        `json:"code"`
	CentreID   string        `json:"centre_id"`
	Buyer      Buyer         `json:"buyer"`
	Status     PaymentStatus `json:"status"`
	Acquirer   string        `json:"acquirer,omitempty"`
	PromoCode  string        `json:"promo_code,omitempty"`
	Lines      []Line        `json:"lines"`
	Deliveries []Delivery    `json:"deliveries,omitempty"`
	Credits    []Credit      `json:"credits,omitempty"`
	Reversals  []Reversal    `json:"reversals,omitempty"` // Deliveries undone; see Reverse.
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	Seq        int64         `json:"seq"` // Position in the shop's changes feed.
}

// Total is the sum of the purchase's lines.
func (p *Purchase) Total() Money {
	var t Money
	for _, l := range p.Lines {
		t += l.Total()
	}
	return t
}

// CreditedAmount is the sum of the purchase's credits.
func (p *Purchase) CreditedAmount() Money {
	var t Money
	for _, c := range p.Credits {
		t += c.Amount
	}
	return t
}

// Remaining reports whether any line has units left to hand over.
func (p *Purchase) Remaining() bool {
	for _, l := range p.Lines {
		if l.Remaining() > 0 {
			return true
		}
	}
	return false
}

// FullyDelivered reports whether every line was handed over.
func (p *Purchase) FullyDelivered() bool { return !p.Remaining() }

// RemainingUnits is how many units, over all lines, are still to be handed
// over.
func (p *Purchase) RemainingUnits() int {
	n := 0
	for _, l := range p.Lines {
		n += l.Remaining()
	}
	return n
}

// Creditable is how much of the purchase can still be credited: its total
// less what was credited before. Whether its payment status allows a credit
// at all is PaymentStatus.Deliverable's to say.
func (p *Purchase) Creditable() Money { return p.Total() - p.CreditedAmount() }

// CreditLines prices a credit of the given units, keyed by line ID: each
// line's share (Line.CreditAmount), in the purchase's line order, and their
// sum. It fails with kind Invalid when no unit is chosen or a line is not
// the purchase's, and with kind Conflict when more units of a line are asked
// than are left to credit, or more money than Creditable.
func (p *Purchase) CreditLines(units map[string]int) ([]CreditLine, Money, error) {
	const op = "skranke.Purchase.CreditLines"
	known := 0
	var out []CreditLine
	var sum Money
	for _, l := range p.Lines {
		n, ok := units[l.ID]
		if !ok {
			continue
		}
		known++
		switch {
		case n < 0:
			return nil, 0, E(op, Invalid, fmt.Sprintf("a quantity cannot be negative (%s)", l.Name))
		case n == 0:
			continue
		case n > l.Creditable():
			return nil, 0, E(op, Conflict, fmt.Sprintf("cannot credit %d × %s: %d of %d are left to credit", n, l.Name, l.Creditable(), l.Quantity))
		}
		a := l.CreditAmount(n)
		out = append(out, CreditLine{LineID: l.ID, Quantity: n, Amount: a})
		sum += a
	}
	if known != len(units) {
		return nil, 0, E(op, Invalid, "a credited line is not on the purchase")
	}
	if len(out) == 0 {
		return nil, 0, E(op, Invalid, "choose at least one unit to credit")
	}
	if left := p.Creditable(); sum > left {
		return nil, 0, E(op, Conflict, fmt.Sprintf("cannot credit %s: only %s of %s is left", sum, left, p.Total()))
	}
	return out, sum, nil
}

// AddCredit records c on the purchase: its lines' units as credited, and
// the purchase as credited once the credits reach its total.
func (p *Purchase) AddCredit(c Credit) {
	p.Credits = append(p.Credits, c)
	for _, x := range c.Lines {
		for i := range p.Lines {
			if p.Lines[i].ID == x.LineID {
				p.Lines[i].Credited += x.Quantity
			}
		}
	}
	if p.CreditedAmount() >= p.Total() {
		p.Status = Credited
	}
}

// LastDelivery returns the most recent delivery of the purchase that was
// not reversed, by the time it was made (of two at the same time, the one
// recorded later), and false if nothing stands handed over.
func (p *Purchase) LastDelivery() (Delivery, bool) {
	var last Delivery
	found := false
	for _, d := range p.Deliveries {
		if p.Reversed(d.ID) {
			continue
		}
		if !found || !d.At.Before(last.At) {
			last, found = d, true
		}
	}
	return last, found
}

// Before returns a copy of the purchase as it stood before the delivery with
// the given ID: the deliveries recorded before it, and each line's Delivered
// counted from them. The copy shares nothing that the caller may change with
// p. When no delivery has that ID, the copy is p as it stands.
func (p *Purchase) Before(deliveryID string) *Purchase {
	b := *p
	b.Lines = slices.Clone(p.Lines)
	b.Deliveries = slices.Clone(p.Deliveries)
	b.Credits = slices.Clone(p.Credits)
	b.Reversals = slices.Clone(p.Reversals)
	i := slices.IndexFunc(p.Deliveries, func(d Delivery) bool { return d.ID == deliveryID })
	if i < 0 {
		return &b
	}
	at := p.Deliveries[i].At
	b.Deliveries = b.Deliveries[:i:i]
	// A delivery undone before this one was made did not count then.
	b.Reversals = slices.DeleteFunc(b.Reversals, func(r Reversal) bool { return r.At.After(at) })
	delivered := map[string]int{}
	for _, d := range b.Deliveries {
		if b.Reversed(d.ID) {
			continue
		}
		for _, x := range d.Lines {
			delivered[x.LineID] += x.Quantity
		}
	}
	for j := range b.Lines {
		b.Lines[j].Delivered = delivered[b.Lines[j].ID]
	}
	return &b
}

// NeedsSignature reports whether handing over the given quantities, keyed by
// line ID, includes physical goods, for which the buyer must sign.
func (p *Purchase) NeedsSignature(quantities map[string]int) bool {
	for _, l := range p.Lines {
		if l.Kind == Physical && quantities[l.ID] > 0 {
			return true
		}
	}
	return false
}

// DeliveredLine is how many units of one line a delivery handed over.
type DeliveredLine struct {
	LineID   string `json:"line_id"`
	Quantity int    `json:"quantity"`
}

// NoteLine is one line of a delivery note: a purchase line and how many of
// its units were handed over before the delivery, by it, and are left after.
type NoteLine struct {
	Line      Line // The purchase line: name, quantity ordered, amount.
	Before    int  // Units handed over before this delivery.
	Now       int  // Units this delivery handed over.
	Remaining int  // Units left to hand over after it.
}

// NoteLines returns the lines of the delivery note for a delivery that
// handed over the given lines: before is the purchase as it stood before the
// delivery (nil when unknown: nothing counts as handed over before), after
// as it stands after it (nil when the shop's answer is not known yet; before
// then gives the lines).
func NoteLines(before, after *Purchase, handed []DeliveredLine) []NoteLine {
	now := map[string]int{}
	for _, l := range handed {
		now[l.LineID] += l.Quantity
	}
	prev := map[string]int{}
	if before != nil {
		for _, l := range before.Lines {
			prev[l.ID] = l.Delivered
		}
	}
	src := after
	if src == nil {
		src = before
	}
	if src == nil {
		return nil
	}
	nl := make([]NoteLine, 0, len(src.Lines))
	for _, l := range src.Lines {
		nl = append(nl, NoteLine{
			Line:      l,
			Before:    prev[l.ID],
			Now:       now[l.ID],
			Remaining: max(l.Quantity-prev[l.ID]-now[l.ID], 0),
		})
	}
	return nl
}

// Delivery is one hand-over at a desk.
type Delivery struct {
	ID           string          `json:"id"` // Chosen by the desk (UUID), so a resend is recognised.
	PurchaseCode string          `json:"purchase_code"`
	Lines        []DeliveredLine `json:"lines"`
	DeskID       string          `json:"desk_id"`
	StaffID      string          `json:"staff_id"`
	StaffName    string          `json:"staff_name,omitempty"`
	At           time.Time       `json:"at"`
	SignatureID  string          `json:"signature_id,omitempty"`
	// StatedByDesk: the desk recorded the delivery offline and states who
	// made it; the shop did not see that staff member log in.
	StatedByDesk bool `json:"stated_by_desk,omitempty"`
	// IDChecked records that staff checked the buyer's identity: the
	// purchase was found by search, without its receipt.
	IDChecked bool `json:"id_checked,omitempty"`
}

// GiftCardStatus is the life-cycle state of a gift card.
type GiftCardStatus string

// The gift card statuses.
const (
	CardActive GiftCardStatus = "active"
	CardVoided GiftCardStatus = "voided" // Replaced by a remainder card after partial use.
	CardSpent  GiftCardStatus = "spent"  // Used in full.
)

// Card is a gift card. Partial use voids a card and issues a remainder card
// whose ParentCode points back at it.
type Card struct {
	Code          string         `json:"code"`
	CentreID      string         `json:"centre_id"`
	InitialAmount Money          `json:"initial_amount"`
	Balance       Money          `json:"balance"`
	Currency      string         `json:"currency"`
	Status        GiftCardStatus `json:"status"`
	IssuedAt      time.Time      `json:"issued_at"`
	ExpiresAt     time.Time      `json:"expires_at"`
	ParentCode    string         `json:"parent_code,omitempty"`
	RemainderCode string         `json:"remainder_code,omitempty"`
	PurchaseCode  string         `json:"purchase_code,omitempty"` // The web shop purchase that sold it, if any.
	// ClosedAt is when the card was spent or voided (the redemption's
	// time); zero while it is active, and for cards closed before the shop
	// kept it.
	ClosedAt time.Time `json:"closed_at,omitzero"`
	Seq      int64     `json:"seq"`
}

// Usable reports whether the card can be redeemed at time now.
func (c *Card) Usable(now time.Time) bool {
	return c.Status == CardActive && c.Balance > 0 && now.Before(c.ExpiresAt)
}

// Redemption is one use of a gift card.
type Redemption struct {
	ID            string    `json:"id"`
	CardCode      string    `json:"card_code"`
	Amount        Money     `json:"amount"`
	RemainderCode string    `json:"remainder_code,omitempty"`
	DeskID        string    `json:"desk_id"`
	StaffID       string    `json:"staff_id"`
	StaffName     string    `json:"staff_name,omitempty"`
	At            time.Time `json:"at"`
}

// Credit is money given back on a purchase: by a manager, or by staff with
// a manager's approval (ApprovedBy, the manager who gave their PIN).
type Credit struct {
	ID           string       `json:"id"`
	PurchaseCode string       `json:"purchase_code"`
	Amount       Money        `json:"amount"`
	Lines        []CreditLine `json:"lines,omitempty"` // Empty for a credit of an amount.
	Reason       string       `json:"reason"`
	DeskID       string       `json:"desk_id"`
	StaffID      string       `json:"staff_id"`
	StaffName    string       `json:"staff_name,omitempty"`
	ApprovedBy   string       `json:"approved_by,omitempty"`   // The approving manager's staff ID.
	ApproverName string       `json:"approver_name,omitempty"` // The approving manager's name.
	At           time.Time    `json:"at"`
}

// CreditLine is the part of one purchase line that a credit gives back.
type CreditLine struct {
	LineID   string `json:"line_id"`
	Quantity int    `json:"quantity"`
	Amount   Money  `json:"amount"` // Set by the shop: Line.CreditAmount.
}
