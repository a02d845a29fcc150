package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
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

// Every kind of printer failure reaches staff as words of its own in their
// language: not the printer package's English, not the op that failed.
func TestPrinterErrTextCoversEveryKind(t *testing.T) {
	texts := map[string]map[printer.Kind]string{}
	for _, lang := range []string{"en", "nb"} {
		setLanguage(lang)
		texts[lang] = map[printer.Kind]string{}
		seen := map[string]printer.Kind{}
		for k := printer.KindOther; k <= printer.KindPermission; k++ {
			err := fmt.Errorf("wrapped: %w", printer.E("printer.Printer.Send", k, "the detail"))
			got := printerErrText(err)
			if got == "" || strings.Contains(got, "printer.Printer") || lang == "nb" && strings.Contains(got, k.String()) {
				t.Errorf("%s: printerErrText(%v) = %q", lang, k, got)
			}
			if other, ok := seen[got]; ok {
				t.Errorf("%s: kinds %v and %v read the same: %q", lang, other, k, got)
			}
			seen[got] = k
			texts[lang][k] = got
		}
	}
	setLanguage("en")
	for k, en := range texts["en"] {
		if texts["nb"][k] == en {
			t.Errorf("%v reads %q in Norwegian too", k, en)
		}
	}
	// A kind past the last one reads as KindOther; one that does not is new.
	if s := (printer.KindPermission + 1).String(); s != printer.KindOther.String() {
		t.Errorf("printer has a kind after KindPermission (%q); give it a text and extend this test", s)
	}
}

// What a failed print put on paper decides whether F8 prints the delivery
// note as the original or as a copy: a job that timed out or was closed
// before a byte went out printed nothing; one cut short may have.
func TestNeverPrinted(t *testing.T) {
	const op = "printer.Printer.Send"
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"paper out", printer.E(op, printer.KindPaperOut, nil), true},
		{"timed out waiting for the printer", printer.E(op, printer.KindTimeout, "waiting for the printer: context deadline exceeded"), true},
		{"timed out while sending", printer.E(op, printer.KindTimeout, fmt.Errorf("tcp://p: %w: %w", printer.ErrPartial, fmt.Errorf("i/o timeout"))), false},
		{"replaced before it began", printer.E(op, printer.KindCanceled, fmt.Errorf("tcp://p: %w", printer.ErrClosed)), true},
		{"cut short by a printer change", printer.E(op, printer.KindCanceled, fmt.Errorf("tcp://p: %w: %w", printer.ErrPartial, printer.ErrClosed)), false},
		{"connection broke while sending", printer.E(op, printer.KindIO, fmt.Errorf("tcp://p: %w: %w", printer.ErrPartial, fmt.Errorf("reset"))), false},
	} {
		if got := neverPrinted(tt.err); got != tt.want {
			t.Errorf("%s: neverPrinted = %v, want %v", tt.name, got, tt.want)
		}
	}
}
