package printer_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/skranke/skranke/printer"
)

// stripes is a picture of any size that costs no memory: grey stripes, so
// cropping keeps all of it.
type stripes struct{ r image.Rectangle }

func (s stripes) ColorModel() color.Model { return color.GrayModel }
func (s stripes) Bounds() image.Rectangle { return s.r }
func (s stripes) At(x, y int) color.Color { return color.Gray{Y: uint8((x + y) % 200)} }

// TestImagesAreBounded: a picture without bounds (image.NewUniform) or with
// too many pixels is refused with a clear error rather than a panic or an
// allocation of gigabytes, and no picture prints taller than MaxImageDots.
func TestImagesAreBounded(t *testing.T) {
	p := MustProfile(t, "epson-tm-t20iii")
	for name, img := range map[string]image.Image{
		"uniform":  image.NewUniform(color.Black),
		"tall":     stripes{image.Rect(0, 0, 200, 100_000)},
		"negative": stripes{image.Rect(0, 0, -5, 10)},
	} {
		for _, doc := range []*printer.Document{
			printer.NewDocument().Image(img, 1, 0, printer.AlignCenter),
			printer.NewDocument().LineArt(img, 0.5, 96, printer.AlignLeft),
		} {
			_, err := printer.Encode(doc, p)
			if name == "negative" {
				// An empty rectangle has nothing to print; no error needed.
				continue
			}
			if !errors.Is(err, printer.ErrImageTooLarge) || !strings.Contains(err.Error(), "pixels") {
				t.Errorf("%s: err %v, want ErrImageTooLarge saying how large", name, err)
			}
		}
	}
	// A long strip of paper asked without a height limit, or with an
	// absurd one, is scaled down to MaxImageDots.
	for _, maxH := range []int{0, 1 << 20} {
		b := MustEncode(t, printer.NewDocument().Image(stripes{image.Rect(0, 0, 100, 20_000)}, 1, maxH, printer.AlignCenter), p)
		text := MustText(t, b, p)
		total := 0
		for _, l := range lines(text) {
			var w, h int
			if _, err := fmtSscan(l, &w, &h); err == nil {
				total += h
			}
		}
		if total == 0 || total > printer.MaxImageDots {
			t.Errorf("maxHeight %d: printed %d rows, cap %d", maxH, total, printer.MaxImageDots)
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestRenderIsBounded: a few bytes asking for metres of paper (ESC d 255
// over and over, a GS v 0 image 65535 rows tall) get ErrTooLong after a
// few megabytes at most, instead of hundreds.
func TestRenderIsBounded(t *testing.T) {
	tall := append([]byte("\x1dv0\x03\x01\x00\xff\xff"), make([]byte, 65535)...)
	cases := map[string][]byte{
		"ESC d 255 x23":    bytes.Repeat([]byte("\x1bd\xff"), 23),
		"ESC J 255 x1000":  bytes.Repeat([]byte("\x1bJ\xff"), 1000),
		"GS v 0 tall":      tall,
		"text then feeds":  append([]byte("x\n"), bytes.Repeat([]byte("\x1bd\xffy"), 200)...),
		"QR then feeds":    append([]byte("\x1d(k\x06\x001P0abc\x1d(k\x03\x001Q0"), bytes.Repeat([]byte("\x1bd\xff"), 30)...),
		"barcodes x 2000":  bytes.Repeat([]byte("\x1dh\xff\x1dkI\x04{B12"), 2000),
		"newlines x 50000": bytes.Repeat([]byte("\n"), 50_000),
	}
	for _, p := range printer.Profiles() {
		for name, data := range cases {
			var err error
			n := allocated(func() { _, err = printer.Render(data, p) })
			if !errors.Is(err, printer.ErrTooLong) {
				t.Errorf("%s %s: err %v, want ErrTooLong", p.ID, name, err)
			}
			if n > 64<<20 {
				t.Errorf("%s %s: %d input bytes allocated %d MB", p.ID, name, len(data), n>>20)
			}
		}
	}
	// A long real document still renders: a daily report of 400 events.
	p := MustProfile(t, "generic-58")
	r := printer.DailyReport{CentreName: "Aktiv", Language: "nb"}
	for i := 0; i < 400; i++ {
		r.Rows = append(r.Rows, printer.ReportRow{Time: "10:00", Staff: "Kari", Code: "K7Q2X9M4", What: "Utlevert 2 varer", Amount: "kr 10,00"})
	}
	var err error
	n := allocated(func() { _, err = printer.Render(MustEncode(t, r.Document(), p), p) })
	if err != nil {
		t.Errorf("daily report of 400 events: %v", err)
	}
	t.Logf("daily report of 400 events on 58 mm: %d MB allocated to render", n>>20)
}

// FuzzEncode builds random documents from the fuzzer's bytes, every kind of
// block with any parameters and text, and encodes them for every profile.
// Encoding must never panic; it either fails with an error or produces
// bytes the renderer understands in full, within the paper's width.
func FuzzEncode(f *testing.F) {
	f.Add([]byte("T\x00Åse Ødegård\x00R\x01Kjøper:\x00Grzegorz Brzęczyszczykiewicz\x00B\x00GC7K2M9Q4X8PR3T5V6WZ\x00Q\x03K7Q2\x00C"))
	f.Add([]byte("B\x01123456789012\x00B\x00ÆØÅ\x00Q\x00\x00I\x05\x40\x40L\x03F\xffP"))
	f.Add([]byte("S\x22日本 🎉\tx\x1b@\x00X\x05\x00\x00W\x00ąčęėįšųūž"))
	profiles := printer.Profiles()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1024 {
			return
		}
		doc := fuzzDocument(data)
		for _, p := range profiles {
			enc, err := printer.EncodeDetailed(doc, p)
			if err != nil {
				if doc.Len() > 0 && !errors.Is(err, printer.ErrImageTooLarge) {
					t.Fatalf("%s: %v", p.ID, err)
				}
				continue
			}
			text, err := printer.Text(enc.Bytes, p)
			if err != nil {
				t.Fatalf("%s: renderer rejects the encoder's bytes: %v", p.ID, err)
			}
			for _, l := range strings.Split(text, "\n") {
				if !strings.HasPrefix(l, "[") && utf8.RuneCountInString(l) > p.ColumnsB*2 {
					t.Fatalf("%s: line %q wider than the paper", p.ID, l)
				}
			}
		}
	})
}

// fuzzDocument reads a document from b: an operation letter, one
// parameter byte, then for text operations a NUL-terminated string.
func fuzzDocument(b []byte) *printer.Document {
	d := printer.NewDocument()
	str := func() string {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			i = len(b)
		}
		s := string(b[:i])
		b = b[min(len(b), i+1):]
		return s
	}
	for len(b) >= 2 {
		op, n := b[0], b[1]
		b = b[2:]
		st := printer.Style{Font: printer.Font(n & 1), Bold: n&2 != 0, Underline: n&4 != 0, Invert: n&8 != 0, Width: int(n>>4) & 7, Height: int(n>>5) & 7}
		a := printer.Align(n % 3)
		switch op % 14 {
		case 0:
			d.Text(str(), st, a)
		case 1:
			d.Row(str(), str(), st)
		case 2:
			d.LeaderRow(str(), str(), st)
		case 3:
			d.FitText(str(), st, a)
		case 4:
			d.Columns(st, printer.Column{Text: str()}, printer.Column{Text: str(), Width: int(n%20) - 1, Align: a}, printer.Column{Text: str(), Width: printer.FitContent})
		case 5:
			d.Barcode(printer.Symbology(n%2), str())
		case 6:
			d.BarcodeHRI(printer.Symbology(n%2), str(), int(n))
		case 7:
			d.QR(str(), int(n%20))
		case 8:
			w, h := int(n%64)+1, int(n/4)+1
			img := image.NewGray(image.Rect(0, 0, w, h))
			for i := range img.Pix {
				img.Pix[i] = uint8(i * 37)
			}
			if n&1 == 0 {
				d.Image(img, float64(n%5)/4, int(n), a)
			} else {
				d.LineArt(img, float64(n%5)/4, int(n), a)
			}
		case 9:
			d.Rule(rune(n))
		case 10:
			d.Line(int(n) - 100)
		case 11:
			d.Feed(int(n) - 10)
		case 12:
			d.Cut(n&1 == 1)
		case 13:
			d.Pulse()
		}
	}
	return d
}
