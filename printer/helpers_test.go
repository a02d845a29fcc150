package printer_test

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/skranke/skranke/printer"
)

// MustProfile returns a shipped profile or stops the test.
func MustProfile(tb testing.TB, id string) printer.Profile {
	tb.Helper()
	p, ok := printer.ProfileByID(id)
	if !ok {
		tb.Fatalf("no profile %q", id)
	}
	return p
}

// MustEncode encodes doc for p or stops the test.
func MustEncode(tb testing.TB, doc *printer.Document, p printer.Profile) []byte {
	tb.Helper()
	b, err := printer.Encode(doc, p)
	if err != nil {
		tb.Fatalf("encode for %s: %v", p.ID, err)
	}
	return b
}

// MustRender renders data for p or stops the test.
func MustRender(tb testing.TB, data []byte, p printer.Profile) image.Image {
	tb.Helper()
	img, err := printer.Render(data, p)
	if err != nil {
		tb.Fatalf("render for %s: %v", p.ID, err)
	}
	return img
}

// MustText returns the printed text of data for p.
func MustText(tb testing.TB, data []byte, p printer.Profile) string {
	tb.Helper()
	s, err := printer.Text(data, p)
	if err != nil {
		tb.Fatalf("text for %s: %v", p.ID, err)
	}
	return s
}

// moduleRoot finds the directory holding go.mod.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func bitmapOf(tb testing.TB, img image.Image) *gozxing.BinaryBitmap {
	tb.Helper()
	bb, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		tb.Fatal(err)
	}
	return bb
}

// decodeQR reads a QR code anywhere in img.
func decodeQR(tb testing.TB, img image.Image) (string, error) {
	tb.Helper()
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bitmapOf(tb, img), hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// decodeCode128 reads a Code128 barcode in img.
func decodeCode128(tb testing.TB, img image.Image) (string, error) {
	tb.Helper()
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := oned.NewCode128Reader().Decode(bitmapOf(tb, img), hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// decodeEAN13 reads an EAN-13 barcode in img.
func decodeEAN13(tb testing.TB, img image.Image) (string, error) {
	tb.Helper()
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := oned.NewEAN13Reader().Decode(bitmapOf(tb, img), hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// crop cuts the rows of img between the first and last dark row of the
// region whose text line matched, padded with white; used to isolate a
// symbol from the text around it.
func cropRows(img image.Image, y0, y1 int) image.Image {
	b := img.Bounds()
	y0, y1 = max(b.Min.Y, y0), min(b.Max.Y, y1)
	out := image.NewGray(image.Rect(0, 0, b.Dx()+80, y1-y0+80))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for y := y0; y < y1; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x-b.Min.X+40, y-y0+40, color.GrayModel.Convert(img.At(x, y)))
		}
	}
	return out
}

// signature draws a pen signature like the ones taken on screen.
func signature() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 640, 220))
	for i := range img.Pix {
		img.Pix[i] = 0 // transparent, as the signature pad exports
	}
	pen := func(x, y float64) {
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				img.Set(int(x)+dx, int(y)+dy, color.RGBA{0x10, 0x10, 0x40, 0xff})
			}
		}
	}
	// A looping scrawl: a few loops, then a long underline.
	for t := 0.0; t < 1; t += 0.0005 {
		x := 60 + 480*t
		y := 110 + 55*sinApprox(t*34) - 20*sinApprox(t*7)
		pen(x+25*sinApprox(t*68+1.5), y)
	}
	for x := 80.0; x < 560; x++ {
		pen(x, 190-0.04*(x-80))
	}
	return img
}

// sinApprox is a smooth periodic wiggle, enough for a drawing.
func sinApprox(x float64) float64 {
	// Bhaskara-style approximation on a folded argument.
	const pi = 3.141592653589793
	x = x - 2*pi*float64(int(x/(2*pi)))
	if x < 0 {
		x += 2 * pi
	}
	sign := 1.0
	if x > pi {
		x -= pi
		sign = -1
	}
	return sign * 16 * x * (pi - x) / (5*pi*pi - 4*x*(pi-x))
}

