package skranke_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// purchase returns a purchase of three lines (2 shirts, 1 course, 3 gift
// cards) from which two deliveries handed over 1 shirt and the course, then
// 1 shirt and 1 gift card.
func purchase() *skranke.Purchase {
	return &skranke.Purchase{
		Code:   "K7RM4QX2",
		Status: skranke.Captured,
		Lines: []skranke.Line{
			{ID: "shirt", Name: "T-shirt", Kind: skranke.Physical, Quantity: 2, UnitPrice: 29900, Delivered: 2},
			{ID: "course", Name: "Spinning 10x", Kind: skranke.Service, Quantity: 1, UnitPrice: 99000, Discount: 9000, Delivered: 1},
			{ID: "card", Name: "Gift card", Kind: skranke.GiftCard, Quantity: 3, UnitPrice: 50000, Delivered: 1},
		},
		Deliveries: []skranke.Delivery{
			{ID: "d1", At: t0, StaffName: "Kari", Lines: []skranke.DeliveredLine{{LineID: "shirt", Quantity: 1}, {LineID: "course", Quantity: 1}}},
			{ID: "d2", At: t0.Add(time.Hour), StaffName: "Ola", Lines: []skranke.DeliveredLine{{LineID: "shirt", Quantity: 1}, {LineID: "card", Quantity: 1}}},
		},
		Credits: []skranke.Credit{{ID: "c1", Amount: 10000}},
	}
}

func TestRemaining(t *testing.T) {
	p := purchase()
	for _, tc := range []struct {
		line int
		want int
	}{{0, 0}, {1, 0}, {2, 2}} {
		if got := p.Lines[tc.line].Remaining(); got != tc.want {
			t.Errorf("line %s: Remaining() = %d, want %d", p.Lines[tc.line].ID, got, tc.want)
		}
	}
	if got := p.RemainingUnits(); got != 2 {
		t.Errorf("RemainingUnits() = %d, want 2", got)
	}
	if !p.Remaining() || p.FullyDelivered() {
		t.Errorf("Remaining() = %v, FullyDelivered() = %v with 2 gift cards left", p.Remaining(), p.FullyDelivered())
	}
	over := skranke.Line{Quantity: 1, Delivered: 3}
	if got := over.Remaining(); got != 0 {
		t.Errorf("over-delivered line: Remaining() = %d, want 0", got)
	}
	p.Lines[2].Delivered = 3
	if p.RemainingUnits() != 0 || !p.FullyDelivered() {
		t.Errorf("all handed over: RemainingUnits() = %d, FullyDelivered() = %v", p.RemainingUnits(), p.FullyDelivered())
	}
}

func TestCreditable(t *testing.T) {
	p := purchase()
	// 2 × 299,00 + 990,00 − 90,00 + 3 × 500,00 = 2 998,00, less 100,00 credited.
	if got, want := p.Total(), skranke.Money(299800); got != want {
		t.Fatalf("Total() = %v, want %v", got, want)
	}
	if got, want := p.Creditable(), skranke.Money(289800); got != want {
		t.Errorf("Creditable() = %v, want %v", got, want)
	}
	p.Credits = append(p.Credits, skranke.Credit{ID: "c2", Amount: 289800})
	if got := p.Creditable(); got != 0 {
		t.Errorf("credited in full: Creditable() = %v, want 0", got)
	}
}

// A line's credit gives back its share after discount; every unit credited,
// one at a time, gives back exactly the line's total.
func TestLineCreditAmount(t *testing.T) {
	l := skranke.Line{ID: "x", Quantity: 3, UnitPrice: 10000, Discount: 1}
	var sum skranke.Money
	for i := 0; i < 3; i++ {
		a := l.CreditAmount(1)
		if a < 9999 || a > 10000 {
			t.Errorf("unit %d: CreditAmount(1) = %v, want about kr 100,00", i+1, a)
		}
		sum += a
		l.Credited++
	}
	if want := skranke.Money(29999); sum != want {
		t.Errorf("credited one by one: %v, want the line's total %v", sum, want)
	}
	if got := l.CreditAmount(1); got != 0 {
		t.Errorf("nothing left: CreditAmount(1) = %v, want 0", got)
	}
}

func TestCreditLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		units map[string]int
		sum   skranke.Money
		kind  skranke.Kind
	}{
		{"one shirt", map[string]int{"shirt": 1}, 29900, 0},
		{"the course, after discount", map[string]int{"course": 1, "shirt": 0}, 90000, 0},
		{"two lines", map[string]int{"shirt": 2, "card": 1}, 109800, 0},
		{"more than bought", map[string]int{"shirt": 3}, 0, skranke.Conflict},
		{"unknown line", map[string]int{"shoe": 1}, 0, skranke.Invalid},
		{"nothing chosen", map[string]int{"shirt": 0}, 0, skranke.Invalid},
		{"negative", map[string]int{"shirt": -1}, 0, skranke.Invalid},
		{"more money than left", map[string]int{"shirt": 2, "course": 1, "card": 3}, 0, skranke.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := purchase()
			lines, sum, err := p.CreditLines(tc.units)
			if tc.kind != 0 {
				if skranke.KindOf(err) != tc.kind {
					t.Fatalf("err = %v, want kind %v", err, tc.kind)
				}
				return
			}
			if err != nil || sum != tc.sum {
				t.Fatalf("CreditLines = %v, %v, %v; want sum %v", lines, sum, err, tc.sum)
			}
			p.AddCredit(skranke.Credit{ID: "c2", Amount: sum, Lines: lines})
			for _, x := range lines {
				for _, l := range p.Lines {
					if l.ID == x.LineID && l.Credited != x.Quantity {
						t.Errorf("%s: Credited = %d, want %d", l.ID, l.Credited, x.Quantity)
					}
				}
			}
		})
	}
	// A credited unit is never handed over, and cannot be credited twice.
	p := purchase()
	p.Lines[2].Delivered = 0
	lines, sum, _ := p.CreditLines(map[string]int{"card": 2})
	p.AddCredit(skranke.Credit{Amount: sum, Lines: lines})
	if got := p.Lines[2].Remaining(); got != 1 {
		t.Errorf("2 of 3 cards credited: Remaining() = %d, want 1", got)
	}
	if _, _, err := p.CreditLines(map[string]int{"card": 2}); skranke.KindOf(err) != skranke.Conflict {
		t.Errorf("crediting the same cards again: err = %v, want a conflict", err)
	}
	if p.Status == skranke.Credited {
		t.Error("part credited: the purchase is not credited")
	}
}

func TestLastDelivery(t *testing.T) {
	for _, tc := range []struct {
		name       string
		deliveries []skranke.Delivery
		want       string
	}{
		{"none", nil, ""},
		{"in order", purchase().Deliveries, "d2"},
		{"recorded out of order", []skranke.Delivery{{ID: "late", At: t0.Add(2 * time.Hour)}, {ID: "early", At: t0}}, "late"},
		{"same time: recorded later", []skranke.Delivery{{ID: "a", At: t0}, {ID: "b", At: t0}}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &skranke.Purchase{Deliveries: tc.deliveries}
			got, ok := p.LastDelivery()
			if ok != (tc.want != "") || got.ID != tc.want {
				t.Errorf("LastDelivery() = %q, %v; want %q", got.ID, ok, tc.want)
			}
		})
	}
}

func TestBefore(t *testing.T) {
	p := purchase()
	for _, tc := range []struct {
		id         string
		delivered  []int // Per line.
		deliveries int
	}{
		{"d2", []int{1, 1, 0}, 1},
		{"d1", []int{0, 0, 0}, 0},
		{"unknown", []int{2, 1, 1}, 2},
	} {
		t.Run(tc.id, func(t *testing.T) {
			b := p.Before(tc.id)
			var got []int
			for _, l := range b.Lines {
				got = append(got, l.Delivered)
			}
			if !reflect.DeepEqual(got, tc.delivered) || len(b.Deliveries) != tc.deliveries {
				t.Errorf("Before(%q): delivered %v with %d deliveries, want %v with %d", tc.id, got, len(b.Deliveries), tc.delivered, tc.deliveries)
			}
		})
	}
	b := p.Before("d2")
	b.Lines[0].Name = "changed"
	b.Deliveries = append(b.Deliveries, skranke.Delivery{ID: "x"})
	if p.Lines[0].Name != "T-shirt" || p.Deliveries[1].ID != "d2" || p.Lines[0].Delivered != 2 {
		t.Errorf("changing the copy changed the purchase: %+v", p)
	}
}

