package printer

import (
	"image"
	"image/color"
)

// bitmap is a black-and-white picture packed eight dots to a byte, most
// significant bit leftmost, as raster commands want it.
type bitmap struct {
	w, h   int // w in dots, a multiple of 8
	stride int
	pix    []byte
}

func newBitmap(w, h int) *bitmap {
	w = (w + 7) &^ 7
	return &bitmap{w: w, h: h, stride: w / 8, pix: make([]byte, w/8*h)}
}

func (b *bitmap) set(x, y int) {
	if x < 0 || y < 0 || x >= b.w || y >= b.h {
		return
	}
	b.pix[y*b.stride+x/8] |= 0x80 >> (x % 8)
}

func (b *bitmap) get(x, y int) bool {
	return b.pix[y*b.stride+x/8]&(0x80>>(x%8)) != 0
}

func (b *bitmap) fillRect(x0, y0, x1, y1 int) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			b.set(x, y)
		}
	}
}

// luminance returns the grey level 0 (black) to 255 (white) of c composed
// on white paper.
func luminance(c color.Color) float64 {
	r, g, b, a := c.RGBA()
	// Premultiplied: add the white showing through.
	wr := float64(r) + float64(0xffff-a)
	wg := float64(g) + float64(0xffff-a)
	wb := float64(b) + float64(0xffff-a)
	return (0.299*wr + 0.587*wg + 0.114*wb) / 257
}

// contentBounds returns the smallest rectangle holding every pixel that is
// not (nearly) white paper.
func contentBounds(img image.Image) image.Rectangle {
	r := img.Bounds()
	minX, minY, maxX, maxY := r.Max.X, r.Max.Y, r.Min.X-1, r.Min.Y-1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if luminance(img.At(x, y)) < 230 {
				minX, maxX = min(minX, x), max(maxX, x)
				minY, maxY = min(minY, y), max(maxY, y)
			}
		}
	}
	if maxX < minX {
		return image.Rectangle{}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}

// prepareImage crops img to its content, scales it to fit maxW×maxH dots
// (never up by more than four times) and turns it black and white, by
// Floyd–Steinberg dithering or, for line art, a threshold.
func prepareImage(img image.Image, maxW, maxH int, threshold bool) *bitmap {
	src := contentBounds(img)
	if src.Empty() || maxW <= 0 {
		return nil
	}
	sw, sh := src.Dx(), src.Dy()
	scale := float64(maxW) / float64(sw)
	if maxH > 0 {
		scale = min(scale, float64(maxH)/float64(sh))
	}
	scale = min(scale, 4)
	w, h := max(1, int(float64(sw)*scale+0.5)), max(1, int(float64(sh)*scale+0.5))
	w = min(w, maxW)

	// Area-average when shrinking so thin strokes survive; nearest when growing.
	grey := make([]float64, w*h)
	for y := 0; y < h; y++ {
		y0 := float64(y) / scale
		y1 := float64(y+1) / scale
		for x := 0; x < w; x++ {
			x0 := float64(x) / scale
			x1 := float64(x+1) / scale
			if scale >= 1 {
				grey[y*w+x] = luminance(img.At(src.Min.X+int(x0), src.Min.Y+int(y0)))
				continue
			}
			sum, n, darkest := 0.0, 0.0, 255.0
			for sy := int(y0); sy < int(y1+0.999) && sy < sh; sy++ {
				for sx := int(x0); sx < int(x1+0.999) && sx < sw; sx++ {
					l := luminance(img.At(src.Min.X+sx, src.Min.Y+sy))
					sum += l
					n++
					darkest = min(darkest, l)
				}
			}
			if n == 0 {
				grey[y*w+x] = 255
				continue
			}
			avg := sum / n
			if threshold {
				// A pen stroke thinner than a dot still deserves the dot.
				avg = min(avg, darkest+64)
			}
			grey[y*w+x] = avg
		}
	}
	bm := newBitmap(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			old := grey[y*w+x]
			if threshold {
				if old < 160 {
					bm.set(x, y)
				}
				continue
			}
			nv := 255.0
			if old < 128 {
				nv = 0
				bm.set(x, y)
			}
			e := old - nv
			if x+1 < w {
				grey[y*w+x+1] += e * 7 / 16
			}
			if y+1 < h {
				if x > 0 {
					grey[(y+1)*w+x-1] += e * 3 / 16
				}
				grey[(y+1)*w+x] += e * 5 / 16
				if x+1 < w {
					grey[(y+1)*w+x+1] += e * 1 / 16
				}
			}
		}
	}
	return bm
}

// rasterBands returns the ESC/POS commands printing bm, split into bands no
// taller than the profile allows.
func rasterBands(out []byte, bm *bitmap, p Profile) []byte {
	rows := p.MaxRasterRows
	if rows <= 0 {
		rows = 256
	}
	if p.Raster == RasterGSL {
		// One GS ( L store holds at most 65535 bytes of parameters.
		rows = min(rows, (65535-10)/bm.stride)
	}
	for y := 0; y < bm.h; y += rows {
		n := min(rows, bm.h-y)
		data := bm.pix[y*bm.stride : (y+n)*bm.stride]
		xb := bm.stride
		switch p.Raster {
		case RasterGSL:
			size := 10 + len(data)
			out = append(out, 0x1d, '(', 'L', byte(size), byte(size>>8), 48, 112, 48, 1, 1, 49,
				byte(bm.w), byte(bm.w>>8), byte(n), byte(n>>8))
			out = append(out, data...)
			out = append(out, 0x1d, '(', 'L', 2, 0, 48, 50)
		default:
			out = append(out, 0x1d, 'v', '0', 0, byte(xb), byte(xb>>8), byte(n), byte(n>>8))
			out = append(out, data...)
		}
	}
	return out
}
