package skranke

import (
	"cmp"
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // Europe/Oslo on machines without a zone database (Windows desks).
)

// ReportZone is the time zone months and days of reports are in: the
// chain's, Europe/Oslo, whatever zone a desk's or shop's machine is set to,
// so that a month has the same bounds at every desk and in the shop. The
// chain pays each centre for the calendar month as Norway sees it.
const ReportZone = "Europe/Oslo"

// ReportLocation returns ReportZone's location.
func ReportLocation() *time.Location {
	loc, err := time.LoadLocation(ReportZone)
	if err != nil {
		// Cannot happen: time/tzdata is linked in.
		panic(fmt.Sprintf("skranke: time zone %s: %v", ReportZone, err))
	}
	return loc
}

// Month is a calendar month in ReportZone.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the month (in ReportZone) that t falls in.
func MonthOf(t time.Time) Month {
	y, m, _ := t.In(ReportLocation()).Date()
	return Month{y, m}
}

// ParseMonth reads a month written "2026-03". It returns an error of kind
// Invalid for anything else.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Month{}, E("skranke.ParseMonth", Invalid, fmt.Sprintf("%q is not a month: write it as 2026-03", s))
	}
	return Month{t.Year(), t.Month()}, nil
}

// String writes the month as ParseMonth reads it.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Bounds returns the month's first instant and the next month's first
// instant, in ReportZone: a month of a daylight saving change is an hour
// shorter (March) or longer (October) than its days times 24 hours.
func (m Month) Bounds() (from, to time.Time) {
	loc := ReportLocation()
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc), time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, loc)
}

// Days is how many days the month has.
func (m Month) Days() int {
	return time.Date(m.Year, m.Month+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// Prev and Next are the months before and after m.
func (m Month) Prev() Month {
	return MonthOf(time.Date(m.Year, m.Month-1, 15, 12, 0, 0, 0, ReportLocation()))
}

// Next is the month after m.
func (m Month) Next() Month {
	return MonthOf(time.Date(m.Year, m.Month+1, 15, 12, 0, 0, 0, ReportLocation()))
}

// Day is a calendar day in ReportZone written as a number, 20260331: it
// sorts and compares as the days do, and a store can group by it.
type Day int

// DayOf returns the day (in ReportZone) that t falls in.
func DayOf(t time.Time) Day {
	y, m, d := t.In(ReportLocation()).Date()
	return Day(y*10000 + int(m)*100 + d)
}

// FirstDay and LastDay are the month's first and last days.
func (m Month) FirstDay() Day { return Day(m.Year*10000 + int(m.Month)*100 + 1) }

// LastDay is the month's last day.
func (m Month) LastDay() Day { return m.FirstDay() + Day(m.Days()-1) }

// FactKind is what a Fact records.
type FactKind string

// The kinds of fact a month is made of.
const (
	FactSale       FactKind = "sale"       // A purchase line paid (authorized, captured or later credited), on the day the purchase was made.
	FactCredit     FactKind = "credit"     // A credit, spread over the purchase's lines (CreditShares).
	FactDelivery   FactKind = "delivery"   // Units of a line handed over, valued by DeliveredValue.
	FactCardSold   FactKind = "cardsold"   // A gift card issued (not a remainder card).
	FactRedemption FactKind = "redemption" // A gift card used, whole or in part.
	FactVoid       FactKind = "void"       // A gift card voided by partial use: its whole balance.
	FactReissue    FactKind = "reissue"    // The remainder card issued in its place.
)

// Fact is one thing a month's figures add up: an amount with the product
// and staff member it belongs to and the day it happened. Events counts
// purchases, deliveries, credits or cards (one fact per event carries it;
// the others of the same event, for its other lines, carry 0). Facts only
// add, so a store may sum those of a day, kind, product and staff member
// before the figures see them (Figures.Add takes the sums as well).
type Fact struct {
	Kind      FactKind
	Day       Day
	ProductID string // Empty for gift card facts not tied to a product.
	Product   string // The product's name as the line has it.
	StaffID   string // Empty for sales: the web shop sells, not staff.
	StaffName string
	Events    int
	Units     int
	Amount    Money
}

// Paid reports whether a purchase with this status counts as a sale: its
// money was reserved or drawn (a credited purchase was a sale, and its
// credits count as credits).
func (s PaymentStatus) Paid() bool { return s == Authorized || s == Captured || s == Credited }

// creditShares returns credit c's amount per line of p: the amounts the
// shop priced for the lines c names, or, for a credit by amount,
// CreditShares.
func creditShares(p *Purchase, c Credit) []Money {
	if len(c.Lines) == 0 {
		return CreditShares(p, c.Amount)
	}
	shares := make([]Money, len(p.Lines))
	for _, cl := range c.Lines {
		if i := slices.IndexFunc(p.Lines, func(l Line) bool { return l.ID == cl.LineID }); i >= 0 {
			shares[i] += cl.Amount
		}
	}
	return shares
}

// CreditShares spreads amount over the lines of p in proportion to their
// totals, in øre: each line gets the floor of its share, and the øre left
// over go one each to the lines with the largest remainders (of equal
// remainders, the earlier line). The shares add up to amount exactly. A
// purchase whose lines total zero or less puts it all on its first line.
func CreditShares(p *Purchase, amount Money) []Money {
	shares := make([]Money, len(p.Lines))
	if len(p.Lines) == 0 {
		return shares
	}
	total := p.Total()
	if total <= 0 {
		shares[0] = amount
		return shares
	}
	rems := make([]Money, len(p.Lines))
	var given Money
	for i, l := range p.Lines {
		t := max(l.Total(), 0)
		shares[i] = amount * t / total
		rems[i] = amount * t % total
		given += shares[i]
	}
	if given > amount || given < amount-Money(len(p.Lines)) {
		// Only figures beyond any the shop takes (MaxAmount) get here:
		// their products overflowed. All on the first line, as for a
		// purchase that totals nothing, rather than the øre left over
		// handed out one by one for as good as ever.
		clear(shares)
		shares[0] = amount
		return shares
	}
	order := make([]int, len(p.Lines))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rems[b], rems[a]) })
	for i := 0; given < amount; i = (i + 1) % len(order) {
		shares[order[i]]++
		given++
	}
	return shares
}

