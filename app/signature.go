package app

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// Size of the stored signature image: wide and short like the line on paper,
// and as wide as an 80 mm printer's 576 dots so it prints without scaling up.
const (
	signatureWidth  = 576
	signatureHeight = 192
)

// minInk is how long, in image pixels, the strokes must be together before a
// signature counts: a tap or a smudge is not a signature.
const minInk = 60

// signaturePad is a widget the buyer signs on with a finger, pen or mouse.
// Strokes are kept in coordinates relative to the pad (0..1) so the pad can
// be resized while signing.
type signaturePad struct {
	widget.BaseWidget

	strokes [][]fyne.Position // Relative coordinates.
	drawing bool
	onKey   func(*fyne.KeyEvent)
	onRune  func(rune)
	onDraw  func()
}

// newSignaturePad returns an empty pad.
func newSignaturePad() *signaturePad {
	p := &signaturePad{}
	p.ExtendBaseWidget(p)
	return p
}

// MinSize implements fyne.Widget: large enough to sign comfortably.
func (p *signaturePad) MinSize() fyne.Size { return fyne.NewSize(480, 160) }

func (p *signaturePad) rel(pos fyne.Position) fyne.Position {
	s := p.Size()
	if s.Width <= 0 || s.Height <= 0 {
		s = p.MinSize() // Not laid out yet: events come in MinSize coordinates.
	}
	return fyne.NewPos(clamp01(pos.X/s.Width), clamp01(pos.Y/s.Height))
}

func clamp01(v float32) float32 { return float32(math.Max(0, math.Min(1, float64(v)))) }

// Dragged implements fyne.Draggable: a stroke of finger, pen or mouse.
func (p *signaturePad) Dragged(ev *fyne.DragEvent) {
	if !p.drawing {
		start := ev.Position.Subtract(ev.Dragged)
		p.strokes = append(p.strokes, []fyne.Position{p.rel(start)})
		p.drawing = true
	}
	i := len(p.strokes) - 1
	p.strokes[i] = append(p.strokes[i], p.rel(ev.Position))
	if p.onDraw != nil {
		p.onDraw()
	}
	p.Refresh()
}

// DragEnd implements fyne.Draggable.
func (p *signaturePad) DragEnd() { p.drawing = false }

// Tapped implements fyne.Tappable: a dot, as in the i of a name.
func (p *signaturePad) Tapped(ev *fyne.PointEvent) {
	r := p.rel(ev.Position)
	p.strokes = append(p.strokes, []fyne.Position{r, r})
	p.Refresh()
}

// FocusGained implements fyne.Focusable, so that Enter and Esc reach the pad.
func (p *signaturePad) FocusGained() {}

// FocusLost implements fyne.Focusable.
func (p *signaturePad) FocusLost() {}

// TypedRune implements fyne.Focusable.
func (p *signaturePad) TypedRune(r rune) {
	if p.onRune != nil {
		p.onRune(r)
	}
}

// TypedKey implements fyne.Focusable.
func (p *signaturePad) TypedKey(ev *fyne.KeyEvent) {
	if p.onKey != nil {
		p.onKey(ev)
	}
}

// Clear wipes the pad.
func (p *signaturePad) Clear() {
	p.strokes = nil
	p.drawing = false
	p.Refresh()
}

// Strokes returns the number of strokes drawn.
func (p *signaturePad) Strokes() int { return len(p.strokes) }

// Empty reports whether the pad holds too little ink to be a signature.
func (p *signaturePad) Empty() bool {
	var ink float64
	for _, s := range p.strokes {
		for i := 1; i < len(s); i++ {
			dx := float64(s[i].X-s[i-1].X) * signatureWidth
			dy := float64(s[i].Y-s[i-1].Y) * signatureHeight
			ink += math.Hypot(dx, dy)
		}
	}
	return ink < minInk
}

// Image renders the strokes in black on white, with a pen about 4 pixels
// wide, on a canvas of SignatureWidth × SignatureHeight cropped to the ink
// and a small margin, so that thumbnails and print show the signature, not
// the empty pad around it.
func (p *signaturePad) Image() *image.Gray { return renderStrokes(p.strokes) }

