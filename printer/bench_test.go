package printer_test

import (
	"bytes"
	"testing"

	"github.com/skranke/skranke/printer"
)

type benchDoc struct {
	name    string
	profile string
	doc     func() *printer.Document
}

func benchDocs() []benchDoc {
	note := func() *printer.Document { return sampleNote("nb").Document() }
	card := func() *printer.Document { return sampleGiftCard("nb").Document() }
	return []benchDoc{
		{"delivery-note-58mm", "generic-58", note},
		{"delivery-note-80mm", "epson-tm-t20iii", note},
		{"gift-card-58mm", "generic-58", card},
		{"gift-card-80mm", "epson-tm-t20iii", card},
	}
}

// BenchmarkEncode measures encoding the delivery note (with a signature)
// and the gift card, and reports their size and what they cost on a serial
// line at 9600 and 115200 baud (10 bits a byte).
func BenchmarkEncode(b *testing.B) {
	for _, bd := range benchDocs() {
		p := MustProfile(b, bd.profile)
		doc := bd.doc()
		b.Run(bd.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				out, err := printer.Encode(doc, p)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.ReportMetric(float64(n), "bytes")
			b.ReportMetric(float64(n)*10/9600*1000, "ms@9600")
			b.ReportMetric(float64(n)*10/115200*1000, "ms@115200")
		})
	}
}

// BenchmarkRender measures turning the encoded documents back into PNG
// previews, as the app does before printing.
func BenchmarkRender(b *testing.B) {
	for _, bd := range benchDocs() {
		p := MustProfile(b, bd.profile)
		data := MustEncode(b, bd.doc(), p)
		b.Run(bd.name, func(b *testing.B) {
			for b.Loop() {
				var buf bytes.Buffer
				if err := printer.RenderPNG(&buf, data, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