// DeliveredValue is what n of a line's units are worth: the line's total
// (after discount) times n over its quantity, rounded down. A delivery is
// worth DeliveredValue of the units handed over up to and including it less
// that of the units before it, so that a line's deliveries add up to its
// total exactly however it was split.
func DeliveredValue(l Line, n int) Money {
	if l.Quantity <= 0 {
		return 0
	}
	n = min(max(n, 0), l.Quantity)
	return l.Total() * Money(n) / Money(l.Quantity)
}

// PurchaseFacts returns the facts of a purchase: a sale per line when it
// is paid, dated when it was made; its credits, on the lines a credit names
// or else spread over the lines (creditShares); and its deliveries that were
// not undone, in the order recorded, each valued by DeliveredValue. Days are
// in ReportZone. An undone delivery counts nowhere, not even in the month it
// was made: its goods stayed at the desk.
func PurchaseFacts(p *Purchase) []Fact {
	var fs []Fact
	if p.Status.Paid() {
		day := DayOf(p.CreatedAt)
		for i, l := range p.Lines {
			fs = append(fs, Fact{Kind: FactSale, Day: day, ProductID: l.ProductID, Product: l.Name,
				Events: b2i(i == 0), Units: l.Quantity, Amount: l.Total()})
		}
	}
	for _, c := range p.Credits {
		day := DayOf(c.At)
		first := true
		for i, share := range creditShares(p, c) {
			if share == 0 && !(first && i == len(p.Lines)-1) {
				continue // Nothing for this line; the last line carries the event if no line had a share.
			}
			l := p.Lines[i]
			fs = append(fs, Fact{Kind: FactCredit, Day: day, ProductID: l.ProductID, Product: l.Name,
				StaffID: c.StaffID, StaffName: c.StaffName, Events: b2i(first), Amount: share})
			first = false
		}
	}
	handed := make(map[string]int, len(p.Lines))
	for _, d := range p.Deliveries {
		if p.Reversed(d.ID) {
			continue
		}
		day := DayOf(d.At)
		first := true
		for _, dl := range d.Lines {
			i := slices.IndexFunc(p.Lines, func(l Line) bool { return l.ID == dl.LineID })
			if i < 0 || dl.Quantity <= 0 {
				continue
			}
			l := p.Lines[i]
			before := handed[l.ID]
			handed[l.ID] += dl.Quantity
			fs = append(fs, Fact{Kind: FactDelivery, Day: day, ProductID: l.ProductID, Product: l.Name,
				StaffID: d.StaffID, StaffName: d.StaffName, Events: b2i(first), Units: dl.Quantity,
				Amount: DeliveredValue(l, handed[l.ID]) - DeliveredValue(l, before)})
			first = false
		}
	}
	return fs
}

