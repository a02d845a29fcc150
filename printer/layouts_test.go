package printer_test

import (
	"bytes"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke/printer"
)

// paperWidths are the profiles standing for 58 and 80 mm paper.
var paperWidths = []string{"generic-58", "epson-tm-t88v", "epson-tm-t20iii"}

func checkFits(t *testing.T, p printer.Profile, img image.Image, text string) {
	t.Helper()
	if w := img.Bounds().Dx(); w != p.WidthDots {
		t.Errorf("picture is %d dots wide, paper %d", w, p.WidthDots)
	}
	for _, l := range lines(text) {
		var w, h int
		if _, err := fmt.Sscanf(strings.ReplaceAll(l, "×", " "), "[image %d %d]", &w, &h); err == nil && w > p.WidthDots {
			t.Errorf("image %d dots wide on %d-dot paper", w, p.WidthDots)
		}
		if strings.HasPrefix(l, "[") {
			continue
		}
		if n := len([]rune(l)); n > p.ColumnsB {
			t.Errorf("line %q has %d characters, more than fit", l, n)
		}
		if strings.Contains(l, "?") {
			t.Errorf("line %q has a '?'", l)
		}
	}
}

func TestDeliveryNote(t *testing.T) {
	for _, id := range paperWidths {
		p := MustProfile(t, id)
		t.Run(id, func(t *testing.T) {
			for _, lang := range []string{"nb", "en"} {
				note := sampleNote(lang)
				b := MustEncode(t, note.Document(), p)
				img := MustRender(t, b, p)
				text := MustText(t, b, p)
				checkFits(t, p, img, text)
				title, notReceipt := "UTLEVERINGSBEVIS", "Dette er ikke en salgskvittering"
				if lang == "en" {
					title, notReceipt = "DELIVERY NOTE", "This is not a sales receipt"
				}
				flat := strings.Join(lines(text), " ")
				for _, want := range []string{title, notReceipt, "K7Q2 X9M4 P8R3", "Åse Ødegård", "Łukasz Żółć", "Aktiv Majorstuen", "Har du spørsmål, kontakt resepsjonen."} {
					if !strings.Contains(flat, want) {
						t.Errorf("%s: %q missing from\n%s", lang, want, text)
					}
				}
				if hasCutter := p.FullCut || p.PartialCut; hasCutter != strings.Contains(text, "[cut]") {
					t.Errorf("%s: cut printed %v on a printer with cutter %v", lang, !hasCutter, hasCutter)
				}
				if got, err := decodeCode128(t, img); err != nil || got != note.Reference {
					t.Errorf("%s: reference barcode decoded as %q (%v)", lang, got, err)
				}
				if !strings.Contains(text, "[image ") {
					t.Errorf("%s: signature not printed", lang)
				}
			}
		})
	}
}

func TestDeliveryNoteMarks(t *testing.T) {
	p := MustProfile(t, "generic-58")
	note := sampleNote("nb")
	note.Signature = nil
	plain := MustText(t, MustEncode(t, note.Document(), p), p)
	if strings.Contains(plain, "KOPI") || strings.Contains(plain, "TRENING") {
		t.Fatalf("original marked as copy or training:\n%s", plain)
	}
	if !strings.Contains(plain, "Signatur") {
		t.Errorf("no line to sign on when no signature was taken")
	}
	note.Copy, note.Training = true, true
	marked := MustText(t, MustEncode(t, note.Document(), p), p)
	if strings.Count(marked, "KOPI") < 2 || strings.Count(marked, "TRENING") < 2 {
		t.Errorf("copy and training marks should head and end the note:\n%s", marked)
	}
	if !strings.HasPrefix(strings.TrimSpace(marked), "TRENING") {
		t.Errorf("training mark not first:\n%s", marked)
	}
}

