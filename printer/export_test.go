package printer

import "image"

// QRImage encodes data at the given level (0 L, 1 M, 2 Q, 3 H) and draws it
// with a quiet zone, for tests that decode it with an independent reader.
func QRImage(data []byte, level int, module int) (image.Image, int, error) {
	q, err := qrEncode(data, qrLevel(level))
	if err != nil {
		return nil, 0, err
	}
	return bitmapImage(qrBitmap(q, module, 4)), q.version, nil
}

// Code128Image draws the barcode for data with module-wide bars.
func Code128Image(data string, module int) (image.Image, error) {
	vals, err := code128Values(data)
	if err != nil {
		return nil, err
	}
	mods := code128Modules(vals)
	bm := newBitmap((len(mods)+20)*module, 60)
	for i, on := range mods {
		if on {
			bm.fillRect((i+10)*module, 0, (i+11)*module, 60)
		}
	}
	return bitmapImage(bm), nil
}

// Code128Escpos exposes the GS k 73 payload.
func Code128Escpos(data string) ([]byte, error) { return code128Escpos(data) }

// Code128Patterns exposes the symbol table.
func Code128Patterns() []string { return code128Patterns[:] }

func bitmapImage(bm *bitmap) image.Image {
	img := image.NewGray(image.Rect(0, 0, bm.w, bm.h))
	for y := 0; y < bm.h; y++ {
		for x := 0; x < bm.w; x++ {
			if bm.get(x, y) {
				img.Pix[y*img.Stride+x] = 0
			} else {
				img.Pix[y*img.Stride+x] = 255
			}
		}
	}
	return img
}

// BarcodeLayout exposes how a barcode of data prints on p: module width in
// dots and whether it runs along the paper.
func BarcodeLayout(p Profile, sym Symbology, data string) (module int, rotated bool, err error) {
	mods, _, err := barcodeModules(sym, data)
	if err != nil {
		return 0, false, err
	}
	module, rotated = barcodeLayout(p, len(mods))
	return module, rotated, nil
}