// CardFacts returns the gift card facts of month m: cards sold (issued
// without a parent) in it, and its redemptions with, for a partial one, the
// card it voided (at its whole balance) and the remainder card issued in its
// place. cards must hold the remainder cards of the redemptions; redemptions
// outside m are left out.
func CardFacts(m Month, cards map[string]*Card, redemptions []Redemption) []Fact {
	first, last := m.FirstDay(), m.LastDay()
	in := func(d Day) bool { return d >= first && d <= last }
	var fs []Fact
	for _, c := range cards {
		if d := DayOf(c.IssuedAt); c.ParentCode == "" && in(d) {
			fs = append(fs, Fact{Kind: FactCardSold, Day: d, Events: 1, Units: 1, Amount: c.InitialAmount})
		}
	}
	for _, r := range redemptions {
		d := DayOf(r.At)
		if !in(d) {
			continue
		}
		fs = append(fs, Fact{Kind: FactRedemption, Day: d, StaffID: r.StaffID, StaffName: r.StaffName, Events: 1, Amount: r.Amount})
		if r.RemainderCode == "" {
			continue
		}
		var left Money
		if rem := cards[r.RemainderCode]; rem != nil {
			left = rem.InitialAmount
		}
		fs = append(fs,
			Fact{Kind: FactVoid, Day: d, StaffID: r.StaffID, StaffName: r.StaffName, Events: 1, Amount: r.Amount + left},
			Fact{Kind: FactReissue, Day: d, StaffID: r.StaffID, StaffName: r.StaffName, Events: 1, Amount: left})
	}
	return fs
}

// OpenAt reports whether the gift card's balance was owed to its holder at
// time t: issued before t, not yet spent or voided (closed) then, and not
// expired. A card is only ever owed in full (any use closes it and issues
// a remainder card), so its part of the liability is its InitialAmount. A
// closed card without ClosedAt (recorded before the shop kept it) counts as
// closed since it was issued.
func (c *Card) OpenAt(t time.Time) bool {
	if !c.IssuedAt.Before(t) || !t.Before(c.ExpiresAt) {
		return false
	}
	if c.ClosedAt.IsZero() {
		return c.Status == CardActive
	}
	return !c.ClosedAt.Before(t)
}

// Liability is what the gift cards owe their holders at time t (the end of
// a month), and how many cards owe it.
func Liability(cards map[string]*Card, t time.Time) (Money, int) {
	var sum Money
	n := 0
	for _, c := range cards {
		if c.OpenAt(t) {
			sum += c.InitialAmount
			n++
		}
	}
	return sum, n
}

// Figures is one row of a month's report: the sums of a product, a staff
// member, a day or the whole month. Counts are of events (purchases,
// deliveries, credits, cards); units of items.
type Figures struct {
	Key  string `json:"key"` // Product ID, staff ID or the day (20260331); empty for the total.
	Name string `json:"name"`

	Sales          Money `json:"sales"` // Paid purchase lines, after discounts.
	SalesCount     int   `json:"sales_count"`
	SalesUnits     int   `json:"sales_units"`
	Credits        Money `json:"credits"`
	CreditCount    int   `json:"credit_count"`
	Delivered      Money `json:"delivered"` // What the units handed over are worth.
	Deliveries     int   `json:"deliveries"`
	DeliveredUnits int   `json:"delivered_units"`
	CardsSold      Money `json:"cards_sold"`
	CardsSoldCount int   `json:"cards_sold_count"`
	Redeemed       Money `json:"redeemed"`
	Redemptions    int   `json:"redemptions"`
	Voided         Money `json:"voided"`
	VoidedCount    int   `json:"voided_count"`
	Reissued       Money `json:"reissued"`
	ReissuedCount  int   `json:"reissued_count"`
}

