package printer

import (
	"errors"
	"fmt"
	"strings"
)

// ErrEmptyDocument is the cause of the KindInvalid error Encode returns
// when there is nothing to print.
var ErrEmptyDocument = errors.New("printer: empty document")

// Encoded is the result of encoding a document for one profile.
type Encoded struct {
	// Bytes is the ESC/POS stream.
	Bytes []byte
	// Substituted counts characters the profile has no code page for and
	// that were printed through a readable fallback (ł as l).
	Substituted map[rune]int
	// Warnings lists what printed differently from what the document asked
	// for, such as a code printed as text because it cannot be a barcode.
	// The document still printed; the caller shows these to staff.
	Warnings []Warning
}

// Warning is a part of a document the encoder printed in a simpler form
// than asked: a barcode or QR code whose data the symbology cannot carry
// goes out as plain text, so the rest of the document still prints.
type Warning struct {
	// Block is the index of the document block concerned.
	Block int
	// Symbol is what could not be drawn: "barcode" or "QR code".
	Symbol string
	// Data is the code, printed as text instead.
	Data string
	// Err says why it could not be drawn.
	Err error
}

// Error describes the warning in English, for logs.
func (w Warning) Error() string {
	return fmt.Sprintf("printer: %s %q printed as text: %v", w.Symbol, w.Data, w.Err)
}

// Unwrap returns the reason.
func (w Warning) Unwrap() error { return w.Err }

// Encode lays doc out for profile p and returns the ESC/POS bytes.
func Encode(doc *Document, p Profile) ([]byte, error) {
	enc, err := EncodeDetailed(doc, p)
	return enc.Bytes, err
}

// encodeOp names Encode and EncodeDetailed in their errors.
const encodeOp = "printer.Encode"

// EncodeDetailed is Encode, also reporting the characters that went out as
// fallbacks.
func EncodeDetailed(doc *Document, p Profile) (Encoded, error) {
	if doc == nil || len(doc.blocks) == 0 {
		return Encoded{}, E(encodeOp, KindInvalid, ErrEmptyDocument)
	}
	if err := p.Validate(); err != nil {
		return Encoded{}, E(encodeOp, KindInvalid, err)
	}
	e := &encoder{p: p, te: newTextEncoder(p)}
	e.out = append(e.out, 0x1b, '@')
	if p.ChineseMode {
		// FS . leaves Chinese (Kanji) character mode; in it, every byte
		// above 0x7f starts a two-byte Chinese character and æøå are lost.
		e.out = append(e.out, 0x1c, '.')
	}
	for i, b := range doc.blocks {
		e.index = i
		if err := e.block(b); err != nil {
			return Encoded{}, E(encodeOp, KindInvalid, fmt.Errorf("block %d for %s: %w", i, p.ID, err))
		}
	}
	return Encoded{Bytes: e.out, Substituted: e.te.substituted, Warnings: e.warnings}, nil
}

type encoder struct {
	p     Profile
	out   []byte
	te    *textEncoder
	st    Style
	align Align
	// index is the block being encoded, for warnings.
	index    int
	warnings []Warning
}

// asText prints a code that could not be drawn as a symbol, in bold and
// wrapped, and records why, so staff can still read or type it.
func (e *encoder) asText(symbol, data string, a Align, why error) {
	e.warnings = append(e.warnings, Warning{Block: e.index, Symbol: symbol, Data: data, Err: why})
	for _, line := range wrap(e.glyphs(data, Bold), e.p.WidthDots) {
		e.emitLine(line, a)
	}
}

func (e *encoder) cell(f Font) int {
	if f == FontB {
		return e.p.CellB()
	}
	return e.p.CellA()
}