func TestSignatureIsSmall(t *testing.T) {
	for _, id := range paperWidths {
		p := MustProfile(t, id)
		doc := printer.NewDocument().LineArt(signature(), 0.6, 96, printer.AlignLeft)
		b := MustEncode(t, doc, p)
		if len(b) >= 4096 {
			t.Errorf("%s: signature costs %d bytes, want under 4 KB", id, len(b))
		}
		text := MustText(t, b, p)
		// Cropped to the strokes, and at most 96 dots tall.
		var w, h int
		if _, err := fmtSscan(text, &w, &h); err != nil || h > 96 || w > p.WidthDots*6/10+8 || h < 40 {
			t.Errorf("%s: signature printed as %q", id, strings.TrimSpace(text))
		}
	}
}

func TestGiftCard(t *testing.T) {
	for _, id := range paperWidths {
		p := MustProfile(t, id)
		t.Run(id, func(t *testing.T) {
			card := sampleGiftCard("nb")
			card.ParentCode = "OLD1OLD2OLD3"
			b := MustEncode(t, card.Document(), p)
			img := MustRender(t, b, p)
			text := MustText(t, b, p)
			checkFits(t, p, img, text)
			for _, want := range []string{"GAVEKORT", "kr 500,00", "GC7K 2M9Q 4X8P", "Gyldig til: 24.11.2027", "Erstatter gavekort OLD1 OLD2 OLD3", "restbeløpet"} {
				if !strings.Contains(text, want) {
					t.Errorf("%q missing from\n%s", want, text)
				}
			}
			if got, err := decodeQR(t, img); err != nil || got != card.Code {
				t.Errorf("QR decoded as %q (%v)", got, err)
			}
			if got, err := decodeCode128(t, img); err != nil || got != card.Code {
				t.Errorf("barcode decoded as %q (%v)", got, err)
			}
			// The amount is the largest thing on the card.
			if !bytes.Contains(b, []byte("\x1d!\x22")) && !bytes.Contains(b, []byte("\x1d!\x11")) {
				t.Errorf("amount not magnified")
			}
		})
	}
}

func TestVoidSlipAndReport(t *testing.T) {
	at := time.Date(2026, 11, 24, 16, 5, 0, 0, time.UTC)
	for _, id := range paperWidths {
		p := MustProfile(t, id)
		slip := printer.VoidSlip{Code: "GC7K2M9Q4X8P", Amount: "kr 500,00", Reason: "Delvis brukt", RemainderCode: "GCNEW1234567", Staff: "Kari", At: at, Language: "nb", Training: true}
		b := MustEncode(t, slip.Document(), p)
		text := MustText(t, b, p)
		checkFits(t, p, MustRender(t, b, p), text)
		for _, want := range []string{"ANNULLERT GAVEKORT", "GC7K 2M9Q 4X8P", "GCNE W123 4567", "TRENING", "24.11.2026 16:05", "Delvis brukt"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s slip: %q missing from\n%s", id, want, text)
			}
		}
		rep := printer.DailyReport{
			CentreName: "Aktiv Majorstuen", Period: "24.11.2026",
			Rows: []printer.ReportRow{
				{Time: "09:14", Staff: "Kari", Code: "K7Q2X9M4P8R3", What: "Utlevert 2 varer", Amount: "kr 698,00"},
				{Time: "11:02", Staff: "Ola", Code: "GC7K2M9Q4X8P", What: "Gavekort delvis brukt, nytt kort utstedt for restbeløp", Amount: "kr 250,00"},
			},
			Totals:   [][2]string{{"Utleveringer", "1"}, {"Gavekort brukt", "kr 250,00"}},
			Printed:  at,
			Language: "en",
		}
		b = MustEncode(t, rep.Document(), p)
		text = MustText(t, b, p)
		checkFits(t, p, MustRender(t, b, p), text)
		for _, want := range []string{"DAILY REPORT", "09:14", "kr 698,00", "Totals", "Gavekort brukt", "K7Q2 X9M4 P8R3"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s report: %q missing from\n%s", id, want, text)
			}
		}
	}
}

