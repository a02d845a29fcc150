package printer_test

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skranke/skranke/printer"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/ and the pictures in docs/img/")

type goldenCase struct {
	name    string
	profile string
	doc     func() *printer.Document
	// picture names a PNG kept in docs/img; it doubles as the golden
	// picture, so the documentation always shows what the renderer draws.
	picture string
}

func goldenCases() []goldenCase {
	at := time.Date(2026, 11, 24, 16, 5, 0, 0, time.UTC)
	slip := func() *printer.Document {
		return printer.VoidSlip{Code: "GC7K2M9Q4X8P", Amount: "kr 500,00", Reason: "Delvis brukt", RemainderCode: "GCNEW1234567", Staff: "Kari", At: at, Language: "nb"}.Document()
	}
	report := func() *printer.Document {
		return printer.DailyReport{
			CentreName: "Aktiv Majorstuen", Period: "24.11.2026",
			Rows: []printer.ReportRow{
				{Time: "09:14", Staff: "Kari", Code: "K7Q2X9M4P8R3", What: "Utlevert 2 varer", Amount: "kr 698,00"},
				{Time: "11:02", Staff: "Ola", Code: "GC7K2M9Q4X8P", What: "Gavekort delvis brukt", Amount: "kr 250,00"},
			},
			Totals:  [][2]string{{"Utleveringer", "1"}, {"Gavekort brukt", "kr 250,00"}},
			Printed: at, Language: "nb",
		}.Document()
	}
	credit := func() *printer.Document { return sampleCreditSlip("nb").Document() }
	copyNote := func() *printer.Document {
		n := sampleNote("en")
		n.Copy = true
		return n.Document()
	}
	var cs []goldenCase
	for _, w := range []struct{ mm, id string }{{"58mm", "generic-58"}, {"80mm", "epson-tm-t20iii"}} {
		cs = append(cs,
			goldenCase{"delivery-note-" + w.mm, w.id, func() *printer.Document { return sampleNote("nb").Document() }, "delivery-note-" + w.mm + ".png"},
			goldenCase{"gift-card-" + w.mm, w.id, func() *printer.Document { return sampleGiftCard("nb").Document() }, "gift-card-" + w.mm + ".png"},
			goldenCase{"delivery-note-copy-en-" + w.mm, w.id, copyNote, ""},
			goldenCase{"void-slip-" + w.mm, w.id, slip, ""},
			goldenCase{"daily-report-" + w.mm, w.id, report, ""},
			goldenCase{"credit-slip-" + w.mm, w.id, credit, "credit-slip-" + w.mm + ".png"},
		)
	}
	for _, p := range printer.Profiles() {
		p := p
		cs = append(cs, goldenCase{"test-page-" + p.ID, p.ID, func() *printer.Document { return printer.TestPage(p) }, ""})
	}
	return cs
}

// TestGolden pins the bytes of every layout and the pictures in docs/img.
// Run with -update after a deliberate change and look at the pictures.
func TestGolden(t *testing.T) {
	imgDir := filepath.Join(moduleRoot(t), "docs", "img")
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			p := MustProfile(t, c.profile)
			b := MustEncode(t, c.doc(), p)
			binPath := filepath.Join("testdata", c.name+".bin")
			if *update {
				if err := os.WriteFile(binPath, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(binPath)
			if err != nil {
				t.Fatalf("%v (run go test ./printer -run TestGolden -update)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("bytes differ from %s (%d vs %d bytes); run with -update if the change is meant", binPath, len(b), len(want))
			}
			if c.picture == "" {
				return
			}
			var buf bytes.Buffer
			if err := printer.RenderPNG(&buf, b, p); err != nil {
				t.Fatal(err)
			}
			pngPath := filepath.Join(imgDir, c.picture)
			if *update {
				if err := os.MkdirAll(imgDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(pngPath, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Open(pngPath)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			defer f.Close()
			old, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := png.Decode(bytes.NewReader(buf.Bytes()))
			if !sameImage(old, got) {
				t.Errorf("%s no longer shows what the renderer draws; run with -update", pngPath)
			}
		})
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				return false
			}
		}
	}
	return true
}
