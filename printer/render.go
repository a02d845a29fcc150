package printer

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Render draws what a printer with profile p would print for data, at the
// profile's width in dots. It interprets every command the encoder emits
// (fonts, styles, sizes, code pages, barcodes, QR codes, raster images,
// cuts) and fails on bytes it does not understand, so previews and golden
// tests show the truth.
func Render(data []byte, p Profile) (image.Image, error) {
	r, err := newRenderer(p)
	if err != nil {
		return nil, wrapOp("printer.Render", err)
	}
	if err := r.run(data); err != nil {
		return nil, E("printer.Render", KindInvalid, err)
	}
	return r.image(), nil
}

// Text returns the text a printer with profile p prints for data, one line
// per printed line, decoded through the code pages the data selects. Barcodes,
// QR codes and images show as [barcode DATA], [qr DATA] and [image W×H].
// It serves tests and logs: what the customer would read.
func Text(data []byte, p Profile) (string, error) {
	r, err := newRenderer(p)
	if err != nil {
		return "", wrapOp("printer.Text", err)
	}
	r.textOnly = true
	if err := r.run(data); err != nil {
		return "", E("printer.Text", KindInvalid, err)
	}
	return r.text.String(), nil
}

// RenderPNG renders data and writes the picture as PNG.
func RenderPNG(w io.Writer, data []byte, p Profile) error {
	img, err := Render(data, p)
	if err != nil {
		return wrapOp("printer.RenderPNG", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return wrapOp("printer.RenderPNG", enc.Encode(w, img))
}

var parsedFonts = sync.OnceValues(func() ([2]*opentype.Font, error) {
	reg, err := opentype.Parse(gomono.TTF)
	if err != nil {
		return [2]*opentype.Font{}, err
	}
	bold, err := opentype.Parse(gomonobold.TTF)
	return [2]*opentype.Font{reg, bold}, err
})

// Palette indexes of the rendered picture.
const (
	paper uint8 = iota
	ink
	mark // cut lines and other marks that are not printed
)

var renderPalette = color.Palette{color.White, color.Black, color.RGBA{0xb0, 0xb0, 0xb0, 0xff}}

type glyphKey struct {
	font Font
	bold bool
	r    rune
}

type rglyph struct {
	r         rune
	font      Font
	bold      bool
	underline int
	invert    bool
	w, h      int
}

type renderer struct {
	p     Profile
	width int
	pix   []uint8 // width × rows, palette indexes
	y     int     // top of the next line

	faces  [2][2]font.Face // [font][bold]
	glyphs map[glyphKey][]bool

	// Print modes.
	font      Font
	bold      bool
	underline int
	invert    bool
	mw, mh    int
	align     Align
	page      string
	spacing   int

	line      []rglyph
	lineAlign Align
	lineW     int

	bcHeight, bcModule, hriPos int
	hriFont                    Font

	qrModule int
	qrLevel  qrLevel
	qrData   []byte

	graphics *bitmap
	gfxScale [2]int

	textOnly bool
	text     strings.Builder

	// chinese is the Chinese (Kanji) character mode of printers that have
	// one: it may be on from power-up, and only FS . ends it.
	chinese bool
	// over is set when the paper ran past what a render may show.
	over bool
}

func newRenderer(p Profile) (*renderer, error) {
	if p.WidthDots <= 0 {
		return nil, E("printer.newRenderer", KindInvalid, fmt.Sprintf("profile %q has no width", p.ID))
	}
	fonts, err := parsedFonts()
	if err != nil {
		return nil, E("printer.newRenderer", KindOther, fmt.Errorf("load fonts: %w", err))
	}
	r := &renderer{p: p, width: p.WidthDots, glyphs: map[glyphKey][]bool{}, chinese: p.ChineseMode}
	for fi, cell := range []int{p.CellA(), p.CellB()} {
		// Go Mono's advance is 0.6 em: pick the size that fills the cell.
		size := float64(cell) / 0.6
		if fi == 1 {
			size = min(size, 17/1.15)
		}
		for b := 0; b < 2; b++ {
			f, err := opentype.NewFace(fonts[b], &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				return nil, E("printer.newRenderer", KindOther, fmt.Errorf("face: %w", err))
			}
			r.faces[fi][b] = f
		}
	}
	r.reset()
	return r, nil
}

func (r *renderer) reset() {
	r.font, r.bold, r.underline, r.invert = FontA, false, 0, false
	r.mw, r.mh = 1, 1
	r.align = AlignLeft
	r.page = r.p.PageName(0)
	dpi := r.p.DPI
	if dpi == 0 {
		dpi = 203
	}
	r.spacing = (dpi + 3) / 6
	r.bcHeight, r.bcModule, r.hriPos, r.hriFont = 162, 3, 0, FontA
	r.qrModule, r.qrLevel = 3, qrL
}

func (r *renderer) cellW(f Font) int {
	if f == FontB {
		return r.p.CellB()
	}
	return r.p.CellA()
}

func (r *renderer) cellH(f Font) int {
	if f == FontB && r.p.CellB() <= 9 {
		return 17
	}
	return 24
}

// maxRows is the tallest picture a render may draw.
func (r *renderer) maxRows() int { return maxRenderPixels / r.width }

// grow makes sure rows up to y exist, and reports false (marking the
// render as too long) when y is beyond what a render may draw. Memory
// grows by doubling up to the bound, so a long page does not leave a
// trail of discarded copies behind.
func (r *renderer) grow(y int) bool {
	need := (y + 1) * r.width
	if need <= len(r.pix) {
		return true
	}
	if y >= r.maxRows() {
		r.over = true
		return false
	}
	if need > cap(r.pix) {
		c := max(need, min(2*cap(r.pix), r.maxRows()*r.width))
		np := make([]uint8, need, c)
		copy(np, r.pix)
		r.pix = np
		return true
	}
	// Bytes between len and cap were zeroed by make and never written.
	r.pix = r.pix[:need]
	return true
}

func (r *renderer) dot(x, y int, c uint8) {
	if x < 0 || x >= r.width || y < 0 || !r.grow(y) {
		return
	}
	r.pix[y*r.width+x] = c
}

func (r *renderer) image() image.Image {
	h := min(max(r.y, len(r.pix)/r.width)+8, r.maxRows())
	r.grow(h - 1)
	// The picture takes over the buffer rather than copying it.
	return &image.Paletted{Pix: r.pix[:r.width*h], Stride: r.width, Rect: image.Rect(0, 0, r.width, h), Palette: renderPalette}
}

// glyph returns the cell-sized mask of a character.
func (r *renderer) glyph(f Font, bold bool, c rune) []bool {
	k := glyphKey{f, bold, c}
	if m, ok := r.glyphs[k]; ok {
		return m
	}
	cw, ch := r.cellW(f), r.cellH(f)
	fi, bi := 0, 0
	if f == FontB {
		fi = 1
	}
	if bold {
		bi = 1
	}
	face := r.faces[fi][bi]
	dst := image.NewAlpha(image.Rect(0, 0, cw, ch))
	met := face.Metrics()
	asc, desc := met.Ascent.Ceil(), met.Descent.Ceil()
	base := (ch-(asc+desc))/2 + asc
	adv, _ := face.GlyphAdvance(c)
	x := fixed.I(cw)/2 - adv/2
	d := font.Drawer{Dst: dst, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{X: x, Y: fixed.I(base)}}
	d.DrawString(string(c))
	m := make([]bool, cw*ch)
	for i, a := range dst.Pix {
		m[i] = a >= 0x70
	}
	r.glyphs[k] = m
	return m
}

func (r *renderer) addChar(c rune) {
	g := rglyph{r: c, font: r.font, bold: r.bold, underline: r.underline, invert: r.invert, w: r.mw, h: r.mh}
	gw := r.cellW(g.font) * g.w
	if r.lineW+gw > r.width && len(r.line) > 0 {
		r.flushLine()
	}
	if len(r.line) == 0 {
		r.lineAlign = r.align
	}
	r.line = append(r.line, g)
	r.lineW += gw
}

// flushLine prints the line buffer and moves to the next line.
func (r *renderer) flushLine() {
	if len(r.line) == 0 {
		r.y += r.spacing
		r.text.WriteByte('\n')
		return
	}
	height := 0
	for _, g := range r.line {
		height = max(height, r.cellH(g.font)*g.h)
		r.text.WriteRune(g.r)
	}
	r.text.WriteByte('\n')
	if r.textOnly {
		r.y += max(height, r.spacing)
		r.line, r.lineW = r.line[:0], 0
		return
	}
	x := 0
	switch r.lineAlign {
	case AlignCenter:
		x = (r.width - r.lineW) / 2
	case AlignRight:
		x = r.width - r.lineW
	}
	for _, g := range r.line {
		cw, ch := r.cellW(g.font), r.cellH(g.font)
		top := r.y + height - ch*g.h // characters stand on a common baseline
		m := r.glyph(g.font, g.bold, g.r)
		if !r.grow(top + ch*g.h) {
			break
		}
		for cy := 0; cy < ch; cy++ {
			for dy := 0; dy < g.h; dy++ {
				row := r.pix[(top+cy*g.h+dy)*r.width : (top+cy*g.h+dy+1)*r.width]
				for cx := 0; cx < cw; cx++ {
					on := m[cy*cw+cx]
					if g.underline > 0 && cy >= ch-g.underline {
						on = true
					}
					if on == g.invert {
						continue
					}
					x0 := x + cx*g.w
					for dx := max(0, x0); dx < min(r.width, x0+g.w); dx++ {
						row[dx] = ink
					}
				}
			}
		}
		x += cw * g.w
	}
	r.y += max(height, r.spacing)
	r.line, r.lineW = r.line[:0], 0
}

// startBlock ends any pending text before a graphic, as printers do.
func (r *renderer) startBlock() {
	if len(r.line) > 0 {
		r.flushLine()
	}
}

func (r *renderer) alignX(w int) int {
	switch r.align {
	case AlignCenter:
		return max(0, (r.width-w)/2)
	case AlignRight:
		return max(0, r.width-w)
	}
	return 0
}

// drawBitmap prints bm at the current alignment, scaled sx × sy.
func (r *renderer) drawBitmap(bm *bitmap, sx, sy int) {
	r.startBlock()
	fmt.Fprintf(&r.text, "[image %d×%d]\n", bm.w*sx, bm.h*sy)
	if r.textOnly {
		r.y += bm.h * sy
		return
	}
	x0 := 0
	if r.p.RasterAlign {
		x0 = r.alignX(bm.w * sx)
	}
	if !r.grow(r.y + bm.h*sy) {
		r.y += bm.h * sy
		return
	}
	for y := 0; y < bm.h; y++ {
		src := bm.pix[y*bm.stride : (y+1)*bm.stride]
		for dy := 0; dy < sy; dy++ {
			row := r.pix[(r.y+y*sy+dy)*r.width : (r.y+y*sy+dy+1)*r.width]
			for xb, v := range src {
				if v == 0 {
					continue
				}
				for bit := 0; bit < 8; bit++ {
					if v&(0x80>>bit) == 0 {
						continue
					}
					xx := x0 + (xb*8+bit)*sx
					for dx := max(0, xx); dx < min(r.width, xx+sx); dx++ {
						row[dx] = ink
					}
				}
			}
		}
	}
	r.y += bm.h * sy
}

func (r *renderer) drawBars(mods []bool, text string) {
	r.startBlock()
	fmt.Fprintf(&r.text, "[barcode %s]\n", text)
	w := len(mods) * r.bcModule
	x0 := r.alignX(w)
	hriH := r.cellH(r.hriFont) + 4
	if r.hriPos == 1 || r.hriPos == 3 {
		r.hriLine(text, x0, w)
		r.y += hriH
	}
	for i, on := range mods {
		if !on {
			continue
		}
		for y := 0; y < r.bcHeight; y++ {
			for dx := 0; dx < r.bcModule; dx++ {
				r.dot(x0+i*r.bcModule+dx, r.y+y, ink)
			}
		}
	}
	r.grow(r.y + r.bcHeight - 1)
	r.y += r.bcHeight
	if r.hriPos == 2 || r.hriPos == 3 {
		r.y += 4
		r.hriLine(text, x0, w)
		r.y += hriH - 4
	}
}

func (r *renderer) hriLine(text string, x0, w int) {
	cw, ch := r.cellW(r.hriFont), r.cellH(r.hriFont)
	x := x0 + (w-len(text)*cw)/2
	for _, c := range text {
		m := r.glyph(r.hriFont, false, c)
		for cy := 0; cy < ch; cy++ {
			for cx := 0; cx < cw; cx++ {
				if m[cy*cw+cx] {
					r.dot(x+cx, r.y+cy, ink)
				}
			}
		}
		x += cw
	}
}

func (r *renderer) cut(partial bool) {
	r.startBlock()
	r.text.WriteString("[cut]\n")
	// The cutter sits some lines below the head.
	r.y += 2 * r.spacing
	for x := 0; x < r.width; x++ {
		if partial && (x < 8 || x >= r.width-8) {
			continue
		}
		if (x/6)%2 == 0 {
			r.dot(x, r.y, mark)
		}
	}
	r.y += 24
}

var errTruncated = errors.New("command cut short")

// maxRenderPixels bounds the picture a render may draw (one byte a dot):
// about 5 m of 80 mm paper or 8 m of 58 mm at 203 dpi, far more than any
// desk document, so a broken or hostile stream cannot exhaust memory.
const maxRenderPixels = 24 << 20

// ErrTooLong is returned by Render for data that would print more paper
// than a preview can show.
var ErrTooLong = errors.New("render: more paper than a preview shows")

// cursor reads the parameters of a command from the stream being rendered.
type cursor struct {
	data []byte
	i    int
}

// take returns the next n bytes, or errTruncated when the stream ends first.
func (c *cursor) take(n int) ([]byte, error) {
	if c.i+n > len(c.data) {
		return nil, fmt.Errorf("render: %w at offset %d", errTruncated, c.i)
	}
	b := c.data[c.i : c.i+n]
	c.i += n
	return b, nil
}

// byte1 returns the next byte.
func (c *cursor) byte1() (byte, error) {
	b, err := c.take(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *renderer) run(data []byte) error {
	cur := &cursor{data: data}
	for cur.i < len(data) {
		if r.over || r.y > r.maxRows() {
			return fmt.Errorf("%w (%d dot rows at offset %d; at most %d)", ErrTooLong, r.y, cur.i, r.maxRows())
		}
		at := cur.i
		c, _ := cur.byte1()
		switch {
		case c == '\n':
			r.flushLine()
		case c == '\r', c == 0:
		case c == 0x1b, c == 0x1d:
			cmd, err := cur.byte1()
			if err != nil {
				return err
			}
			prefix, exec := "ESC", r.esc
			if c == 0x1d {
				prefix, exec = "GS", r.gs
			}
			if err := exec(cmd, cur); err != nil {
				return fmt.Errorf("render: %s %q at offset %d: %w", prefix, cmd, at, err)
			}
		case c == 0x10:
			cmd, err := cur.byte1()
			if err != nil {
				return err
			}
			// Real-time requests (DLE EOT n, DLE ENQ n, DLE DC4 ...) print nothing.
			var args int
			switch cmd {
			case 0x04, 0x05:
				args = 1
			case 0x14:
				args = 3
			default:
				return fmt.Errorf("render: DLE %#02x at offset %d: unknown command", cmd, at)
			}
			if _, err := cur.take(args); err != nil {
				return err
			}
		case c == 0x1c:
			cmd, err := cur.byte1()
			if err != nil {
				return err
			}
			switch cmd {
			case '.':
				r.chinese = false
			case '&':
				r.chinese = true
			default:
				return fmt.Errorf("render: FS %q at offset %d: unknown command", cmd, at)
			}
		case c >= 0x80 && r.chinese:
			// A two-byte Chinese character: what æøå become when the
			// printer was left in Chinese mode.
			if _, err := cur.byte1(); err != nil {
				return err
			}
			r.addChar('\ufffd')
		case c == '\t':
			r.addChar(' ')
		case c < 0x20:
			// Other control codes do nothing visible.
		default:
			r.addChar(decodeIn(r.page, c))
		}
	}
	if len(r.line) > 0 {
		r.flushLine()
	}
	if r.over || r.y > r.maxRows() {
		return fmt.Errorf("%w (%d dot rows; at most %d)", ErrTooLong, r.y, r.maxRows())
	}
	return nil
}

func flag(n byte) bool { return n&1 == 1 }

func (r *renderer) esc(cmd byte, cur *cursor) error {
	switch cmd {
	case '@':
		r.startBlock()
		r.reset()
		return nil
	case '2':
		r.spacing = (max(r.p.DPI, 1) + 3) / 6
		return nil
	}
	n, err := cur.byte1()
	if err != nil {
		return err
	}
	switch cmd {
	case 't':
		name := r.p.PageName(n)
		if name == "" {
			return fmt.Errorf("code page %d is not in the %s table", n, r.p.ID)
		}
		r.page = name
	case 'M':
		r.font = Font(n & 1)
	case 'E', 'G':
		r.bold = flag(n)
	case '-':
		r.underline = int(n & 3)
		if n == '0' || n == '1' || n == '2' {
			r.underline = int(n - '0')
		}
	case 'a':
		r.align = Align(n % 48 % 3)
	case 'd':
		if len(r.line) > 0 {
			r.flushLine()
			n = max(n, 1) - 1
		}
		r.y += int(n) * r.spacing
		r.text.WriteString(strings.Repeat("\n", int(n)))
	case 'J':
		r.startBlock()
		r.y += int(n)
	case '3':
		r.spacing = int(n)
	case '!':
		r.font = Font(n & 1)
		r.bold = n&0x08 != 0
		r.mh, r.mw = 1, 1
		if n&0x10 != 0 {
			r.mh = 2
		}
		if n&0x20 != 0 {
			r.mw = 2
		}
		if n&0x80 != 0 {
			r.underline = 1
		} else {
			r.underline = 0
		}
	case 'p':
		// Drawer pulse: on and off times follow.
		if _, err := cur.take(2); err != nil {
			return err
		}
	case 'R', 'V', '{', 'r', 'U':
		// International set, rotation, upside down, colour, direction:
		// nothing the encoder uses; accept and ignore.
	default:
		return errors.New("unknown command")
	}
	return nil
}

func (r *renderer) gs(cmd byte, cur *cursor) error {
	switch cmd {
	case 'k':
		return r.barcode(cur)
	case 'v':
		return r.rasterGSv0(cur)
	case '(':
		b, err := cur.take(3)
		if err != nil {
			return err
		}
		fn, size := b[0], int(b[1])|int(b[2])<<8
		body, err := cur.take(size)
		if err != nil {
			return err
		}
		switch fn {
		case 'k':
			return r.qr(body)
		case 'L':
			return r.graphicsCmd(body)
		default:
			return fmt.Errorf("unknown GS ( %c", fn)
		}
	case 'L', 'W':
		// Left margin and print area width: two bytes the preview ignores.
		_, err := cur.take(2)
		return err
	case '!', 'B', 'V', 'h', 'w', 'H', 'f', 'a':
	default:
		return errors.New("unknown command")
	}
	// The rest take one parameter byte.
	n, err := cur.byte1()
	if err != nil {
		return err
	}
	switch cmd {
	case '!':
		r.mw, r.mh = int(n>>4)+1, int(n&7)+1
	case 'B':
		r.invert = flag(n)
	case 'V':
		if n >= 65 {
			// Feed-and-cut forms carry the feed amount.
			if _, err := cur.byte1(); err != nil {
				return err
			}
		}
		r.cut(n == 1 || n == 49 || n == 66)
	case 'h':
		r.bcHeight = max(1, int(n))
	case 'w':
		r.bcModule = max(1, min(6, int(n)))
	case 'H':
		r.hriPos = int(n % 48)
	case 'f':
		r.hriFont = Font(n & 1)
	case 'a':
		// Automatic status back: nothing to show.
	}
	return nil
}

// rasterGSv0 draws a GS v 0 raster image.
func (r *renderer) rasterGSv0(cur *cursor) error {
	b, err := cur.take(6)
	if err != nil {
		return err
	}
	if b[0] != '0' {
		return errors.New("unknown GS v function")
	}
	xb := int(b[2]) | int(b[3])<<8
	h := int(b[4]) | int(b[5])<<8
	data, err := cur.take(xb * h)
	if err != nil {
		return err
	}
	bm := &bitmap{w: xb * 8, h: h, stride: xb, pix: data}
	m := b[1] % 48
	r.drawBitmap(bm, 1+int(m&1), 1+int(m>>1&1))
	return nil
}

func (r *renderer) barcode(cur *cursor) error {
	m, err := cur.byte1()
	if err != nil {
		return err
	}
	if m < 65 {
		return fmt.Errorf("barcode function %d (NUL-terminated forms) not supported", m)
	}
	n, err := cur.byte1()
	if err != nil {
		return err
	}
	payload, err := cur.take(int(n))
	if err != nil {
		return err
	}
	switch m {
	case 67:
		full, err := validEAN(string(payload))
		if err != nil {
			return err
		}
		r.drawBars(ean13Modules(full), full)
	case 73:
		text, vals, err := code128FromEscpos(payload)
		if err != nil {
			return err
		}
		r.drawBars(code128Modules(vals), text)
	default:
		return fmt.Errorf("barcode system %d not supported", m)
	}
	return nil
}

func (r *renderer) qr(body []byte) error {
	if len(body) < 2 || body[0] != 49 {
		return errors.New("GS ( k: not a QR code function")
	}
	fn, args := body[1], body[2:]
	switch fn {
	case 65: // model
	case 67:
		if len(args) > 0 {
			r.qrModule = max(1, min(16, int(args[0])))
		}
	case 69:
		if len(args) > 0 {
			r.qrLevel = qrLevel(max(0, min(3, int(args[0])-48)))
		}
	case 80:
		if len(args) > 0 {
			r.qrData = append([]byte(nil), args[1:]...)
		}
	case 81:
		q, err := qrEncode(r.qrData, r.qrLevel)
		if err != nil {
			return err
		}
		bm := qrBitmap(q, r.qrModule, 0)
		// The symbol is exactly its modules wide; centre on that, not on
		// the bitmap's rounding to whole bytes.
		r.startBlock()
		fmt.Fprintf(&r.text, "[qr %s]\n", r.qrData)
		w := q.size * r.qrModule
		x0 := r.alignX(w)
		for y := 0; y < bm.h; y++ {
			for x := 0; x < w; x++ {
				if bm.get(x, y) {
					r.dot(x0+x, r.y+y, ink)
				}
			}
		}
		r.y += bm.h
	}
	return nil
}

func (r *renderer) graphicsCmd(body []byte) error {
	if len(body) < 2 || body[0] != 48 {
		return errors.New("GS ( L: bad header")
	}
	switch body[1] {
	case 112:
		if len(body) < 10 {
			return errTruncated
		}
		bx, by := int(body[3]), int(body[4])
		w := int(body[6]) | int(body[7])<<8
		h := int(body[8]) | int(body[9])<<8
		stride := (w + 7) / 8
		data := body[10:]
		if len(data) < stride*h {
			return fmt.Errorf("GS ( L: %d bytes for %d×%d", len(data), w, h)
		}
		r.graphics = &bitmap{w: stride * 8, h: h, stride: stride, pix: data[:stride*h]}
		r.gfxScale = [2]int{max(1, min(2, bx)), max(1, min(2, by))}
	case 50:
		if r.graphics != nil {
			r.drawBitmap(r.graphics, r.gfxScale[0], r.gfxScale[1])
			r.graphics = nil
		}
	case 48, 49, 51, 64, 65, 66, 67, 69, 80, 81, 82, 83:
		// Other graphics functions: nothing to show.
	default:
		return fmt.Errorf("GS ( L function %d", body[1])
	}
	return nil
}