// columns returns the characters per line in style st.
func (e *encoder) columns(st Style) int {
	return max(1, e.p.WidthDots/(e.cell(st.Font)*st.w()))
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func (e *encoder) setStyle(s Style) {
	if s.Font != e.st.Font {
		e.out = append(e.out, 0x1b, 'M', byte(s.Font))
	}
	if s.Bold != e.st.Bold {
		e.out = append(e.out, 0x1b, 'E', boolByte(s.Bold))
	}
	if s.Underline != e.st.Underline {
		e.out = append(e.out, 0x1b, '-', boolByte(s.Underline))
	}
	if s.Invert != e.st.Invert {
		e.out = append(e.out, 0x1d, 'B', boolByte(s.Invert))
	}
	if s.w() != e.st.w() || s.h() != e.st.h() {
		e.out = append(e.out, 0x1d, '!', byte((s.w()-1)<<4|(s.h()-1)))
	}
	e.st = s
}

func (e *encoder) setAlign(a Align) {
	if a != e.align {
		e.out = append(e.out, 0x1b, 'a', byte(a))
		e.align = a
	}
}

type glyph struct {
	r  rune
	st Style
	wd int
}

// wrap breaks glyphs into lines no wider than width dots, at spaces where it
// can, and at explicit newlines. A number stays with the word after it (its
// unit: "1 kg", "10 timer"): a line that ended with a bare number beside a
// table's quantity columns would read as one more quantity.
func wrap(gs []glyph, width int) [][]glyph {
	var lines [][]glyph
	var cur []glyph
	curW := 0
	flush := func() {
		for len(cur) > 0 && cur[len(cur)-1].r == ' ' {
			cur = cur[:len(cur)-1]
		}
		lines = append(lines, cur)
		cur, curW = nil, 0
	}
	for _, g := range gs {
		if g.r == '\n' {
			flush()
			continue
		}
		if curW+g.wd > width && len(cur) > 0 {
			if g.r == ' ' && breakable(cur, len(cur)) {
				flush()
				continue
			}
			cut := -1
			for i := len(cur) - 1; i > 0; i-- {
				if cur[i].r == ' ' && breakable(cur, i) {
					cut = i
					break
				}
			}
			if cut > 0 {
				rest := append([]glyph(nil), cur[cut+1:]...)
				cur = cur[:cut]
				flush()
				cur = rest
				for _, r := range rest {
					curW += r.wd
				}
			} else {
				flush()
			}
		}
		if g.r == ' ' && len(cur) == 0 && len(lines) > 0 {
			continue
		}
		cur = append(cur, g)
		curW += g.wd
	}
	if len(cur) > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// breakable reports whether a line may end at a space standing at index i
// of cur (i == len(cur): the space that comes next): not after a bare number
// ("2", "0,75", "1.5"), which keeps to the word after it. Where no other
// space will do, wrap breaks there all the same.
func breakable(cur []glyph, i int) bool {
	digit := false
	for j := i - 1; j >= 0 && cur[j].r != ' '; j-- {
		switch r := cur[j].r; {
		case r >= '0' && r <= '9':
			digit = true
		case r == ',' || r == '.':
		default:
			return true
		}
	}
	return !digit
}

func (e *encoder) glyphs(s string, st Style) []glyph {
	var gs []glyph
	wd := e.cell(st.Font) * st.w()
	for _, line := range strings.Split(s, "\n") {
		if len(gs) > 0 {
			gs = append(gs, glyph{r: '\n', st: st})
		}
		for _, r := range e.te.normalise(line) {
			gs = append(gs, glyph{r: r, st: st, wd: wd})
		}
	}
	return gs
}

// emitLine prints one line of glyphs and ends it.
func (e *encoder) emitLine(gs []glyph, a Align) {
	e.setAlign(a)
	var run strings.Builder
	var runSt Style
	flush := func() {
		if run.Len() > 0 {
			e.setStyle(runSt)
			e.out = e.te.write(e.out, run.String())
			run.Reset()
		}
	}
	for i, g := range gs {
		if i == 0 || g.st != runSt {
			flush()
			runSt = g.st
		}
		run.WriteRune(g.r)
	}
	flush()
	e.out = append(e.out, '\n')
}

func (e *encoder) block(b block) error {
	switch b := b.(type) {
	case textBlock:
		if b.page != "" {
			e.pageLine(b)
			return nil
		}
		spans := b.spans
		if b.fit {
			spans = e.fit(spans)
		}
		var gs []glyph
		for _, sp := range spans {
			gs = append(gs, e.glyphs(sp.Text, sp.Style)...)
		}
		for _, line := range wrap(gs, e.p.WidthDots) {
			e.emitLine(line, b.align)
		}
	case rowBlock:
		e.row(b)
	case ruleBlock:
		ch := b.ch
		if ch == 0 {
			ch = '-'
		}
		s := e.te.normalise(string(ch))
		if s == "" {
			s = "-"
		}
		n := e.columns(b.style)
		line := strings.Repeat(s, n)
		gs := e.glyphs(string([]rune(line)[:n]), b.style)
		e.emitLine(gs, AlignLeft)
	case barcodeBlock:
		if err := e.barcode(b); err != nil {
			e.asText("barcode", b.data, b.align, err)
		}
	case qrBlock:
		if err := e.qr(b); err != nil {
			e.asText("QR code", b.data, b.align, err)
		}
	case imageBlock:
		if err := checkImage(b.img); err != nil {
			return err
		}
		frac := b.maxWidth
		if frac <= 0 || frac > 1 {
			frac = 1
		}
		maxH := b.maxHeight
		if maxH <= 0 || maxH > MaxImageDots {
			maxH = MaxImageDots
		}
		bm := prepareImage(b.img, int(float64(e.p.WidthDots)*frac), maxH, b.threshold)
		if bm == nil {
			return nil
		}
		e.image(bm, b.align)
	case lineBlock:
		bm := newBitmap(e.p.WidthDots, b.dots)
		bm.fillRect(0, 0, e.p.WidthDots, b.dots)
		e.image(bm, AlignLeft)
	case feedBlock:
		if b.lines > 0 {
			e.out = append(e.out, 0x1b, 'd', byte(min(b.lines, 255)))
		}
	case cutBlock:
		switch {
		case b.partial && e.p.PartialCut, !e.p.FullCut && e.p.PartialCut:
			e.out = append(e.out, 0x1d, 'V', 66, 0)
		case e.p.FullCut:
			e.out = append(e.out, 0x1d, 'V', 65, 0)
		default:
			// No cutter: feed the last line past the tear bar.
			e.out = append(e.out, 0x1b, 'd', 4)
		}
	case pulseBlock:
		if e.p.Drawer {
			e.out = append(e.out, 0x1b, 'p', 0, 25, 250)
		}
	default:
		return fmt.Errorf("unknown block %T", b)
	}
	return nil
}

func (e *encoder) row(b rowBlock) {
	n := e.columns(b.style)
	cols := b.cols
	if len(cols) == 0 {
		return
	}
	texts := make([][]rune, len(cols))
	for i, c := range cols {
		texts[i] = []rune(e.te.normalise(c.Text))
	}
	if b.pair && len(cols) == 2 && e.stacked(b, n, string(texts[0]), string(texts[1])) {
		return
	}
	widths := make([]int, len(cols))
	fixed, flex := 0, 0
	for i, c := range cols {
		switch {
		case c.Width > 0:
			widths[i] = c.Width
			fixed += c.Width
		case c.Width < 0:
			widths[i] = len(texts[i])
			fixed += widths[i]
		default:
			flex++
		}
	}
	gaps := len(cols) - 1
	left := n - fixed - gaps
	if flex > 0 {
		share := max(1, left/flex)
		for i := range widths {
			if cols[i].Width == 0 {
				widths[i] = share
			}
		}
		// Give rounding leftovers to the first flexible column.
		for i := range widths {
			if cols[i].Width == 0 {
				widths[i] += left - share*flex
				break
			}
		}
	}
	for i := range widths {
		widths[i] = max(widths[i], 0)
	}
	// Columns too wide for the line shrink from the first one.
	total := gaps
	for _, w := range widths {
		total += w
	}
	for i := 0; total > n && i < len(widths); i++ {
		cut := min(total-n, max(0, widths[i]-1))
		widths[i] -= cut
		total -= cut
	}
	// The first flexible column wraps; the others are cut to fit.
	wrapCol := -1
	for i, c := range cols {
		if c.Width == 0 {
			wrapCol = i
			break
		}
	}
	cellW := e.cell(b.style.Font) * b.style.w()
	var wrapped [][]rune
	if wrapCol >= 0 {
		gs := make([]glyph, 0, len(texts[wrapCol]))
		for _, r := range texts[wrapCol] {
			gs = append(gs, glyph{r: r, wd: cellW})
		}
		for _, l := range wrap(gs, widths[wrapCol]*cellW) {
			rs := make([]rune, len(l))
			for k, g := range l {
				rs[k] = g.r
			}
			wrapped = append(wrapped, rs)
		}
	}
	lines := max(1, len(wrapped))
	for li := 0; li < lines; li++ {
		var sb []rune
		for i := range cols {
			var t []rune
			switch {
			case i == wrapCol:
				if li < len(wrapped) {
					t = wrapped[li]
				}
			case li == 0:
				t = texts[i]
			}
			if len(t) > widths[i] {
				t = t[:widths[i]]
			}
			pad := widths[i] - len(t)
			fill := ' '
			if b.fill != 0 && i == wrapCol && li == lines-1 && len(t) > 0 && pad > 1 {
				fill = b.fill
			}
			switch cols[i].Align {
			case AlignRight:
				sb = append(sb, []rune(strings.Repeat(" ", pad))...)
				sb = append(sb, t...)
			case AlignCenter:
				sb = append(sb, []rune(strings.Repeat(" ", pad/2))...)
				sb = append(sb, t...)
				sb = append(sb, []rune(strings.Repeat(" ", pad-pad/2))...)
			default:
				sb = append(sb, t...)
				if fill != ' ' {
					sb = append(sb, ' ')
					sb = append(sb, []rune(strings.Repeat(string(fill), pad-1))...)
				} else {
					sb = append(sb, []rune(strings.Repeat(" ", pad))...)
				}
			}
			if i < len(cols)-1 {
				sb = append(sb, ' ')
			}
		}
		line := strings.TrimRight(string(sb), " ")
		gs := make([]glyph, 0, len(line))
		for _, r := range line {
			gs = append(gs, glyph{r: r, st: b.style, wd: cellW})
		}
		e.emitLine(gs, AlignLeft)
	}
}

// stacked prints a label and value row (already normalised) that does not
// fit on one line of n characters as the label, wrapped between words, then
// the value indented under it and wrapped: a long name is never cut and the
// label never split to make room for it. It reports false, printing
// nothing, when the row fits, or when the value is short (an amount) and
// the label can wrap between words beside it.
func (e *encoder) stacked(b rowBlock, n int, label, value string) bool {
	label, value = strings.TrimSpace(label), strings.TrimSpace(value)
	lw, vw := runeLen(label), runeLen(value)
	if vw == 0 || lw+1+vw <= n {
		return false
	}
	if room := n - vw - 1; vw+1 <= n/2 && longestWord(label) <= room {
		return false
	}
	cellW := e.cell(b.style.Font) * b.style.w()
	lineOf := func(s string) []glyph {
		gs := make([]glyph, 0, len(s))
		for _, r := range s {
			gs = append(gs, glyph{r: r, st: b.style, wd: cellW})
		}
		return gs
	}
	if label != "" {
		for _, l := range wrap(lineOf(label), n*cellW) {
			e.emitLine(l, AlignLeft)
		}
	}
	indent := ""
	if label != "" && n > 12 {
		indent = "  "
	}
	for _, l := range wrap(lineOf(value), (n-runeLen(indent))*cellW) {
		if label == "" {
			// A value alone (an amount under a line) stays at the right.
			e.emitLine(l, AlignRight)
			continue
		}
		e.emitLine(append(lineOf(indent), l...), AlignLeft)
	}
	return true
}

// longestWord returns the length in characters of the longest word of s.
func longestWord(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		n = max(n, runeLen(w))
	}
	return n
}

// barcodeModules returns the modules of a barcode and the text it carries.
func barcodeModules(sym Symbology, data string) ([]bool, string, error) {
	switch sym {
	case EAN13:
		full, err := validEAN(data)
		if err != nil {
			return nil, "", err
		}
		return ean13Modules(full), full, nil
	default:
		vals, err := code128Values(data)
		if err != nil {
			return nil, "", err
		}
		return code128Modules(vals), data, nil
	}
}

// MinBarModule is the narrowest bar or space, in dots, the encoder prints
// a 1D barcode with. One-dot bars (0.125–0.14 mm) blur into their
// neighbours on a warm head and fail scanners; two dots read.
const MinBarModule = 2

// barcodeQuiet is the blank margin on each side of a 1D barcode, in modules.
const barcodeQuiet = 10

// barcodeLayout decides how a barcode of n modules prints on p: the module
// width in dots, and whether it is turned to run along the paper because
// even MinBarModule-dot bars across the paper would not fit.
func barcodeLayout(p Profile, n int) (module int, rotated bool) {
	module = min(3, p.WidthDots/(n+2*barcodeQuiet))
	if module >= MinBarModule {
		return module, false
	}
	return MinBarModule, true
}

func (e *encoder) barcode(b barcodeBlock) error {
	mods, text, err := barcodeModules(b.sym, b.data)
	if err != nil {
		return err
	}
	height := b.height
	if height <= 0 {
		height = 80
	}
	module, rotated := barcodeLayout(e.p, len(mods))
	if e.p.Barcode && !rotated {
		var cmd []byte
		switch b.sym {
		case EAN13:
			cmd = append([]byte{0x1d, 'k', 67, 12}, text[:12]...)
		default:
			payload, err := code128Escpos(b.data)
			if err != nil {
				return err
			}
			if len(payload) > 255 {
				return fmt.Errorf("code128: %d bytes is too long", len(payload))
			}
			cmd = append([]byte{0x1d, 'k', 73, byte(len(payload))}, payload...)
		}
		e.out = append(e.out, 0x1d, 'h', byte(min(height, 255)), 0x1d, 'w', byte(module))
		hri := byte(0)
		if b.hri {
			hri = 2
		}
		e.out = append(e.out, 0x1d, 'H', hri, 0x1d, 'f', 0)
		e.setAlign(b.align)
		e.out = append(e.out, cmd...)
		return nil
	}
	var bm *bitmap
	if rotated {
		// Too long for bars of MinBarModule dots across the paper: turn
		// it to run along the paper, where length costs only feed. The
		// quiet zones are part of the picture so nothing prints into them.
		barLen := min(e.p.WidthDots/2, max(height, 128))
		rows := (len(mods) + 2*barcodeQuiet) * module
		if rows > MaxImageDots {
			return fmt.Errorf("barcode %q would be %d dots long", b.data, rows)
		}
		bm = newBitmap(barLen, rows)
		for i, dark := range mods {
			if dark {
				bm.fillRect(0, (i+barcodeQuiet)*module, barLen, (i+barcodeQuiet+1)*module)
			}
		}
	} else {
		// No GS k: draw it, a little shorter, since every dot row costs
		// bytes on the line.
		height = min(height, 64)
		bm = newBitmap(len(mods)*module, height)
		for i, dark := range mods {
			if dark {
				bm.fillRect(i*module, 0, (i+1)*module, height)
			}
		}
	}
	e.image(bm, b.align)
	if b.hri {
		e.emitLine(e.glyphs(text, Plain), b.align)
	}
	return nil
}

// qrModule picks a module size so the symbol takes about half the paper.
func (e *encoder) qrModule(q *qrCode, want int) int {
	if want > 0 {
		return min(want, 16)
	}
	return max(2, min(8, e.p.WidthDots/2/(q.size+8)))
}

func (e *encoder) qr(b qrBlock) error {
	q, err := qrEncode([]byte(b.data), qrM)
	if err != nil {
		return err
	}
	module := e.qrModule(q, b.module)
	if e.p.QR {
		e.setAlign(b.align)
		e.out = append(e.out, 0x1d, '(', 'k', 4, 0, 49, 65, 50, 0)
		e.out = append(e.out, 0x1d, '(', 'k', 3, 0, 49, 67, byte(module))
		e.out = append(e.out, 0x1d, '(', 'k', 3, 0, 49, 69, 49)
		n := len(b.data) + 3
		e.out = append(e.out, 0x1d, '(', 'k', byte(n), byte(n>>8), 49, 80, 48)
		e.out = append(e.out, b.data...)
		e.out = append(e.out, 0x1d, '(', 'k', 3, 0, 49, 81, 48)
		// Epson leaves the print position at the start of the next line.
		return nil
	}
	// The quiet zone is blank paper: the layout feeds around the symbol
	// rather than sending rows of white dots.
	e.image(qrBitmap(q, module, 0), b.align)
	return nil
}

// qrBitmap draws q with a quiet zone of quiet modules.
func qrBitmap(q *qrCode, module, quiet int) *bitmap {
	side := (q.size + 2*quiet) * module
	bm := newBitmap(side, side)
	for y := 0; y < q.size; y++ {
		for x := 0; x < q.size; x++ {
			if q.dark(x, y) {
				bm.fillRect((x+quiet)*module, (y+quiet)*module, (x+quiet+1)*module, (y+quiet+1)*module)
			}
		}
	}
	return bm
}

func (e *encoder) image(bm *bitmap, a Align) {
	if !e.p.RasterAlign && a != AlignLeft {
		bm = shift(bm, a, e.p.WidthDots)
		a = AlignLeft
	}
	e.setAlign(a)
	e.out = rasterBands(e.out, bm, e.p)
}

// shift places bm on a wider bitmap so it prints centred or right-aligned
// on printers that put every raster image at the left margin.
func shift(bm *bitmap, a Align, width int) *bitmap {
	off := width - bm.w
	if a == AlignCenter {
		off /= 2
	}
	off /= 8 // whole bytes: the copy stays a plain memmove
	if off <= 0 {
		return bm
	}
	out := newBitmap(bm.w+off*8, bm.h)
	for y := 0; y < bm.h; y++ {
		copy(out.pix[y*out.stride+off:], bm.pix[y*bm.stride:(y+1)*bm.stride])
	}
	return out
}

// fit lowers the magnification of spans until they fit on one line. The
// spans come back normalised, so they are measured as they will print and
// their fallbacks counted once.
func (e *encoder) fit(spans []Span) []Span {
	out := make([]Span, len(spans))
	for i, sp := range spans {
		out[i] = Span{Text: e.te.normalise(sp.Text), Style: sp.Style}
	}
	for {
		width, widest := 0, -1
		for i, sp := range out {
			width += runeLen(sp.Text) * e.cell(sp.Style.Font) * sp.Style.w()
			if widest < 0 || sp.Style.w() > out[widest].Style.w() {
				widest = i
			}
		}
		if width <= e.p.WidthDots || widest < 0 || out[widest].Style.w() <= 1 {
			return out
		}
		st := out[widest].Style
		st.Width = st.w() - 1
		if st.h() > st.Width+1 {
			st.Height = st.Width + 1
		}
		out[widest].Style = st
	}
}

// pageLine prints a block in one forced code page, for the test page.
func (e *encoder) pageLine(b textBlock) {
	n, ok := e.p.Page(b.page)
	if !ok {
		return
	}
	e.setAlign(b.align)
	e.out = append(e.out, 0x1b, 't', n)
	e.te.current = int(n)
	for _, sp := range b.spans {
		e.setStyle(sp.Style)
		for _, r := range sp.Text {
			if c, ok := encodeIn(b.page, r); ok {
				e.out = append(e.out, c)
			} else {
				e.out = append(e.out, Fallback(r)...)
			}
		}
	}
	e.out = append(e.out, '\n')
}
