package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke/scanner"
)

// State colours: strong enough to read from across the desk.
var (
	colReady    = color.NRGBA{R: 0x55, G: 0x5f, B: 0x6d, A: 0xff}
	colOK       = color.NRGBA{R: 0x1b, G: 0x7f, B: 0x3b, A: 0xff}
	colDone     = color.NRGBA{R: 0x1f, G: 0x5f, B: 0xb8, A: 0xff}
	colJustDone = color.NRGBA{R: 0x6a, G: 0x1b, B: 0x9a, A: 0xff} // Handed over by this scan.
	colSpent    = color.NRGBA{R: 0x4a, G: 0x4a, B: 0x4a, A: 0xff} // A gift card used up: nothing left, nothing wrong.
	colExpired  = color.NRGBA{R: 0x8d, G: 0x3b, B: 0x12, A: 0xff} // A gift card past its date.
	colBad      = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	colWarn     = color.NRGBA{R: 0xe0, G: 0x8a, B: 0x00, A: 0xff}
	// colElsewhere: bought at another centre of the chain; nothing wrong
	// with it, but not this desk's to hand out.
	colElsewhere = color.NRGBA{R: 0x00, G: 0x6d, B: 0x77, A: 0xff}
	colTraining  = color.NRGBA{R: 0xf0, G: 0x9a, B: 0x00, A: 0xff}
	colWhite     = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
)

// entry is a single-line entry that passes the desk's global keys (F-keys,
// Esc) on instead of swallowing them, and records activity for the idle lock.
type entry struct {
	widget.Entry
	keys    keyHandler
	onArrow func(delta int) // Up and Down, where they choose from a list.
	// sideArrows: Left and Right go to onArrow too, as in the PIN field,
	// whose hidden digits have no cursor worth moving.
	sideArrows bool
	selectAll  bool // Select the text on focus, so that typing replaces a proposed value.
	// burst gathers the keys typed, so that a scanner's burst ending in
	// Enter is handled as a scan rather than as the field's text; nil in
	// the scan fields, which handle scans themselves.
	burst       *burst
	beforeBurst string // The text before the latest run of keys began.
}

// FocusGained implements fyne.Focusable.
func (e *entry) FocusGained() {
	e.Entry.FocusGained()
	if e.burst != nil {
		e.burst.reset()
	}
	if e.selectAll && e.Text != "" {
		e.TypedShortcut(&fyne.ShortcutSelectAll{})
	}
}

func newEntry(keys keyHandler, placeholder string) *entry {
	e := &entry{keys: keys, burst: &burst{}}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrapOff
	// A long text scrolls inside the field: it never widens the window.
	e.Scroll = container.ScrollHorizontalOnly
	e.SetPlaceHolder(placeholder)
	return e
}

// TypedKey implements fyne.Focusable.
func (e *entry) TypedKey(ev *fyne.KeyEvent) {
	e.keys.touch()
	if e.keys.globalKey(ev) {
		return
	}
	if e.burst != nil {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			if burstEnter(e.keys, e.burst, &e.Entry, e.beforeBurst) {
				return
			}
		case fyne.KeyBackspace:
			e.burst.key('\b', e.keys.now())
		}
	}
	if e.onArrow != nil {
		switch {
		case ev.Name == fyne.KeyUp, e.sideArrows && ev.Name == fyne.KeyLeft:
			e.onArrow(-1)
			return
		case ev.Name == fyne.KeyDown, e.sideArrows && ev.Name == fyne.KeyRight:
			e.onArrow(1)
			return
		}
	}
	e.Entry.TypedKey(ev)
}

// TypedRune implements fyne.Focusable.
func (e *entry) TypedRune(r rune) {
	e.keys.touch()
	if e.burst != nil {
		now := e.keys.now()
		if e.burst.len() == 0 || now.Sub(e.burst.last()) > scanner.DefaultWedgeStall {
			e.beforeBurst = e.Text
		}
		e.burst.key(r, now)
	}
	e.Entry.TypedRune(r)
}

