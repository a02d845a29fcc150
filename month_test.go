package skranke_test

import (
	"testing"
	"time"

	"github.com/skranke/skranke"
)

func TestMonthBoundsInOslo(t *testing.T) {
	for _, tc := range []struct {
		month     string
		from, to  string // UTC
		hours     int
		days      int
		firstDay  skranke.Day
		lastDay   skranke.Day
		prev, nxt string
	}{
		// Summer time starts on 29 March 2026: March is an hour short.
		{"2026-03", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z", 31*24 - 1, 31, 20260301, 20260331, "2026-02", "2026-04"},
		// And ends on 25 October: October is an hour long.
		{"2026-10", "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", 31*24 + 1, 31, 20261001, 20261031, "2026-09", "2026-11"},
		{"2028-02", "2028-01-31T23:00:00Z", "2028-02-29T23:00:00Z", 29 * 24, 29, 20280201, 20280229, "2028-01", "2028-03"},
		{"2026-12", "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z", 31 * 24, 31, 20261201, 20261231, "2026-11", "2027-01"},
	} {
		m, err := skranke.ParseMonth(tc.month)
		if err != nil {
			t.Fatal(err)
		}
		from, to := m.Bounds()
		if got := from.UTC().Format(time.RFC3339); got != tc.from {
			t.Errorf("%s starts %s, want %s", tc.month, got, tc.from)
		}
		if got := to.UTC().Format(time.RFC3339); got != tc.to {
			t.Errorf("%s ends %s, want %s", tc.month, got, tc.to)
		}
		if h := int(to.Sub(from).Hours()); h != tc.hours {
			t.Errorf("%s has %d hours, want %d", tc.month, h, tc.hours)
		}
		if m.Days() != tc.days || m.FirstDay() != tc.firstDay || m.LastDay() != tc.lastDay {
			t.Errorf("%s: %d days %d–%d", tc.month, m.Days(), m.FirstDay(), m.LastDay())
		}
		if m.Prev().String() != tc.prev || m.Next().String() != tc.nxt || m.String() != tc.month {
			t.Errorf("%s: prev %s next %s", m, m.Prev(), m.Next())
		}
		// The last nanosecond of the month is in it, its end is not.
		if skranke.MonthOf(to.Add(-1)) != m || skranke.MonthOf(to) == m || skranke.MonthOf(from) != m {
			t.Errorf("%s: MonthOf disagrees with Bounds", tc.month)
		}
	}
	for _, bad := range []string{"", "2026-3", "2026-13", "mars", "2026-03-01"} {
		if _, err := skranke.ParseMonth(bad); skranke.KindOf(err) != skranke.Invalid {
			t.Errorf("ParseMonth(%q): %v, want Invalid", bad, err)
		}
	}
}

func TestDayOfIsOsloDate(t *testing.T) {
	for _, tc := range []struct {
		utc  string
		want skranke.Day
	}{
		{"2026-03-31T21:59:59Z", 20260331}, // 23:59:59 summer time
		{"2026-03-31T22:00:00Z", 20260401},
		{"2026-01-31T22:59:59Z", 20260131}, // 23:59:59 winter time
		{"2026-01-31T23:00:00Z", 20260201},
		{"2026-10-25T00:30:00Z", 20261025}, // 02:30 summer time, the hour that repeats
		{"2026-10-25T01:30:00Z", 20261025}, // 02:30 winter time
	} {
		at, _ := time.Parse(time.RFC3339, tc.utc)
		if got := skranke.DayOf(at); got != tc.want {
			t.Errorf("DayOf(%s) = %d, want %d", tc.utc, got, tc.want)
		}
	}
}

func TestCreditSharesAddUp(t *testing.T) {
	p := &skranke.Purchase{Lines: []skranke.Line{
		{ID: "1", Quantity: 1, UnitPrice: 33333},
		{ID: "2", Quantity: 3, UnitPrice: 11111, Discount: 1},
		{ID: "3", Quantity: 1, UnitPrice: 1},
	}}
	for _, amount := range []skranke.Money{1, 2, 3, 100, 33333, 66665, p.Total()} {
		shares := skranke.CreditShares(p, amount)
		var sum skranke.Money
		for _, s := range shares {
			if s < 0 {
				t.Errorf("credit %d: negative share %v", amount, shares)
			}
			sum += s
		}
		if sum != amount {
			t.Errorf("credit %d: shares %v add up to %d", amount, shares, sum)
		}
	}
	// The whole purchase credited: each line gets its own total.
	if got := skranke.CreditShares(p, p.Total()); got[0] != 33333 || got[1] != 33332 || got[2] != 1 {
		t.Errorf("full credit shares %v", got)
	}
	// Of equal remainders the earlier line gets the øre.
	even := &skranke.Purchase{Lines: []skranke.Line{{Quantity: 1, UnitPrice: 100}, {Quantity: 1, UnitPrice: 100}}}
	if got := skranke.CreditShares(even, 3); got[0] != 2 || got[1] != 1 {
		t.Errorf("3 øre over two equal lines: %v", got)
	}
}

// A purchase whose figures are beyond any the shop takes (a damaged or
// forged answer) must not keep the desk spreading a credit over its lines
// for ever: the products overflowed, and the øre "left over" were handed
// out one at a time, some 10^18 of them, while the sync that filed the
// purchase held the desk's cache.
func TestCreditSharesOfFiguresBeyondTheLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lines  []skranke.Line
		amount skranke.Money
	}{
		{"one huge line", []skranke.Line{{ID: "1", Quantity: 1, UnitPrice: 4_000_000_000_000_000_000}}, 3_000_000_000_000_000_000},
		{"two huge lines", []skranke.Line{{ID: "1", Quantity: 2, UnitPrice: 2_000_000_000_000_000_000}, {ID: "2", Quantity: 1, UnitPrice: 7}}, 1_000_000_000_000_000_000},
		{"negative credit", []skranke.Line{{ID: "1", Quantity: 1, UnitPrice: 100}, {ID: "2", Quantity: 1, UnitPrice: 100}}, -5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &skranke.Purchase{Status: skranke.Captured, Lines: tc.lines,
				Credits: []skranke.Credit{{ID: "c", Amount: tc.amount, At: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}}}
			done := make(chan []skranke.Money, 1)
			go func() {
				skranke.PurchaseFacts(p)
				done <- skranke.CreditShares(p, tc.amount)
			}()
			select {
			case shares := <-done:
				var sum skranke.Money
				for _, s := range shares {
					sum += s
				}
				if sum != tc.amount {
					t.Errorf("shares %v add up to %d, not %d", shares, sum, tc.amount)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("spreading the credit did not end")
			}
		})
	}
}