// logo draws a round badge with initials, standing in for a centre's logo.
func logo() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 300, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			dx, dy := float64(x-150), float64(y-150)
			d := dx*dx + dy*dy
			switch {
			case d < 140*140 && d > 118*118:
				img.Set(x, y, color.RGBA{0x20, 0x40, 0x90, 0xff})
			case d <= 118*118:
				// A soft gradient that dithering has to carry.
				v := uint8(150 + 100*float64(y)/300)
				img.Set(x, y, color.RGBA{v, v, 0xff, 0xff})
				if (x > 95 && x < 125 && y > 80 && y < 220) || (x > 175 && x < 205 && y > 80 && y < 220) || (y > 135 && y < 165 && x > 95 && x < 205) {
					img.Set(x, y, color.RGBA{0x10, 0x20, 0x60, 0xff})
				}
			}
		}
	}
	return img
}

var noteTime = time.Date(2026, 11, 24, 14, 32, 0, 0, time.UTC)

func sampleNote(lang string) printer.DeliveryNote {
	return printer.DeliveryNote{
		CentreName:  "Aktiv Majorstuen",
		CentreLines: []string{"Kirkeveien 64, 0364 Oslo", "Tlf 22 00 00 00 · Org.nr 912 345 678"},
		Header:      "Velkommen tilbake!",
		Footer:      "Har du spørsmål, kontakt resepsjonen.",
		Reference:   "K7Q2X9M4P8R3",
		Buyer:       "Åse Ødegård",
		Lines: []printer.NoteLine{
			{Name: "Proteinpulver sjokolade 1 kg", Ordered: 3, DeliveredNow: 1, DeliveredBefore: 1, Remaining: 1, Amount: "kr 499,00"},
			{Name: "Håndkle med logo", Ordered: 1, DeliveredNow: 1, Amount: "kr 199,00"},
			{Name: "Klippekort 10 timer – spinning", Ordered: 1, DeliveredBefore: 1},
		},
		Staff:     "Łukasz Żółć",
		Desk:      "Skranke 1",
		At:        noteTime,
		Signature: signature(),
		Language:  lang,
	}
}

func sampleGiftCard(lang string) printer.GiftCard {
	return printer.GiftCard{
		CentreName: "Aktiv Majorstuen",
		Logo:       logo(),
		Amount:     "kr 500,00",
		Code:       "GC7K2M9Q4X8P",
		ExpiresAt:  time.Date(2027, 11, 24, 0, 0, 0, 0, time.UTC),
		Terms:      "Gavekortet kan brukes på alle varer og tjenester i våre sentre. Det kan ikke byttes i kontanter. Ved delvis bruk får du et nytt gavekort for restbeløpet.",
		Language:   lang,
	}
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

// fmtSscan reads "[image W×H]" from printed text.
func fmtSscan(text string, w, h *int) (int, error) {
	i := strings.Index(text, "[image ")
	if i < 0 {
		return 0, fmt.Errorf("no image in %q", text)
	}
	return fmt.Sscanf(strings.ReplaceAll(text[i:], "×", " "), "[image %d %d]", w, h)
}

// inkBounds is the rectangle holding every black dot of img.
func inkBounds(img image.Image) image.Rectangle {
	b := img.Bounds()
	out := image.Rectangle{Min: b.Max, Max: b.Min}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bb, _ := img.At(x, y).RGBA(); r == 0 && g == 0 && bb == 0 {
				out.Min.X, out.Min.Y = min(out.Min.X, x), min(out.Min.Y, y)
				out.Max.X, out.Max.Y = max(out.Max.X, x+1), max(out.Max.Y, y+1)
			}
		}
	}
	return out
}