// Submit acts as if Enter was pressed in the entry.
func (e *entry) Submit() { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

// button is a button that passes global keys on when focused.
type button struct {
	widget.Button
	keys keyHandler
}

func newButton(keys keyHandler, text string, icon fyne.Resource, tapped func()) *button {
	b := &button{keys: keys}
	b.ExtendBaseWidget(b)
	b.Text = text
	b.Icon = icon
	b.OnTapped = func() {
		keys.touch()
		tapped()
		keys.tapped(b)
	}
	return b
}

// TypedKey implements fyne.Focusable.
func (b *button) TypedKey(ev *fyne.KeyEvent) {
	b.keys.touch()
	if b.keys.globalKey(ev) {
		return
	}
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		if !b.Disabled() && b.OnTapped != nil {
			b.OnTapped()
		}
		return
	}
	b.Button.TypedKey(ev)
}

// banner is a coloured block with large text: the state of a scan, readable
// from across the desk.
type banner struct {
	bg   *canvas.Rectangle
	Text *fitText
	obj  fyne.CanvasObject
}

func newBanner(size float32) *banner {
	b := &banner{bg: canvas.NewRectangle(colReady), Text: newFitText("", colWhite, size)}
	b.Text.TextStyle = fyne.TextStyle{Bold: true}
	b.Text.Alignment = fyne.TextAlignCenter
	b.bg.CornerRadius = 6
	b.obj = container.NewStack(b.bg, container.NewPadded(b.Text))
	return b
}

func (b *banner) set(text string, c color.Color) {
	b.Text.Text = text
	b.bg.FillColor = c
	b.Text.Refresh()
	b.bg.Refresh()
}

func bigText(size float32, bold bool) *fitText {
	t := newFitText("", theme.Color(theme.ColorNameForeground), size)
	t.TextStyle = fyne.TextStyle{Bold: bold, Monospace: false}
	return t
}

// bigTheme enlarges text and padding for the scan field and touch targets.
type bigTheme struct {
	fyne.Theme
	text float32
}

func (t bigTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return t.text
	case theme.SizeNameInnerPadding:
		return t.Theme.Size(n) * 1.6
	}
	return t.Theme.Size(n)
}

// readText is the least text size of what staff read off a purchase or a
// list: its lines, names and amounts (issue 13: at least 18 px).
const readText = 18

// readTheme sets the text size of what it holds to readText.
type readTheme struct{ fyne.Theme }

func (t readTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameText {
		return readText
	}
	return t.Theme.Size(n)
}

// readable shows obj's text at readText. Objects added to obj later take
// the size once the returned container is refreshed, but each refresh (and
// each refresh of a container above it) gives the override a new scope,
// for which Fyne parses its fonts again and keeps them for good: a few
// megabytes each time. Lists that change with every scan use readSized.
func readable(obj fyne.CanvasObject) *container.ThemeOverride {
	return container.NewThemeOverride(obj, readTheme{Theme: theme.DefaultTheme()})
}

// readTextSize is the theme size that is readText in the default theme.
const readTextSize = theme.SizeNameSubHeadingText

// readSized sets the labels under obj, through containers, to readText
// with the label's own SizeName rather than a theme override (see
// readable), and returns obj. Call it again after adding labels.
func readSized(obj fyne.CanvasObject) fyne.CanvasObject {
	switch x := obj.(type) {
	case *widget.Label:
		if x.SizeName != readTextSize {
			x.SizeName = readTextSize
			x.Refresh()
		}
	case *fyne.Container:
		for _, o := range x.Objects {
			readSized(o)
		}
	}
	return obj
}

// big sets the text under obj to text points, with room around it for a
// finger, through a theme override. Each override costs a parse of the
// fonts it draws with (see readable): widgets of one size that sit
// together share one, and roomy gives the room alone.
func big(obj fyne.CanvasObject, text float32) fyne.CanvasObject {
	return container.NewThemeOverride(obj, bigTheme{Theme: theme.DefaultTheme(), text: text})
}

// roomy gives obj the height big gives a button, without changing its
// text size and without a theme override.
func roomy(obj fyne.CanvasObject) fyne.CanvasObject {
	return container.New(roomyLayout{}, obj)
}

// roomyLayout adds to its objects' height what bigTheme's inner padding
// adds to a button's (0.6 of the padding, above and below).
type roomyLayout struct{}

func (roomyLayout) extra() float32 { return 2 * 0.6 * theme.Size(theme.SizeNameInnerPadding) }

