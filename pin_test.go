package skranke_test

import (
	"strings"
	"testing"

	"github.com/skranke/skranke"
)

func TestCheckPIN(t *testing.T) {
	const salt = "00112233445566778899aabbccddeeff"
	h, err := skranke.HashPIN("4711", salt)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2*skranke.PINKeyLen {
		t.Fatalf("HashPIN gave %d hex digits, want %d", len(h), 2*skranke.PINKeyLen)
	}
	s := skranke.Staff{ID: "kari", PINSalt: salt, PINHash: h}
	for _, tc := range []struct {
		name string
		s    skranke.Staff
		pin  string
		want bool
	}{
		{"right PIN", s, "4711", true},
		{"digest in upper case", skranke.Staff{PINSalt: salt, PINHash: strings.ToUpper(h)}, "4711", true},
		{"wrong PIN", s, "4712", false},
		{"empty PIN", s, "", false},
		{"no digest", skranke.Staff{PINSalt: salt}, "4711", false},
		{"salt not hex", skranke.Staff{PINSalt: "zz", PINHash: h}, "4711", false},
	} {
		if got := skranke.CheckPIN(tc.s, tc.pin); got != tc.want {
			t.Errorf("%s: CheckPIN = %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := skranke.HashPIN("4711", "not hex"); skranke.KindOf(err) != skranke.Invalid {
		t.Errorf("HashPIN with a bad salt: %v, want an Invalid error", err)
	}
	other, _ := skranke.HashPIN("4711", "ff"+salt[2:])
	if other == h {
		t.Error("another salt gave the same digest")
	}
}
