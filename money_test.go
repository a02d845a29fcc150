package skranke_test

import (
	"testing"

	"github.com/skranke/skranke"
)

func TestMoneyString(t *testing.T) {
	for _, tc := range []struct {
		m    skranke.Money
		want string
	}{
		{0, "kr 0,00"},
		{5, "kr 0,05"},
		{29900, "kr 299,00"},
		{123450, "kr 1 234,50"},
		{123456789, "kr 1 234 567,89"},
		{-1200, "-kr 12,00"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tc.m), got, tc.want)
		}
	}
}

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want skranke.Money
		ok   bool
	}{
		{"1234", 123400, true},
		{"1 234,50", 123450, true},
		{"kr 99,9", 9990, true},
		{"99.90", 9990, true},
		{",5", 50, true},
		{"NOK 10", 1000, true},
		{"-12", -1200, true},
		{"1\u00a0000", 100000, true},
		{"", 0, false},
		{"kr", 0, false},
		{"12,345", 0, false},
		{"tolv", 0, false},
		{"1,2,3", 0, false},
	} {
		got, err := skranke.ParseMoney(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("ParseMoney(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if !tc.ok && skranke.KindOf(err) != skranke.Invalid {
			t.Errorf("ParseMoney(%q) = %v, %v; want an Invalid error", tc.in, got, err)
		}
	}
}