func TestNoteLines(t *testing.T) {
	after := purchase()
	before := after.Before("d2")
	handed := after.Deliveries[1].Lines
	want := []skranke.NoteLine{
		{Line: after.Lines[0], Before: 1, Now: 1, Remaining: 0},
		{Line: after.Lines[1], Before: 1, Now: 0, Remaining: 0},
		{Line: after.Lines[2], Before: 0, Now: 1, Remaining: 2},
	}
	if got := skranke.NoteLines(before, after, handed); !reflect.DeepEqual(got, want) {
		t.Errorf("NoteLines:\n got %+v\nwant %+v", got, want)
	}
	// Offline: the shop's answer is not there yet, so the lines come from
	// the purchase as it stood before.
	if got := skranke.NoteLines(before, nil, handed); len(got) != 3 || got[2].Line.Delivered != 0 || got[2].Now != 1 || got[2].Remaining != 2 {
		t.Errorf("NoteLines without the answer: %+v", got)
	}
	// Nothing known from before: nothing counts as handed over before, and
	// a line handed over twice in one delivery adds up.
	twice := []skranke.DeliveredLine{{LineID: "card", Quantity: 1}, {LineID: "card", Quantity: 1}}
	got := skranke.NoteLines(nil, after, twice)
	if got[2].Before != 0 || got[2].Now != 2 || got[2].Remaining != 1 {
		t.Errorf("NoteLines without before: %+v", got[2])
	}
	if got := skranke.NoteLines(nil, nil, twice); got != nil {
		t.Errorf("NoteLines of nothing = %+v", got)
	}
}

func TestNeedsSignature(t *testing.T) {
	p := purchase()
	for _, tc := range []struct {
		q    map[string]int
		want bool
	}{
		{map[string]int{"shirt": 1}, true},
		{map[string]int{"course": 1, "card": 2}, false},
		{map[string]int{"shirt": 0, "card": 1}, false},
		{nil, false},
	} {
		if got := p.NeedsSignature(tc.q); got != tc.want {
			t.Errorf("NeedsSignature(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestPaymentStatus(t *testing.T) {
	for _, tc := range []struct {
		s                  skranke.PaymentStatus
		valid, deliverable bool
	}{
		{skranke.Pending, true, false},
		{skranke.Authorized, true, true},
		{skranke.Captured, true, true},
		{skranke.Credited, true, false},
		{skranke.Failed, true, false},
		{skranke.Cancelled, true, false},
		{"refunded", false, false},
	} {
		if tc.s.Valid() != tc.valid || tc.s.Deliverable() != tc.deliverable {
			t.Errorf("%s: Valid() = %v, Deliverable() = %v", tc.s, tc.s.Valid(), tc.s.Deliverable())
		}
	}
}

func TestCardUsable(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    skranke.Card
		want bool
	}{
		{"active", skranke.Card{Status: skranke.CardActive, Balance: 100, ExpiresAt: t0.Add(time.Hour)}, true},
		{"expired", skranke.Card{Status: skranke.CardActive, Balance: 100, ExpiresAt: t0}, false},
		{"empty", skranke.Card{Status: skranke.CardActive, Balance: 0, ExpiresAt: t0.Add(time.Hour)}, false},
		{"voided", skranke.Card{Status: skranke.CardVoided, Balance: 100, ExpiresAt: t0.Add(time.Hour)}, false},
	} {
		if got := tc.c.Usable(t0); got != tc.want {
			t.Errorf("%s: Usable() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