// snapshot returns a copy of the strokes that later drawing on the pad
// leaves alone, so that they can be rendered off the UI goroutine.
func (p *signaturePad) snapshot() [][]fyne.Position {
	out := make([][]fyne.Position, len(p.strokes))
	for i, s := range p.strokes {
		out[i] = slices.Clone(s)
	}
	return out
}

// renderStrokes is Image for strokes in the pad's relative coordinates.
func renderStrokes(strokes [][]fyne.Position) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, signatureWidth, signatureHeight))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	ink := image.Rectangle{}
	for _, s := range strokes {
		for i := 1; i < len(s); i++ {
			x0, y0 := s[i-1].X*signatureWidth, s[i-1].Y*signatureHeight
			x1, y1 := s[i].X*signatureWidth, s[i].Y*signatureHeight
			line(img, x0, y0, x1, y1, 2)
			seg := image.Rect(int(x0), int(y0), int(x1), int(y1)).Canon()
			seg.Max = seg.Max.Add(image.Pt(1, 1))
			ink = ink.Union(seg)
		}
	}
	if ink.Empty() {
		return img
	}
	crop := ink.Inset(-12).Intersect(img.Bounds())
	out := image.NewGray(image.Rect(0, 0, crop.Dx(), crop.Dy()))
	draw.Draw(out, out.Bounds(), img, crop.Min, draw.Src)
	return out
}

// line draws a line of radius r by stamping discs along it.
func line(img *image.Gray, x0, y0, x1, y1 float32, r int) {
	dist := math.Hypot(float64(x1-x0), float64(y1-y0))
	steps := int(dist) + 1
	for i := 0; i <= steps; i++ {
		t := float32(i) / float32(steps)
		cx, cy := int(x0+(x1-x0)*t), int(y0+(y1-y0)*t)
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				if dx*dx+dy*dy <= r*r+1 {
					img.SetGray(cx+dx, cy+dy, color.Gray{})
				}
			}
		}
	}
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func decodePNG(b []byte) image.Image {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	return img
}

// CreateRenderer implements fyne.Widget.
func (p *signaturePad) CreateRenderer() fyne.WidgetRenderer {
	base := canvas.NewLine(color.NRGBA{R: 0x90, G: 0x90, B: 0x90, A: 0xff})
	base.StrokeWidth = 1
	hint := canvas.NewText("✕", color.NRGBA{R: 0x90, G: 0x90, B: 0x90, A: 0xff})
	hint.TextSize = 28
	return &padRenderer{p: p, base: base, hint: hint}
}

type padRenderer struct {
	p     *signaturePad
	base  *canvas.Line
	hint  *canvas.Text
	lines []*canvas.Line
}

func (r *padRenderer) Layout(size fyne.Size) {
	y := size.Height * 0.75
	r.base.Position1 = fyne.NewPos(size.Width*0.05, y)
	r.base.Position2 = fyne.NewPos(size.Width*0.95, y)
	r.hint.Move(fyne.NewPos(size.Width*0.05, y-36))
	r.update(size)
}

func (r *padRenderer) update(size fyne.Size) {
	n := 0
	for _, s := range r.p.strokes {
		for i := 1; i < len(s); i++ {
			if n == len(r.lines) {
				l := canvas.NewLine(color.Black)
				l.StrokeWidth = 3
				r.lines = append(r.lines, l)
			}
			l := r.lines[n]
			l.Position1 = fyne.NewPos(s[i-1].X*size.Width, s[i-1].Y*size.Height)
			l.Position2 = fyne.NewPos(s[i].X*size.Width, s[i].Y*size.Height)
			if l.Position1 == l.Position2 {
				l.Position2.X++ // A dot.
			}
			n++
		}
	}
	r.lines = r.lines[:n]
}

func (r *padRenderer) MinSize() fyne.Size { return r.p.MinSize() }

func (r *padRenderer) Refresh() {
	r.update(r.p.Size())
	canvas.Refresh(r.p)
}

func (r *padRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.base, r.hint}
	for _, l := range r.lines {
		objs = append(objs, l)
	}
	return objs
}

func (r *padRenderer) Destroy() {}

// PNG returns the signature as the PNG that is stored with the delivery.
func (p *signaturePad) PNG() ([]byte, error) { return encodePNG(p.Image()) }
