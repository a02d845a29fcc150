package printer

import "image"

// Align is the horizontal placement of a line, barcode, QR code or image.
type Align uint8

// Alignments.
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// Font selects one of the printer's resident fonts.
type Font uint8

// Fonts.
const (
	// FontA is the normal font, 12×24 dots.
	FontA Font = iota
	// FontB is the condensed font, 9×17 dots.
	FontB
)

// Style is how a run of text looks. The zero Style is font A, plain, normal size.
type Style struct {
	Font      Font
	Bold      bool
	Underline bool
	// Invert prints white on black.
	Invert bool
	// Width and Height magnify the characters 1–8 times; 0 means 1.
	Width, Height int
}

func (s Style) w() int { return clampMag(s.Width) }
func (s Style) h() int { return clampMag(s.Height) }

func clampMag(n int) int {
	if n < 1 {
		return 1
	}
	if n > 8 {
		return 8
	}
	return n
}

// Some common styles.
var (
	// Plain is font A, normal size.
	Plain = Style{}
	// Bold is font A in bold.
	Bold = Style{Bold: true}
	// Small is font B.
	Small = Style{Font: FontB}
	// Large is bold font A at double width and height.
	Large = Style{Bold: true, Width: 2, Height: 2}
	// Tall is bold font A at double height.
	Tall = Style{Bold: true, Height: 2}
)

// Span is a run of text in one style.
type Span struct {
	Text  string
	Style Style
}

// Symbology is a barcode type.
type Symbology uint8

// Barcode symbologies.
const (
	Code128 Symbology = iota
	EAN13
)

// Column is one cell of a table row.
type Column struct {
	Text string
	// Width is the column's width in characters; 0 lets the column take what
	// the others leave (only one column should); FitContent makes it as wide
	// as its text as printed.
	Width int
	Align Align
}

// FitContent as a Column width sizes the column to its text.
const FitContent = -1

type block interface{ isBlock() }

type textBlock struct {
	spans []Span
	align Align
	// fit shrinks magnified text until it fits on one line.
	fit bool
	// page forces one code page (by name) for the whole block; characters
	// it lacks print as fallbacks. Used by the test page.
	page string
}

type rowBlock struct {
	cols  []Column
	style Style
	fill  rune
	// pair marks a label and value row (Row, LeaderRow): when both do not
	// fit on one line the value moves under the label instead of being cut.
	pair bool
}

type ruleBlock struct {
	ch    rune
	style Style
}

type barcodeBlock struct {
	sym    Symbology
	data   string
	height int
	hri    bool
	align  Align
}

type qrBlock struct {
	data   string
	module int
	align  Align
}

type imageBlock struct {
	img       image.Image
	maxWidth  float64 // fraction of the paper width
	maxHeight int     // dots
	align     Align
	threshold bool
}

type lineBlock struct{ dots int }

type feedBlock struct{ lines int }
type cutBlock struct{ partial bool }
type pulseBlock struct{}

func (textBlock) isBlock()    {}
func (rowBlock) isBlock()     {}
func (ruleBlock) isBlock()    {}
func (barcodeBlock) isBlock() {}
func (qrBlock) isBlock()      {}
func (imageBlock) isBlock()   {}
func (feedBlock) isBlock()    {}
func (lineBlock) isBlock()    {}
func (cutBlock) isBlock()     {}
func (pulseBlock) isBlock()   {}

// Document is what to print, independent of any printer: the layout (line
// wrapping, columns, image scaling, barcode fallbacks) is resolved by Encode
// for a profile. Build one with NewDocument and the chained methods.
type Document struct {
	blocks []block
}

// NewDocument returns an empty document.
func NewDocument() *Document { return &Document{} }

// Len reports the number of blocks in the document.
func (d *Document) Len() int { return len(d.blocks) }

// Text adds a paragraph in one style, wrapped to the paper.
func (d *Document) Text(s string, st Style, a Align) *Document {
	return d.Spans(a, Span{Text: s, Style: st})
}

// Spans adds a paragraph made of differently styled runs, wrapped to the paper.
func (d *Document) Spans(a Align, spans ...Span) *Document {
	d.blocks = append(d.blocks, textBlock{spans: spans, align: a})
	return d
}

// FitText adds one line of text magnified as st asks, or less where the
// paper is too narrow, so it never wraps: a large amount or code.
func (d *Document) FitText(s string, st Style, a Align) *Document {
	d.blocks = append(d.blocks, textBlock{spans: []Span{{Text: s, Style: st}}, align: a, fit: true})
	return d
}