// MinSize implements fyne.Layout.
func (l roomyLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var min fyne.Size
	for _, o := range objs {
		if o.Visible() {
			min = min.Max(o.MinSize())
		}
	}
	if min.IsZero() {
		return min
	}
	return min.AddWidthHeight(0, l.extra())
}

// Layout implements fyne.Layout.
func (roomyLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// tint returns c with alpha a, for soft backgrounds.
func tint(c color.NRGBA, a uint8) color.Color {
	c.A = a
	return c
}

// formGrid lays out label and field pairs in two columns. Unlike
// widget.Form it is a plain container, so fields can take the focus as soon
// as it is shown.
func formGrid(pairs ...any) *fyne.Container {
	objs := make([]fyne.CanvasObject, 0, len(pairs))
	for _, p := range pairs {
		switch v := p.(type) {
		case string:
			objs = append(objs, widget.NewLabelWithStyle(v, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		case fyne.CanvasObject:
			objs = append(objs, v)
		}
	}
	return container.New(layout.NewFormLayout(), objs...)
}

// rowLabel is a label for list rows: long text wraps instead of widening
// the window.
func rowLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// row lays out a text that takes the room left and fixed items on its right.
func row(text string, right ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, nil, container.NewHBox(right...), rowLabel(text))
}

// Layout minimums that keep every screen within a 1024×768 desk screen
// (the smallest reception desks have) while the parts that matter stay
// large: the scroll areas never collapse to nothing, and the signature pad
// keeps room to sign on.
const (
	// linesMinHeight is the least height of a scrolled list: two rows and
	// a half, so that it is plain there is more to scroll to.
	linesMinHeight = 90
	// padMinWidth and padMinHeight are the least size of the signature
	// pad: a name signed with a finger needs about 250 px of height.
	padMinWidth  = 480
	padMinHeight = 250
	// maxCodeRunes is the longest reading shown in full in the large code
	// text; longer garbage is cut so that it cannot widen the window.
	maxCodeRunes = 20
	// maxDetailRunes is the most of a reading quoted in the detail line:
	// a scanner that sends kilobytes of garbage must not fill the screen.
	maxDetailRunes = 60
)

// show shows or hides obj.
func show(obj fyne.CanvasObject, on bool) {
	if on {
		obj.Show()
	} else {
		obj.Hide()
	}
}

// relabel sets the text of a label or button when it differs: SetText
// repaints the window even when the text stays the same, and the sync
// loop's reports, every few seconds, mostly change nothing.
func relabel(w interface{ SetText(string) }, text string) {
	var old string
	switch w := w.(type) {
	case *widget.Label:
		old = w.Text
	case *button:
		old = w.Text
	default:
		w.SetText(text)
		return
	}
	if old != text {
		w.SetText(text)
	}
}

// setText sets a text that takes no room while it is empty.
func setText(t *fitText, text string) {
	t.Text = text
	show(t, text != "")
	t.Refresh()
}

// minHeight gives obj, typically a scroll container, a least height.
func minHeight(obj fyne.CanvasObject, h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(0, h))
	return container.NewStack(r, obj)
}

// shorten cuts s to at most n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// columns lays out objects in columns whose widths keep the given
// proportions, so that a header and the rows under it line up while the
// product name gets more room than the counts beside it.
type columns []float32

// lineColumns are the proportions of the scan screen's line table: product,
// kind, ordered, delivered, remaining, amount, deliver now.
var lineColumns = columns{2.6, 1.5, 0.9, 1.0, 1.0, 1.3, 1.2}

func (c columns) total() float32 {
	var t float32
	for _, w := range c {
		t += w
	}
	return t
}

// MinSize implements fyne.Layout: wide enough that every column gets at
// least its widest object's width.
func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	var w, h float32
	for i, o := range objs {
		if i >= len(c) {
			break
		}
		min := o.MinSize()
		w = max(w, min.Width*c.total()/c[i])
		h = max(h, min.Height)
	}
	return fyne.NewSize(w+pad*float32(len(c)-1), h)
}

// Layout implements fyne.Layout.
func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	avail := size.Width - pad*float32(len(c)-1)
	x := float32(0)
	for i, o := range objs {
		if i >= len(c) {
			o.Hide()
			continue
		}
		w := avail * c[i] / c.total()
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}