// Net is the month's sales less its credits.
func (f Figures) Net() Money { return f.Sales - f.Credits }

// Add counts fact x (or the sum of several facts alike) in f.
func (f *Figures) Add(x Fact) {
	switch x.Kind {
	case FactSale:
		f.Sales += x.Amount
		f.SalesCount += x.Events
		f.SalesUnits += x.Units
	case FactCredit:
		f.Credits += x.Amount
		f.CreditCount += x.Events
	case FactDelivery:
		f.Delivered += x.Amount
		f.Deliveries += x.Events
		f.DeliveredUnits += x.Units
	case FactCardSold:
		f.CardsSold += x.Amount
		f.CardsSoldCount += x.Events
	case FactRedemption:
		f.Redeemed += x.Amount
		f.Redemptions += x.Events
	case FactVoid:
		f.Voided += x.Amount
		f.VoidedCount += x.Events
	case FactReissue:
		f.Reissued += x.Amount
		f.ReissuedCount += x.Events
	}
}

// MonthReport is a centre's month: totals, the same per product, per staff
// member and per day, and the gift card liability at its end. Desk and shop
// both build it with NewMonthReport from the same facts, so they agree to
// the øre.
type MonthReport struct {
	CentreID string    `json:"centre_id"`
	Month    string    `json:"month"` // As Month.String writes it.
	Total    Figures   `json:"total"`
	Products []Figures `json:"products"` // By name; gift card facts not tied to a product have Key "".
	Staff    []Figures `json:"staff"`    // By name; only staff who did something.
	Days     []Figures `json:"days"`     // Every day of the month, first to last.
	// Liability is the balance of the gift cards owed to their holders at
	// the month's end (Liability), over LiabilityCards cards.
	Liability      Money `json:"liability"`
	LiabilityCards int   `json:"liability_cards"`
}

// NewMonthReport sums facts into month m's report, leaving out facts of
// other days. The liability is taken from cards at the month's end.
func NewMonthReport(centreID string, m Month, facts []Fact, cards map[string]*Card) MonthReport {
	r := MonthReport{CentreID: centreID, Month: m.String(), Products: []Figures{}, Staff: []Figures{}}
	first, last := m.FirstDay(), m.LastDay()
	r.Days = make([]Figures, m.Days())
	for i := range r.Days {
		r.Days[i].Key = fmt.Sprint(int(first) + i)
		r.Days[i].Name = fmt.Sprintf("%d.", i+1)
	}
	products, staff := map[string]int{}, map[string]int{}
	row := func(rows *[]Figures, index map[string]int, key, name string) *Figures {
		i, ok := index[key]
		if !ok {
			i = len(*rows)
			index[key] = i
			*rows = append(*rows, Figures{Key: key, Name: name})
		}
		f := &(*rows)[i]
		// Of the names one key had (a product renamed), the least, so
		// that the order facts come in does not decide.
		if name != "" && (f.Name == "" || name < f.Name) {
			f.Name = name
		}
		return f
	}
	for _, x := range facts {
		if x.Day < first || x.Day > last {
			continue
		}
		r.Total.Add(x)
		r.Days[x.Day-first].Add(x)
		row(&r.Products, products, x.ProductID, x.Product).Add(x)
		if x.StaffID != "" {
			row(&r.Staff, staff, x.StaffID, x.StaffName).Add(x)
		}
	}
	byName := func(a, b Figures) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Key, b.Key)) }
	slices.SortFunc(r.Products, byName)
	slices.SortFunc(r.Staff, byName)
	_, end := m.Bounds()
	r.Liability, r.LiabilityCards = Liability(cards, end)
	return r
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