func TestDeliveriesAddUpToTheLine(t *testing.T) {
	l := skranke.Line{ID: "1", ProductID: "p", Name: "Shaker", Quantity: 3, UnitPrice: 10000, Discount: 1}
	p := &skranke.Purchase{Status: skranke.Captured, Lines: []skranke.Line{l},
		Deliveries: []skranke.Delivery{
			{ID: "a", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}, StaffID: "s1", StaffName: "Kari", At: time.Date(2026, 3, 31, 21, 30, 0, 0, time.UTC)},
			{ID: "b", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 2}}, StaffID: "s2", StaffName: "Ola", At: time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC)},
		}}
	var got []skranke.Fact
	for _, f := range skranke.PurchaseFacts(p) {
		if f.Kind == skranke.FactDelivery {
			got = append(got, f)
		}
	}
	if len(got) != 2 || got[0].Amount+got[1].Amount != l.Total() {
		t.Fatalf("deliveries %+v do not add up to %v", got, l.Total())
	}
	// 29999 øre over 3 units: the first unit is worth 9999, the two others 20000.
	if got[0].Amount != 9999 || got[1].Amount != 20000 || got[0].Day != 20260331 || got[1].Day != 20260401 {
		t.Errorf("deliveries %+v", got)
	}
}

func TestMonthReport(t *testing.T) {
	oslo := skranke.ReportLocation()
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, oslo) }
	m := skranke.Month{Year: 2026, Month: time.March}
	shaker := skranke.Line{ID: "1", ProductID: "shaker", Name: "Shaker", Kind: skranke.Physical, Quantity: 2, UnitPrice: 14950}
	pt := skranke.Line{ID: "2", ProductID: "pt", Name: "PT-time", Kind: skranke.Service, Quantity: 1, UnitPrice: 69900, Discount: 5000}
	paid := &skranke.Purchase{Code: "A", Status: skranke.Credited, CreatedAt: at(1, 0), Lines: []skranke.Line{shaker, pt},
		Credits:    []skranke.Credit{{ID: "c", Amount: 10000, StaffID: "m", StaffName: "Ingrid", At: at(31, 23)}},
		Deliveries: []skranke.Delivery{{ID: "d", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}, StaffID: "s", StaffName: "Kari", At: at(2, 10)}}}
	before := &skranke.Purchase{Code: "B", Status: skranke.Captured, CreatedAt: time.Date(2026, 2, 28, 23, 59, 0, 0, oslo), Lines: []skranke.Line{pt},
		Deliveries: []skranke.Delivery{{ID: "e", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}, StaffID: "s", StaffName: "Kari", At: at(1, 0)}}}
	unpaid := &skranke.Purchase{Code: "C", Status: skranke.Pending, CreatedAt: at(5, 12), Lines: []skranke.Line{pt}}
	var facts []skranke.Fact
	for _, p := range []*skranke.Purchase{paid, before, unpaid} {
		facts = append(facts, skranke.PurchaseFacts(p)...)
	}
	cards := map[string]*skranke.Card{
		"G1": {Code: "G1", InitialAmount: 50000, Status: skranke.CardVoided, IssuedAt: at(3, 9), ClosedAt: at(20, 9), RemainderCode: "G2", ExpiresAt: at(3, 9).AddDate(3, 0, 0)},
		"G2": {Code: "G2", InitialAmount: 30000, Status: skranke.CardActive, IssuedAt: at(20, 9), ParentCode: "G1", ExpiresAt: at(3, 9).AddDate(3, 0, 0)},
		// Spent in April: still owed at the end of March.
		"G3": {Code: "G3", InitialAmount: 10000, Status: skranke.CardSpent, IssuedAt: at(4, 9), ClosedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, oslo), ExpiresAt: at(4, 9).AddDate(3, 0, 0)},
		// Expired in March: owed no more.
		"G4": {Code: "G4", InitialAmount: 7000, Status: skranke.CardActive, IssuedAt: at(1, 9).AddDate(-3, 0, 0), ExpiresAt: at(10, 9)},
	}
	reds := []skranke.Redemption{
		{ID: "r1", CardCode: "G1", Amount: 20000, RemainderCode: "G2", StaffID: "s", StaffName: "Kari", At: at(20, 9)},
		{ID: "r2", CardCode: "G3", Amount: 10000, StaffID: "s", StaffName: "Kari", At: time.Date(2026, 4, 1, 0, 0, 0, 0, oslo)},
	}
	facts = append(facts, skranke.CardFacts(m, cards, reds)...)
	r := skranke.NewMonthReport("c1", m, facts, cards)

	want := skranke.Figures{
		Sales: 2*14950 + 64900, SalesCount: 1, SalesUnits: 3,
		Credits: 10000, CreditCount: 1,
		Delivered: 14950 + 64900, Deliveries: 2, DeliveredUnits: 2,
		CardsSold: 60000, CardsSoldCount: 2,
		Redeemed: 20000, Redemptions: 1, Voided: 50000, VoidedCount: 1, Reissued: 30000, ReissuedCount: 1,
	}
	if r.Total != want {
		t.Errorf("total\n got %+v\nwant %+v", r.Total, want)
	}
	if r.Liability != 40000 || r.LiabilityCards != 2 {
		t.Errorf("liability %v over %d cards, want kr 400,00 over 2 (G2, G3)", r.Liability, r.LiabilityCards)
	}
	if len(r.Days) != 31 || r.Days[0].Delivered != 64900 || r.Days[30].Credits != 10000 {
		t.Errorf("days: 1st %+v, 31st %+v", r.Days[0], r.Days[30])
	}
	var sumDays, sumProducts skranke.Figures
	for _, d := range r.Days {
		sumDays.Sales += d.Sales
		sumDays.Credits += d.Credits
	}
	for _, p := range r.Products {
		sumProducts.Sales += p.Sales
		sumProducts.Credits += p.Credits
		sumProducts.Delivered += p.Delivered
	}
	if sumDays.Sales != want.Sales || sumDays.Credits != want.Credits || sumProducts.Sales != want.Sales ||
		sumProducts.Credits != want.Credits || sumProducts.Delivered != want.Delivered {
		t.Errorf("days and products do not add up to the total: %+v %+v", sumDays, sumProducts)
	}
	names := []string{}
	for _, p := range r.Products {
		names = append(names, p.Name)
	}
	if len(names) != 3 || names[0] != "" || names[1] != "PT-time" || names[2] != "Shaker" {
		t.Errorf("products %q, want gift cards, PT-time, Shaker", names)
	}
	if len(r.Staff) != 2 || r.Staff[0].Name != "Ingrid" || r.Staff[0].Credits != 10000 || r.Staff[1].Name != "Kari" ||
		r.Staff[1].Deliveries != 2 || r.Staff[1].Redemptions != 1 {
		t.Errorf("staff %+v", r.Staff)
	}
}

