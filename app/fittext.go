package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// fitMinWidth is the most width a fitting text asks for: a longer text
// shrinks to its room instead of widening the window.
const fitMinWidth = 160

// fitText is a large text that never widens the window: it asks for no
// more width than fitMinWidth, and when its room is narrower than the
// text, it is drawn smaller until it fits. Its fields are set as on a
// canvas.Text (TextSize is its size when there is room); Refresh shows them.
type fitText struct {
	widget.BaseWidget
	Text      string
	Color     color.Color
	TextSize  float32
	TextStyle fyne.TextStyle
	Alignment fyne.TextAlign
	// Room is the most width the text asks for; fitMinWidth when 0.
	Room float32

	r *fitRenderer
}

func newFitText(text string, c color.Color, size float32) *fitText {
	t := &fitText{Text: text, Color: c, TextSize: size}
	t.ExtendBaseWidget(t)
	return t
}

// CreateRenderer implements fyne.Widget.
func (t *fitText) CreateRenderer() fyne.WidgetRenderer {
	t.r = &fitRenderer{t: t, draw: canvas.NewText("", t.Color)}
	t.r.Refresh()
	return t.r
}

// DrawnSize is the text size the text is drawn at in its present room
// (TextSize before it is first laid out).
func (t *fitText) DrawnSize() float32 {
	if t.r == nil {
		return t.TextSize
	}
	return t.r.draw.TextSize
}

type fitRenderer struct {
	t    *fitText
	draw *canvas.Text
}

func (r *fitRenderer) MinSize() fyne.Size {
	if r.t.Text == "" {
		return fyne.NewSize(0, fyne.MeasureText("Ag", r.t.TextSize, r.t.TextStyle).Height)
	}
	n := fyne.MeasureText(r.t.Text, r.t.TextSize, r.t.TextStyle)
	room := r.t.Room
	if room == 0 {
		room = fitMinWidth
	}
	return fyne.NewSize(min(n.Width, room), n.Height)
}

func (r *fitRenderer) Layout(size fyne.Size) {
	d := r.draw
	d.TextSize = r.t.TextSize
	if w := fyne.MeasureText(d.Text, d.TextSize, d.TextStyle).Width; w > size.Width && size.Width > 0 {
		// Scale down, then step down until it fits: glyph widths do not
		// scale exactly with the size.
		d.TextSize = max(r.t.TextSize*size.Width/w, 6)
		for d.TextSize > 6 && fyne.MeasureText(d.Text, d.TextSize, d.TextStyle).Width > size.Width {
			d.TextSize -= 0.5
		}
	}
	h := fyne.MeasureText("Ag", d.TextSize, d.TextStyle).Height
	d.Resize(fyne.NewSize(size.Width, h))
	d.Move(fyne.NewPos(0, (size.Height-h)/2))
}

func (r *fitRenderer) Refresh() {
	d := r.draw
	d.Text, d.Color, d.TextStyle, d.Alignment = r.t.Text, r.t.Color, r.t.TextStyle, r.t.Alignment
	r.Layout(r.t.Size())
	d.Refresh()
}

func (r *fitRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.draw} }

func (r *fitRenderer) Destroy() {}
