package printer_test

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke/printer"
)

// rasterCommands lists the row counts of the raster commands in data.
func rasterCommands(t *testing.T, data []byte) (gsv0, gsL []int) {
	t.Helper()
	for i := 0; i+8 < len(data); i++ {
		switch {
		case data[i] == 0x1d && data[i+1] == 'v' && data[i+2] == '0':
			xb := int(data[i+4]) | int(data[i+5])<<8
			h := int(data[i+6]) | int(data[i+7])<<8
			gsv0 = append(gsv0, h)
			i += 7 + xb*h
		case data[i] == 0x1d && data[i+1] == '(' && data[i+2] == 'L' && data[i+6] == 112:
			size := int(data[i+3]) | int(data[i+4])<<8
			gsL = append(gsL, int(data[i+13])|int(data[i+14])<<8)
			i += 4 + size
		}
	}
	return gsv0, gsL
}

func TestImageBands(t *testing.T) {
	tall := image.NewGray(image.Rect(0, 0, 200, 1000))
	for i := range tall.Pix {
		tall.Pix[i] = uint8(i % 251) // a busy picture that keeps every row
	}
	for _, p := range printer.Profiles() {
		doc := printer.NewDocument().Image(tall, 1, 0, printer.AlignCenter)
		b := MustEncode(t, doc, p)
		gsv0, gsL := rasterCommands(t, b)
		bands := gsv0
		if p.Raster == printer.RasterGSL {
			bands = gsL
			if len(gsv0) > 0 {
				t.Errorf("%s: GS v 0 used on a GS ( L profile", p.ID)
			}
		} else if len(gsL) > 0 {
			t.Errorf("%s: GS ( L used on a GS v 0 profile", p.ID)
		}
		total := 0
		for _, h := range bands {
			if h > p.MaxRasterRows || h == 0 {
				t.Errorf("%s: band of %d rows, limit %d", p.ID, h, p.MaxRasterRows)
			}
			total += h
		}
		text := MustText(t, b, p)
		// 200×1000 scaled to the paper width, but no taller than the
		// encoder's cap, since no height limit was asked for.
		wantH := min(1000*p.WidthDots/200, printer.MaxImageDots)
		if total < wantH-2 || total > wantH+2 || len(bands) < 2 {
			t.Errorf("%s: %d bands of %v rows (%d), want about %d rows in several bands; printed %q", p.ID, len(bands), bands, total, wantH, text)
		}
	}
}

func TestImageCropAndDither(t *testing.T) {
	p := MustProfile(t, "epson-tm-t20iii")
	// A mid-grey square on a big white canvas: cropped to the square,
	// scaled to a quarter of the paper, dithered to about half the dots.
	canvas := image.NewRGBA(image.Rect(0, 0, 1000, 800))
	for y := 0; y < 800; y++ {
		for x := 0; x < 1000; x++ {
			c := color.RGBA{255, 255, 255, 255}
			if x >= 400 && x < 600 && y >= 300 && y < 500 {
				c = color.RGBA{128, 128, 128, 255}
			}
			canvas.Set(x, y, c)
		}
	}
	doc := printer.NewDocument().Image(canvas, 0.25, 0, printer.AlignLeft)
	b := MustEncode(t, doc, p)
	if text := strings.TrimSpace(MustText(t, b, p)); text != "[image 144×144]" {
		t.Errorf("printed %q, want the 144-dot square alone", text)
	}
	img := MustRender(t, b, p)
	dark := 0
	for y := 0; y < 144; y++ {
		for x := 0; x < 144; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			}
		}
	}
	if frac := float64(dark) / (144 * 144); frac < 0.4 || frac > 0.6 {
		t.Errorf("mid grey dithered to %.0f%% dots, want about half", frac*100)
	}
	// An empty picture prints nothing rather than a blank band.
	blank := image.NewGray(image.Rect(0, 0, 50, 50))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	b = MustEncode(t, printer.NewDocument().Image(blank, 1, 0, printer.AlignLeft).Text("x", printer.Plain, printer.AlignLeft), p)
	if bytes.Contains(b, []byte("\x1d(L")) {
		t.Error("blank picture sent as graphics")
	}
}

// FuzzRender feeds the renderer arbitrary bytes: previews open files the
// desk did not write, so it must fail cleanly, never panic.
func FuzzRender(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.bin"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("\x1b@\x1bt\x10\xe6\xf8\xe5\n\x1d(k\x03\x001Q0"))
	f.Add([]byte("\x1dv0\x00\xff\xff\xff\xff"))
	f.Add([]byte("\x1d(L\x0a\x000p0\x01\x011\xff\xff\xff\xff"))
	p, _ := printer.ProfileByID("generic-58")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		start := time.Now()
		printer.Render(data, p)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("render took %v", d)
		}
	})
}
