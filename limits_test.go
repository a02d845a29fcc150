package skranke_test

import (
	"math"
	"testing"

	"github.com/skranke/skranke"
)

func TestCheckedArithmetic(t *testing.T) {
	for _, tc := range []struct {
		a, b skranke.Money
		sum  skranke.Money
		ok   bool
	}{
		{1, 2, 3, true},
		{math.MaxInt64, 1, 0, false},
		{math.MinInt64, -1, 0, false},
		{math.MaxInt64, math.MinInt64, -1, true},
	} {
		if got, ok := skranke.AddMoney(tc.a, tc.b); ok != tc.ok || (ok && got != tc.sum) {
			t.Errorf("AddMoney(%d, %d) = %d, %v", tc.a, tc.b, got, ok)
		}
	}
	for _, tc := range []struct {
		m  skranke.Money
		n  int64
		p  skranke.Money
		ok bool
	}{
		{14900, 3, 44700, true},
		{math.MaxInt64/2 + 1, 2, 0, false},
		{-1, math.MinInt64, 0, false},
		{math.MinInt64, -1, 0, false},
		{0, math.MaxInt64, 0, true},
		{skranke.MaxAmount, skranke.MaxQuantity, skranke.MaxAmount * skranke.MaxQuantity, true},
	} {
		if got, ok := skranke.MulMoney(tc.m, tc.n); ok != tc.ok || (ok && got != tc.p) {
			t.Errorf("MulMoney(%d, %d) = %d, %v", tc.m, tc.n, got, ok)
		}
	}
	if _, ok := skranke.AddInt(math.MaxInt, 1); ok {
		t.Error("AddInt overflowed silently")
	}
	if s, ok := skranke.AddInt(2, 3); !ok || s != 5 {
		t.Error("AddInt(2, 3)")
	}
}

func TestLockedKindHasAWireName(t *testing.T) {
	if skranke.Locked.String() != "locked" || skranke.KindFromString("locked") != skranke.Locked {
		t.Errorf("Locked is %q", skranke.Locked.String())
	}
}
