package printer_test

import (
	"strings"
	"testing"

	"github.com/skranke/skranke/printer"
)

func TestQREncoderDecodes(t *testing.T) {
	// Lengths that land on every version 1–10 at level M, and the edges.
	for _, n := range []int{1, 14, 16, 26, 42, 62, 84, 106, 122, 152, 180, 213} {
		for level := 0; level < 4; level++ {
			data := []byte(strings.Repeat("SKR-0123456789abcdefghijklmnopqrstuvwxyz", 6)[:n])
			img, version, err := printer.QRImage(data, level, 3)
			if err != nil {
				if n > 119 && level >= 2 {
					continue // beyond version 10 at Q and H
				}
				t.Fatalf("n=%d level=%d: %v", n, level, err)
			}
			got, err := decodeQR(t, img)
			if err != nil {
				t.Errorf("n=%d level=%d version=%d: does not decode: %v", n, level, version, err)
				continue
			}
			if got != string(data) {
				t.Errorf("n=%d level=%d: decoded %q", n, level, got)
			}
		}
	}
	if _, _, err := printer.QRImage(make([]byte, 300), 1, 1); err == nil {
		t.Error("300 bytes encoded beyond version 10")
	}
}

func TestCode128(t *testing.T) {
	for i, p := range printer.Code128Patterns() {
		sum := 0
		for _, c := range p {
			sum += int(c - '0')
		}
		if want := map[bool]int{true: 13, false: 11}[i == 106]; sum != want {
			t.Errorf("pattern %d sums to %d", i, sum)
		}
	}
	for _, data := range []string{"K7Q2X9M4P8R3", "1234567890", "12345", "AB12345678CD", "abc-{123}", "GC7K2M9Q4X8P", "9", "00"} {
		img, err := printer.Code128Image(data, 2)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCode128(t, img)
		if err != nil || got != data {
			t.Errorf("%q decoded as %q (%v)", data, got, err)
		}
	}
	// Digits go in code set C: a long number is short.
	payload, _ := printer.Code128Escpos("12345678901234")
	if string(payload[:2]) != "{C" || len(payload) != 9 {
		t.Errorf("digits payload % x, want {C and 7 packed pairs", payload)
	}
}

// TestSymbolsDecodeFromRender prints barcodes and QR codes on every
// profile, with GS k / GS ( k where the printer has them and as raster
// images where it does not, and reads them back from the rendered picture.
func TestSymbolsDecodeFromRender(t *testing.T) {
	for _, p := range printer.Profiles() {
		t.Run(p.ID, func(t *testing.T) {
			for _, code := range []string{"K7Q2X9M4P8R3", "2026112400417"} {
				doc := printer.NewDocument().Feed(1).Barcode(printer.Code128, code).Feed(1)
				img := MustRender(t, MustEncode(t, doc, p), p)
				if got, err := decodeCode128(t, img); err != nil || got != code {
					t.Errorf("Code128 %q decoded as %q (%v)", code, got, err)
				}
			}
			doc := printer.NewDocument().Feed(1).Barcode(printer.EAN13, "590123412345").Feed(1)
			img := MustRender(t, MustEncode(t, doc, p), p)
			if got, err := decodeEAN13(t, img); err != nil || got != "5901234123457" {
				t.Errorf("EAN-13 decoded as %q (%v)", got, err)
			}
			for _, data := range []string{"GC7K2M9Q4X8P", "https://skranke.example/g/GC7K2M9Q4X8P?c=majorstuen"} {
				doc := printer.NewDocument().Feed(1).QR(data, 0).Feed(1)
				b := MustEncode(t, doc, p)
				if p.QR != strings.Contains(string(b), "\x1d(k") {
					t.Errorf("GS ( k use does not follow the profile (QR=%v)", p.QR)
				}
				img := MustRender(t, b, p)
				if got, err := decodeQR(t, img); err != nil || got != data {
					t.Errorf("QR %q decoded as %q (%v)", data, got, err)
				}
			}
		})
	}
}

// TestUndrawableCodePrintsAsText: a code no symbology can carry (wrong
// length, a bad check digit, non-ASCII, too long for a QR code) does not
// stop the document: the code prints as text and the caller gets a warning.
func TestUndrawableCodePrintsAsText(t *testing.T) {
	cases := []struct {
		sym, data string
		doc       func(string) *printer.Document
	}{
		{"barcode", "12345", func(s string) *printer.Document { return printer.NewDocument().Barcode(printer.EAN13, s) }},
		{"barcode", "5901234123458", func(s string) *printer.Document { return printer.NewDocument().Barcode(printer.EAN13, s) }}, // wrong check digit
		{"barcode", "ÆØÅ-1234", func(s string) *printer.Document { return printer.NewDocument().BarcodeHRI(printer.Code128, s, 60) }},
		{"QR code", strings.Repeat("x", 400), func(s string) *printer.Document { return printer.NewDocument().QR(s, 0) }},
	}
	for _, p := range printer.Profiles() {
		for _, c := range cases {
			doc := printer.NewDocument().Text("Før", printer.Plain, printer.AlignLeft).
				Append(c.doc(c.data)).
				Text("Etter", printer.Plain, printer.AlignLeft).Cut(false)
			enc, err := printer.EncodeDetailed(doc, p)
			if err != nil {
				t.Fatalf("%s: %s %q stopped the document: %v", p.ID, c.sym, c.data, err)
			}
			if len(enc.Warnings) != 1 || enc.Warnings[0].Data != c.data || enc.Warnings[0].Symbol != c.sym || enc.Warnings[0].Block != 1 || enc.Warnings[0].Err == nil {
				t.Errorf("%s: %s %q: warnings %v", p.ID, c.sym, c.data, enc.Warnings)
			}
			text := MustText(t, enc.Bytes, p)
			flat := strings.ReplaceAll(text, "\n", "")
			if !strings.Contains(flat, "Før"+c.data+"Etter") {
				t.Errorf("%s: %q not printed as text between the lines around it:\n%s", p.ID, c.data, text)
			}
			if strings.Contains(text, "[barcode") || strings.Contains(text, "[qr") || strings.Contains(text, "[image") {
				t.Errorf("%s: a symbol printed for %q:\n%s", p.ID, c.data, text)
			}
		}
	}
	// A whole delivery note with a reference no barcode can carry still prints.
	p := MustProfile(t, "epson-tm-t20iii")
	note := sampleNote("nb")
	note.Reference = "KØ7Q2X9M"
	enc, err := printer.EncodeDetailed(note.Document(), p)
	if err != nil || len(enc.Warnings) != 1 {
		t.Fatalf("note with reference %q: %v, warnings %v", note.Reference, err, enc.Warnings)
	}
	if text := MustText(t, enc.Bytes, p); !strings.Contains(text, "KØ7Q2X9M") || !strings.Contains(text, "Ekspedert av:") {
		t.Errorf("note printed as\n%s", text)
	}
	if _, err := printer.Encode(printer.NewDocument(), p); err == nil {
		t.Error("encoded an empty document")
	}
}
