package printer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/skranke/skranke/printer"
)

func TestCutAndDrawer(t *testing.T) {
	cases := []struct {
		profile string
		partial bool
		want    []byte
	}{
		{"epson-tm-t20iii", true, []byte("\x1dVB\x00")},
		{"epson-tm-t20iii", false, []byte("\x1dVA\x00")},
		{"bixolon-srp-350plusiii", false, []byte("\x1dVB\x00")}, // partial cutter only
		{"generic-58", true, []byte("\x1bd\x04")},               // no cutter: feed to the tear bar
	}
	for _, c := range cases {
		p := MustProfile(t, c.profile)
		b := MustEncode(t, printer.NewDocument().Text("x", printer.Plain, printer.AlignLeft).Pulse().Cut(c.partial), p)
		if !bytes.HasSuffix(b, c.want) {
			t.Errorf("%s partial=%v: ends % x, want % x", c.profile, c.partial, b, c.want)
		}
		if !bytes.Contains(b, []byte("\x1bp\x00")) {
			t.Errorf("%s: no drawer pulse", c.profile)
		}
		if text := MustText(t, b, p); strings.Contains(text, "[cut]") != (p.FullCut || p.PartialCut) {
			t.Errorf("%s: renderer shows %q", c.profile, text)
		}
	}
}

func TestStylesRoundTrip(t *testing.T) {
	p := MustProfile(t, "epson-tm-t20iii")
	doc := printer.NewDocument().Spans(printer.AlignCenter,
		printer.Span{Text: "A", Style: printer.Style{Bold: true}},
		printer.Span{Text: "B", Style: printer.Style{Underline: true}},
		printer.Span{Text: "C", Style: printer.Style{Invert: true}},
		printer.Span{Text: "D", Style: printer.Style{Width: 2, Height: 3}},
		printer.Span{Text: "E", Style: printer.Style{Font: printer.FontB}},
	)
	b := MustEncode(t, doc, p)
	for _, cmd := range []string{"\x1bE\x01", "\x1b-\x01", "\x1dB\x01", "\x1d!\x12", "\x1bM\x01", "\x1ba\x01"} {
		if !bytes.Contains(b, []byte(cmd)) {
			t.Errorf("missing % x in % x", cmd, b)
		}
	}
	img := MustRender(t, b, p)
	// The 2×3 "D" makes the line 72 dots tall (its ink a little less, a
	// double-height line could not exceed 48); centred text leaves both
	// margins white.
	bounds := inkBounds(img)
	if bounds.Dy() <= 48 || bounds.Dy() > 72 {
		t.Errorf("line ink is %d dots tall, want triple height", bounds.Dy())
	}
	if left, right := bounds.Min.X, p.WidthDots-bounds.Max.X; left < 200 || right < 200 || abs(left-right) > 16 {
		t.Errorf("line not centred: margins %d and %d", left, right)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
