package scanner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/skranke/skranke/scanner"
)

// TestCheckCatchesSubstitutionsAndSwaps checks every single substitution and
// every swap of unequal neighbours of many random codes.
func TestCheckCatchesSubstitutionsAndSwaps(t *testing.T) {
	for n := 0; n < 200; n++ {
		for _, code := range []string{scanner.NewReference(), scanner.NewGiftCardCode()} {
			if !scanner.ValidCheck(code) {
				t.Fatalf("fresh code %s fails its own check", code)
			}
			b := []byte(code)
			for i := range b {
				orig := b[i]
				for j := 0; j < len(scanner.Alphabet); j++ {
					if scanner.Alphabet[j] == orig {
						continue
					}
					b[i] = scanner.Alphabet[j]
					if scanner.ValidCheck(string(b)) {
						t.Fatalf("substitution %s -> %s not caught", code, b)
					}
				}
				b[i] = orig
			}
			for i := 0; i+1 < len(b); i++ {
				if b[i] == b[i+1] {
					continue
				}
				b[i], b[i+1] = b[i+1], b[i]
				if scanner.ValidCheck(string(b)) {
					t.Fatalf("swap %s -> %s not caught", code, b)
				}
				b[i], b[i+1] = b[i+1], b[i]
			}
		}
	}
}

func TestCodeShape(t *testing.T) {
	tests := []struct {
		name string
		code string
		n    int
	}{
		{"reference", scanner.NewReference(), scanner.ReferenceLen},
		{"gift card", scanner.NewGiftCardCode(), scanner.GiftCardLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.code) != tt.n {
				t.Fatalf("len(%q) = %d, want %d", tt.code, len(tt.code), tt.n)
			}
			for _, c := range []byte("ILOU") {
				for i := range tt.code {
					if tt.code[i] == c {
						t.Fatalf("%q holds %c", tt.code, c)
					}
				}
			}
		})
	}
	if got := scanner.Group("K7RM4QX2"); got != "K7RM-4QX2" {
		t.Fatalf("Group = %q", got)
	}
	if got := scanner.Group("ABCDEFGHJK"); got != "ABCD-EFGH-JK" {
		t.Fatalf("Group = %q", got)
	}
}

func TestParseCode(t *testing.T) {
	for i := 0; i < 100; i++ {
		ref, gift := scanner.NewReference(), scanner.NewGiftCardCode()
		for _, tc := range []struct {
			in    string
			code  string
			class scanner.Class
		}{
			{ref, ref, scanner.Reference},
			{" " + strings.ToLower(scanner.Group(ref)) + " ", ref, scanner.Reference},
			{strings.ReplaceAll(scanner.Group(gift), "-", " "), gift, scanner.GiftCardCode},
		} {
			code, class, err := scanner.ParseCode(tc.in)
			if err != nil || code != tc.code || class != tc.class {
				t.Fatalf("ParseCode(%q) = %q, %v, %v; want %q, %v", tc.in, code, class, err, tc.code, tc.class)
			}
		}
	}
	var inv *scanner.InvalidError
	if _, _, err := scanner.ParseCode("K7RM-4QX"); !errors.As(err, &inv) {
		t.Fatalf("ParseCode of a short code: %v", err)
	}
	if _, _, err := scanner.ParseCode("  "); !errors.Is(err, scanner.ErrEmpty) {
		t.Fatalf("ParseCode of blanks: %v", err)
	}
}

func TestValidCheckRejects(t *testing.T) {
	ref := scanner.NewReference()
	for _, s := range []string{"", "0", strings.ToLower(ref), ref + "-", strings.Repeat("0", 32), "K7RM4QXI"} {
		if scanner.ValidCheck(s) {
			t.Errorf("ValidCheck(%q) = true", s) // 32 zeros: the check only covers 31 symbols.
		}
	}
}