// Row adds a two-column line: left text and right text pushed to the right
// edge, such as a label and a name or amount. When both do not fit on one
// line, the left text prints on its own line(s), wrapped between words, and
// the right text under it, indented and wrapped; nothing is ever cut.
func (d *Document) Row(left, right string, st Style) *Document {
	d.blocks = append(d.blocks, rowBlock{cols: pairColumns(left, right), style: st, pair: true})
	return d
}

// LeaderRow is Row with the gap filled with dots: "Total ........ 100".
func (d *Document) LeaderRow(left, right string, st Style) *Document {
	d.blocks = append(d.blocks, rowBlock{cols: pairColumns(left, right), style: st, fill: '.', pair: true})
	return d
}

func pairColumns(left, right string) []Column {
	return []Column{{Text: left}, {Text: right, Width: FitContent, Align: AlignRight}}
}

// Columns adds a table row. Columns with Width 0 share what is left of the
// line; the text of the first flexible column wraps, the others are cut.
func (d *Document) Columns(st Style, cols ...Column) *Document {
	d.blocks = append(d.blocks, rowBlock{cols: cols, style: st})
	return d
}

// Rule adds a line across the paper drawn with ch ('-', '=', '.').
func (d *Document) Rule(ch rune) *Document {
	d.blocks = append(d.blocks, ruleBlock{ch: ch})
	return d
}

// Line adds a solid line across the paper, dots thick, drawn as an image
// so it is unbroken on every printer.
func (d *Document) Line(dots int) *Document {
	d.blocks = append(d.blocks, lineBlock{dots: max(1, min(dots, 24))})
	return d
}

// Barcode adds a barcode, centred, with no human-readable text under it.
// Profiles without GS k get it as a raster image.
func (d *Document) Barcode(sym Symbology, data string) *Document {
	d.blocks = append(d.blocks, barcodeBlock{sym: sym, data: data, height: 80, align: AlignCenter})
	return d
}

// BarcodeHRI adds a centred barcode with the printer's human-readable text below.
func (d *Document) BarcodeHRI(sym Symbology, data string, height int) *Document {
	d.blocks = append(d.blocks, barcodeBlock{sym: sym, data: data, height: height, hri: true, align: AlignCenter})
	return d
}

// QR adds a centred QR code (level M, up to 213 bytes of data). module is
// the size of one module in dots, 0 for a size that suits the paper.
// Profiles without GS ( k get it as a raster image.
func (d *Document) QR(data string, module int) *Document {
	d.blocks = append(d.blocks, qrBlock{data: data, module: module, align: AlignCenter})
	return d
}

// Image adds a picture, cropped to its content, scaled to at most maxWidth of
// the paper width (0 < maxWidth <= 1) and maxHeight dots (0, or more than
// MaxImageDots: MaxImageDots), and dithered to black and white. Encode
// refuses pictures of more than MaxImagePixels with ErrImageTooLarge.
func (d *Document) Image(img image.Image, maxWidth float64, maxHeight int, a Align) *Document {
	if img == nil {
		return d
	}
	d.blocks = append(d.blocks, imageBlock{img: img, maxWidth: maxWidth, maxHeight: maxHeight, align: a})
	return d
}

// LineArt adds a drawing such as a signature: like Image, but thresholded
// instead of dithered so strokes stay crisp and the bytes few.
func (d *Document) LineArt(img image.Image, maxWidth float64, maxHeight int, a Align) *Document {
	if img == nil {
		return d
	}
	d.blocks = append(d.blocks, imageBlock{img: img, maxWidth: maxWidth, maxHeight: maxHeight, align: a, threshold: true})
	return d
}

// Feed adds n empty lines.
func (d *Document) Feed(n int) *Document {
	d.blocks = append(d.blocks, feedBlock{lines: n})
	return d
}

// Cut feeds the paper past the cutter and cuts it (partially when asked and
// the printer can). On printers without a cutter it feeds to the tear bar.
func (d *Document) Cut(partial bool) *Document {
	d.blocks = append(d.blocks, cutBlock{partial: partial})
	return d
}

// Pulse opens the cash drawer connected to the printer.
func (d *Document) Pulse() *Document {
	d.blocks = append(d.blocks, pulseBlock{})
	return d
}

// Append adds the blocks of other to d.
func (d *Document) Append(other *Document) *Document {
	if other != nil {
		d.blocks = append(d.blocks, other.blocks...)
	}
	return d
}

func runeLen(s string) int { return len([]rune(s)) }
