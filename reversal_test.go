package skranke_test

import (
	"testing"
	"time"

	"github.com/skranke/skranke"
)

func TestCheckReversal(t *testing.T) {
	reversed := purchase()
	reversed.Reverse(skranke.Reversal{ID: "r1", DeliveryID: "d1", At: t0.Add(10 * time.Second)})
	tests := []struct {
		name     string
		p        *skranke.Purchase
		delivery string
		at       time.Time
		limit    time.Duration
		want     skranke.Kind
		ok       bool
	}{
		{"within the window", purchase(), "d1", t0.Add(29 * time.Second), skranke.UndoWindow, 0, true},
		{"at the end of the window", purchase(), "d1", t0.Add(skranke.UndoWindow), skranke.UndoWindow, 0, true},
		{"after the window", purchase(), "d1", t0.Add(skranke.UndoWindow + time.Millisecond), skranke.UndoWindow, skranke.Conflict, false},
		{"within the shop's limit", purchase(), "d1", t0.Add(time.Minute), skranke.ReversalLimit, 0, true},
		{"no such delivery", purchase(), "d9", t0, skranke.UndoWindow, skranke.NotFound, false},
		{"reversed already", reversed, "d1", t0.Add(20 * time.Second), skranke.UndoWindow, skranke.Conflict, false},
		{"handed over a gift card", purchase(), "d2", t0.Add(time.Hour + time.Second), skranke.UndoWindow, skranke.Conflict, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.CheckReversal(tt.delivery, tt.at, tt.limit)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckReversal = %v, want ok %v", err, tt.ok)
			}
			if err != nil && skranke.KindOf(err) != tt.want {
				t.Errorf("kind %v, want %v (%v)", skranke.KindOf(err), tt.want, err)
			}
		})
	}
}

func TestReverse(t *testing.T) {
	p := purchase()
	before := p.RemainingUnits()
	r := skranke.Reversal{ID: "r1", DeliveryID: "d1", At: t0.Add(10 * time.Second)}
	p.Reverse(r)
	if got := p.RemainingUnits(); got != before+2 {
		t.Errorf("RemainingUnits after reversing 1 shirt and 1 course = %d, want %d", got, before+2)
	}
	if !p.Reversed("d1") || p.Reversed("d2") {
		t.Errorf("Reversed(d1), Reversed(d2) = %v, %v; want true, false", p.Reversed("d1"), p.Reversed("d2"))
	}
	p.Reverse(r) // A second copy of the same reversal counts once.
	if got := p.RemainingUnits(); got != before+2 || len(p.Reversals) != 1 {
		t.Errorf("after reversing twice: %d remain, %d reversals; want %d, 1", got, len(p.Reversals), before+2)
	}
	if last, _ := p.LastDelivery(); last.ID != "d2" {
		t.Errorf("LastDelivery = %s, want d2", last.ID)
	}
	p.Reverse(skranke.Reversal{ID: "r2", DeliveryID: "d2", At: t0.Add(time.Hour)})
	if last, ok := p.LastDelivery(); ok {
		t.Errorf("LastDelivery = %s with every delivery reversed, want none", last.ID)
	}
	// The purchase as it stood before d2: d1 was undone before d2 was made.
	if b := p.Before("d2"); b.RemainingUnits() != 6 {
		t.Errorf("Before(d2).RemainingUnits = %d, want 6 (d1 undone)", b.RemainingUnits())
	}
}
