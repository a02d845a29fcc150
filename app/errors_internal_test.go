package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

// Every kind of error reaches staff as a sentence of its own in their
// language, never as the Go function that failed.
func TestErrTextCoversEveryKind(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		setLanguage(lang)
		seen := map[string]skranke.Kind{}
		for k := skranke.Other; k <= skranke.Unknown; k++ {
			err := fmt.Errorf("wrapped: %w", skranke.E("sync.Desk.Deliver", k, "the detail"))
			got := errText(err)
			if got == "" || strings.Contains(got, "sync.Desk") {
				t.Errorf("%s: errText(%v) = %q", lang, k, got)
			}
			if other, ok := seen[got]; ok {
				t.Errorf("%s: kinds %v and %v read the same: %q", lang, other, k, got)
			}
			seen[got] = k
		}
		inv := &scanner.InvalidError{Raw: "K7RM+4QX2", Kind: scanner.WrongLayout, HostLayout: "no", ScannerLayout: "us", Reason: "English reason"}
		if got := invalidReason(inv); strings.Contains(got, "English reason") || !strings.Contains(got, "US") || !strings.Contains(got, "NO") {
			t.Errorf("%s: a wrong layout reads %q", lang, got)
		}
	}
	setLanguage("en")
}
