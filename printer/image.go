package printer

import (
	"errors"
	"fmt"
	"image"
)

// MaxImageDots is the tallest picture the encoder prints, about 20 cm at
// 203 dpi; taller ones are scaled down to it, so no image runs metres of
// paper.
const MaxImageDots = 1600

// MaxImagePixels bounds the pictures the encoder accepts (a 12-megapixel
// phone photo fits); converting one takes four bytes a pixel.
const MaxImagePixels = 4096 * 4096

// ErrImageTooLarge is returned by Encode for a picture with more than
// MaxImagePixels pixels or no bounds at all (image.NewUniform).
var ErrImageTooLarge = errors.New("printer: image too large to print")

// checkImage refuses pictures too large to convert.
func checkImage(img image.Image) error {
	r := img.Bounds()
	w, h := int64(r.Dx()), int64(r.Dy())
	if w < 0 || h < 0 || w*h > MaxImagePixels || w > 1<<16 || h > 1<<16 {
		return fmt.Errorf("%w: %d×%d pixels, at most %d pixels (4096×4096)", ErrImageTooLarge, w, h, MaxImagePixels)
	}
	return nil
}

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

// greyImage is a picture as grey levels on white paper, 0 black to 255 white.
type greyImage struct {
	w, h int
	pix  []float32
}

// toGrey converts img once, with fast paths for the types the desk meets
// (signature pads give RGBA or NRGBA, logos decode to NRGBA or paletted).
func toGrey(img image.Image) *greyImage {
	r := img.Bounds()
	g := &greyImage{w: r.Dx(), h: r.Dy(), pix: make([]float32, r.Dx()*r.Dy())}
	lum := func(rr, gg, bb, a uint32) float32 {
		// Premultiplied 16-bit: add the paper showing through.
		wr := float32(rr) + float32(0xffff-a)
		wg := float32(gg) + float32(0xffff-a)
		wb := float32(bb) + float32(0xffff-a)
		return (0.299*wr + 0.587*wg + 0.114*wb) / 257
	}
	switch src := img.(type) {
	case *image.RGBA:
		for y := 0; y < g.h; y++ {
			row := src.Pix[(y)*src.Stride:]
			for x := 0; x < g.w; x++ {
				p := row[x*4 : x*4+4]
				a := uint32(p[3]) * 0x101
				g.pix[y*g.w+x] = lum(uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101, a)
			}
		}
	case *image.NRGBA:
		for y := 0; y < g.h; y++ {
			row := src.Pix[(y)*src.Stride:]
			for x := 0; x < g.w; x++ {
				p := row[x*4 : x*4+4]
				a := uint32(p[3])
				g.pix[y*g.w+x] = lum(uint32(p[0])*a*0x101/255, uint32(p[1])*a*0x101/255, uint32(p[2])*a*0x101/255, a*0x101)
			}
		}
	case *image.Gray:
		for y := 0; y < g.h; y++ {
			for x := 0; x < g.w; x++ {
				g.pix[y*g.w+x] = float32(src.Pix[y*src.Stride+x])
			}
		}
	default:
		for y := 0; y < g.h; y++ {
			for x := 0; x < g.w; x++ {
				g.pix[y*g.w+x] = lum(img.At(r.Min.X+x, r.Min.Y+y).RGBA())
			}
		}
	}
	return g
}

// contentBounds returns the smallest rectangle holding every pixel that is
// not (nearly) white paper.
func (g *greyImage) contentBounds() image.Rectangle {
	minX, minY, maxX, maxY := g.w, g.h, -1, -1
	for y := 0; y < g.h; y++ {
		row := g.pix[y*g.w : (y+1)*g.w]
		for x, l := range row {
			if l < 230 {
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
	g := toGrey(img)
	src := g.contentBounds()
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
	at := func(x, y int) float32 { return g.pix[(src.Min.Y+y)*g.w+src.Min.X+x] }

	// Area-average when shrinking so thin strokes survive; nearest when growing.
	grey := make([]float32, w*h)
	for y := 0; y < h; y++ {
		y0 := int(float64(y) / scale)
		y1 := min(sh, max(y0+1, int(float64(y+1)/scale+0.999)))
		for x := 0; x < w; x++ {
			x0 := int(float64(x) / scale)
			if scale >= 1 {
				grey[y*w+x] = at(min(x0, sw-1), min(y0, sh-1))
				continue
			}
			x1 := min(sw, max(x0+1, int(float64(x+1)/scale+0.999)))
			var sum, n float32
			darkest := float32(255)
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					l := at(sx, sy)
					sum += l
					n++
					darkest = min(darkest, l)
				}
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
			nv := float32(255)
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