// sampleCreditSlip is a credit of one of two T-shirts, approved by a
// manager, in lang.
func sampleCreditSlip(lang string) printer.CreditSlip {
	return printer.CreditSlip{
		CentreName: "Aktiv Majorstuen", CentreLines: []string{"Sørkedalsveien 10, 0369 Oslo"},
		Reference: "K7Q2X9M4P8R3", Buyer: "Åse Ødegård",
		Lines:  []printer.CreditLine{{Name: "T-skjorte Aktiv, M", Quantity: 1, Amount: "kr 249,00"}, {Name: "Proteinshaker 700 ml", Quantity: 1, Amount: "kr 149,00"}},
		Amount: "kr 398,00", Reason: "Trykkfeil", Staff: "Kari Nordmann", Approver: "Ingrid Solbakken", Desk: "Resepsjon 1",
		At: time.Date(2026, 11, 24, 16, 5, 0, 0, time.UTC), Language: lang,
	}
}

// A credit slip is a credit note for the customer, never a sales receipt:
// it shows the purchase's code (readable and as a barcode), what was
// credited, who credited it, who approved it, and when; on 58 and 80 mm.
func TestCreditSlip(t *testing.T) {
	for _, id := range paperWidths {
		p := MustProfile(t, id)
		t.Run(id, func(t *testing.T) {
			for _, lang := range []string{"nb", "en"} {
				slip := sampleCreditSlip(lang)
				if lang == "en" {
					slip.Lines, slip.Amount = nil, "kr 100,00"
				}
				b := MustEncode(t, slip.Document(), p)
				img := MustRender(t, b, p)
				text := MustText(t, b, p)
				checkFits(t, p, img, text)
				flat := strings.Join(lines(text), " ")
				want := []string{"KREDITNOTA", "Dette er ikke en salgskvittering", "K7Q2 X9M4 P8R3", "T-skjorte Aktiv, M", "kr 249,00",
					"Beløp kreditert: kr 398,00", "Kreditert av: Kari Nordmann", "Godkjent av: Ingrid Solbakken", "24.11.2026 16:05", "Trykkfeil"}
				if lang == "en" {
					want = []string{"CREDIT NOTE", "This is not a sales receipt", "K7Q2 X9M4 P8R3", "Amount credited: kr 100,00",
						"Credited by: Kari Nordmann", "Approved by: Ingrid Solbakken", "2026-11-24 16:05"}
				}
				for _, w := range want {
					if !strings.Contains(flat, w) && !strings.Contains(strings.Join(strings.Fields(flat), " "), w) {
						t.Errorf("%s: %q missing from\n%s", lang, w, text)
					}
				}
				for _, never := range []string{"KVITTERING\n", "UTLEVERINGSBEVIS", "DELIVERY NOTE", "RECEIPT"} {
					if strings.Contains(text, never) {
						t.Errorf("%s: a credit slip says %q", lang, never)
					}
				}
				if got, err := decodeCode128(t, img); err != nil || got != slip.Reference {
					t.Errorf("%s: reference barcode decoded as %q (%v)", lang, got, err)
				}
			}
		})
	}
}

func TestTestPage(t *testing.T) {
	for _, p := range printer.Profiles() {
		b := MustEncode(t, printer.TestPage(p), p)
		img := MustRender(t, b, p)
		text := MustText(t, b, p)
		checkFits(t, p, img, text)
		if !strings.Contains(text, p.Name) {
			t.Errorf("%s: name missing", p.ID)
		}
		for _, cp := range p.CodePages {
			if !strings.Contains(text, cp.Name) {
				t.Errorf("%s: code page %s not shown", p.ID, cp.Name)
			}
		}
		// The automatic line prints every sample character right.
		if !strings.Contains(text, printer.SampleText) {
			t.Errorf("%s: sample text not printed right:\n%s", p.ID, text)
		}
		if got, err := decodeQR(t, img); err != nil || !strings.Contains(got, p.ID) {
			t.Errorf("%s: QR decoded as %q (%v)", p.ID, got, err)
		}
	}
}