// TestFactsFollowLineCreditsAndUndo checks that a credit by line lands on
// the lines it names, not spread over the purchase, and that an undone
// delivery counts nowhere while the one after it is valued from the start.
func TestFactsFollowLineCreditsAndUndo(t *testing.T) {
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	shaker := skranke.Line{ID: "1", ProductID: "shaker", Name: "Shaker", Quantity: 2, UnitPrice: 15000}
	pt := skranke.Line{ID: "2", ProductID: "pt", Name: "PT-time", Quantity: 1, UnitPrice: 70000}
	p := &skranke.Purchase{Code: "A", Status: skranke.Captured, CreatedAt: at, Lines: []skranke.Line{shaker, pt},
		Credits: []skranke.Credit{{ID: "c", Amount: 15000, StaffID: "m", At: at,
			Lines: []skranke.CreditLine{{LineID: "1", Quantity: 1, Amount: 15000}}}},
		Deliveries: []skranke.Delivery{
			{ID: "d1", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}, StaffID: "s", At: at},
			{ID: "d2", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}, StaffID: "s", At: at.Add(time.Minute)},
		},
		Reversals: []skranke.Reversal{{ID: "r", DeliveryID: "d1", At: at.Add(10 * time.Second)}}}
	credits := map[string]skranke.Money{}
	var deliveries []skranke.Fact
	for _, f := range skranke.PurchaseFacts(p) {
		switch f.Kind {
		case skranke.FactCredit:
			credits[f.ProductID] += f.Amount
		case skranke.FactDelivery:
			deliveries = append(deliveries, f)
		}
	}
	if credits["shaker"] != 15000 || credits["pt"] != 0 {
		t.Errorf("credit by line landed as %v, want all on the shaker", credits)
	}
	if len(deliveries) != 1 || deliveries[0].Units != 1 || deliveries[0].Amount != 15000 {
		t.Errorf("deliveries after an undo: %+v, want one of 1 unit worth 15000", deliveries)
	}
}
