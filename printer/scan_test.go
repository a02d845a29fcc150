package printer_test

import (
	"image"
	"math"
	"testing"

	"github.com/skranke/skranke/printer"
)

// giftCardCode is a gift card code as the shop issues them: 20 symbols,
// letters and digits mixed so Code128 cannot pack digit pairs.
const giftCardCode = "GC7K2M9Q4X8PR3T5V6WZ"

// degrade simulates a thermal print read by a scanner: each dot's heat
// spreads (a Gaussian blur of sigma dots), and ink bleeds into the paper
// (darkness grows by spread), then the scanner sees grey levels.
func degrade(img image.Image, sigma, spread float64) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dark := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			if r == 0 && g == 0 && bb == 0 {
				dark[y*w+x] = 1
			}
		}
	}
	rad := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*rad+1)
	sum := 0.0
	for i := range k {
		d := float64(i - rad)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 0.0
			for i, kv := range k {
				xx := min(w-1, max(0, x+i-rad))
				v += kv * dark[y*w+xx]
			}
			tmp[y*w+x] = v
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 0.0
			for i, kv := range k {
				yy := min(h-1, max(0, y+i-rad))
				v += kv * tmp[yy*w+x]
			}
			v = min(1, v*spread)
			out.Pix[y*out.Stride+x] = uint8(255 * (1 - v))
		}
	}
	return out
}

// rotate turns img a quarter turn, as a scanner held across the paper sees
// a barcode that runs along it.
func rotate(img *image.Gray) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Pix[x*out.Stride+(b.Dy()-1-y)] = img.Pix[y*img.Stride+x]
		}
	}
	return out
}

const (
	blurDots  = 0.75
	inkSpread = 1.3
)

// TestBarcodesSurvivePrintAndScan renders each profile's gift card and
// delivery note, degrades the picture as a warm head and a cheap scanner
// would, and decodes Code128 and QR with an independent reader. Bars are
// at least printer.MinBarModule dots on every profile.
func TestBarcodesSurvivePrintAndScan(t *testing.T) {
	// The degradation is real: a 1-dot Code128 does not survive it,
	// while the same code at 2 dots does.
	for module, wantOK := range map[int]bool{1: false, 2: true} {
		img, err := printer.Code128Image(giftCardCode, module)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCode128(t, cropRows(degrade(img, blurDots, inkSpread), 0, 60))
		if ok := err == nil && got == giftCardCode; ok != wantOK {
			t.Fatalf("control: %d-dot bars decoded=%v (%q, %v), want %v", module, ok, got, err, wantOK)
		}
	}
	for _, p := range printer.Profiles() {
		t.Run(p.ID, func(t *testing.T) {
			module, rotated, err := printer.BarcodeLayout(p, printer.Code128, giftCardCode)
			if err != nil {
				t.Fatal(err)
			}
			if module < printer.MinBarModule {
				t.Errorf("gift card bars %d dots wide", module)
			}
			t.Logf("gift card Code128 (%d characters): %d-dot modules, along the paper: %v", len(giftCardCode), module, rotated)

			card := sampleGiftCard("nb")
			card.Code = giftCardCode
			enc, err := printer.EncodeDetailed(card.Document(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(enc.Warnings) > 0 {
				t.Fatalf("gift card printed with warnings %v", enc.Warnings)
			}
			scan := degrade(MustRender(t, enc.Bytes, p), blurDots, inkSpread)
			bar, err := decodeCode128(t, scan)
			if err != nil && rotated {
				bar, err = decodeCode128(t, rotate(scan))
			}
			if err != nil || bar != giftCardCode {
				t.Errorf("Code128 after print and scan: %q (%v)", bar, err)
			}
			if qr, err := decodeQR(t, scan); err != nil || qr != giftCardCode {
				t.Errorf("QR after print and scan: %q (%v)", qr, err)
			}
			t.Logf("gift card: %d bytes, decoded Code128 %q", len(enc.Bytes), bar)

			note := sampleNote("nb")
			note.Reference = "K7Q2X9M4" // 8 symbols, as the shop issues them
			b := MustEncode(t, note.Document(), p)
			if m, _, _ := printer.BarcodeLayout(p, printer.Code128, note.Reference); m < printer.MinBarModule {
				t.Errorf("reference bars %d dots wide", m)
			}
			scan = degrade(MustRender(t, b, p), blurDots, inkSpread)
			if got, err := decodeCode128(t, scan); err != nil || got != note.Reference {
				t.Errorf("delivery note reference after print and scan: %q (%v)", got, err)
			}
		})
	}
}
