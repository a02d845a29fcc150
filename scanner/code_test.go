package scanner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

func TestParseCode(t *testing.T) {
	for i := 0; i < 100; i++ {
		ref, gift := skranke.NewReference(), skranke.NewGiftCardCode()
		for _, tc := range []struct {
			in    string
			code  string
			class scanner.Class
		}{
			{ref, ref, scanner.Reference},
			{" " + strings.ToLower(skranke.GroupCode(ref)) + " ", ref, scanner.Reference},
			{strings.ReplaceAll(skranke.GroupCode(gift), "-", " "), gift, scanner.GiftCardCode},
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

// A rejected code is an error of kind Invalid that staff get a message for,
// with the scanner's details (what was read, why) behind it.
func TestInvalidCodeIsKindInvalid(t *testing.T) {
	for _, in := range []string{"K7RM-4QX", "K7RMÅQX2", skranke.NewReference()[:7] + "?"} {
		_, _, err := scanner.ParseCode(in)
		var inv *scanner.InvalidError
		if skranke.KindOf(err) != skranke.Invalid || !errors.As(err, &inv) || inv.Raw == "" {
			t.Errorf("ParseCode(%q): %v (kind %v), want an Invalid error wrapping an *InvalidError", in, err, skranke.KindOf(err))
		}
	}
	for _, in := range []string{"", "hello world"} {
		if _, _, err := scanner.ParseCode(in); skranke.KindOf(err) == skranke.Invalid {
			t.Errorf("ParseCode(%q): %v, want no Invalid error", in, err)
		}
	}
}
