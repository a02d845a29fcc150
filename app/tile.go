package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// staffTile is a staff member's tile at the login: a name at readText on a
// button's background, chosen (Importance high) or not. It draws its name
// itself, in the app's theme, rather than being a widget.Button under a
// theme override: each override makes Fyne parse its fonts again and keep
// them, some 1.5 MB per style, and the login is where the desk waits most
// of the day.
type staffTile struct {
	widget.BaseWidget
	// Text is the name on the tile.
	Text string
	// Importance is widget.HighImportance for the staff member chosen.
	Importance widget.Importance
	// OnTapped is called when the tile is tapped or clicked.
	OnTapped func()

	keys    keyHandler
	hovered bool
}

func newStaffTile(keys keyHandler, text string, tapped func()) *staffTile {
	t := &staffTile{Text: text, OnTapped: tapped, keys: keys}
	t.ExtendBaseWidget(t)
	return t
}

// Tapped implements fyne.Tappable.
func (t *staffTile) Tapped(*fyne.PointEvent) {
	t.keys.touch()
	if t.OnTapped != nil {
		t.OnTapped()
	}
}

// Cursor implements desktop.Cursorable.
func (t *staffTile) Cursor() desktop.Cursor { return desktop.PointerCursor }

// MouseIn implements desktop.Hoverable.
func (t *staffTile) MouseIn(*desktop.MouseEvent) { t.setHovered(true) }

// MouseMoved implements desktop.Hoverable.
func (t *staffTile) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (t *staffTile) MouseOut() { t.setHovered(false) }

func (t *staffTile) setHovered(on bool) {
	if t.hovered != on {
		t.hovered = on
		t.Refresh()
	}
}

// CreateRenderer implements fyne.Widget.
func (t *staffTile) CreateRenderer() fyne.WidgetRenderer {
	r := &tileRenderer{t: t, bg: canvas.NewRectangle(color.Transparent), hover: canvas.NewRectangle(color.Transparent),
		icon: canvas.NewImageFromResource(nil), name: newFitText("", color.Black, readText),
		plain:  theme.NewColoredResource(theme.AccountIcon(), theme.ColorNameForeground),
		chosen: theme.NewColoredResource(theme.AccountIcon(), theme.ColorNameForegroundOnPrimary)}
	r.icon.FillMode = canvas.ImageFillContain
	r.name.TextStyle = fyne.TextStyle{Bold: true}
	r.name.Alignment = fyne.TextAlignCenter
	r.Refresh()
	return r
}

type tileRenderer struct {
	t         *staffTile
	bg, hover *canvas.Rectangle
	icon      *canvas.Image
	name      *fitText
	// The icon in the colours of a plain tile's text and a chosen one's.
	plain, chosen fyne.Resource
}

func (r *tileRenderer) pad() float32 { return theme.Size(theme.SizeNameInnerPadding) }

// iconSize is the icon's side: the inline icon's, as on a button.
func (r *tileRenderer) iconSize() float32 { return theme.Size(theme.SizeNameInlineIcon) }

// The icon sits above the name, both centred: the name gets the tile's
// whole width, which a long name with a star needs at readText.
func (r *tileRenderer) MinSize() fyne.Size {
	n := r.name.MinSize()
	return fyne.NewSize(fyne.Max(r.iconSize(), n.Width)+2*r.pad(), r.iconSize()+theme.Padding()+n.Height+2*r.pad())
}

func (r *tileRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	r.hover.Resize(size)
	icon, gap, pad := r.iconSize(), theme.Padding(), r.pad()
	r.name.Room = size.Width - 2*pad
	n := r.name.MinSize()
	top := fyne.Max(pad, (size.Height-icon-gap-n.Height)/2)
	r.icon.Resize(fyne.NewSquareSize(icon))
	r.icon.Move(fyne.NewPos((size.Width-icon)/2, top))
	r.name.Resize(fyne.NewSize(size.Width-2*pad, n.Height))
	r.name.Move(fyne.NewPos(pad, top+icon+gap))
}

// Refresh draws the tile in the default theme's colours, as the other
// buttons beside it (under big, whose theme is the default theme's).
func (r *tileRenderer) Refresh() {
	th, v := theme.DefaultTheme(), fyne.CurrentApp().Settings().ThemeVariant()
	high := r.t.Importance == widget.HighImportance
	r.bg.CornerRadius = th.Size(theme.SizeNameInputRadius)
	r.hover.CornerRadius = r.bg.CornerRadius
	fgName := theme.ColorNameForeground
	r.bg.FillColor = th.Color(theme.ColorNameButton, v)
	if high {
		fgName = theme.ColorNameForegroundOnPrimary
		r.bg.FillColor = th.Color(theme.ColorNamePrimary, v)
	}
	fg := th.Color(fgName, v)
	r.hover.FillColor = color.Transparent
	if r.t.hovered {
		r.hover.FillColor = th.Color(theme.ColorNameHover, v)
	}
	icon := r.plain
	if high {
		icon = r.chosen
	}
	if r.icon.Resource != icon {
		r.icon.Resource = icon
		r.icon.Refresh()
	}
	if r.name.Text != r.t.Text || r.name.Color != fg {
		r.name.Text, r.name.Color = r.t.Text, fg
		r.name.Refresh()
	}
	r.bg.Refresh()
	r.hover.Refresh()
	r.Layout(r.t.Size())
}

func (r *tileRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.hover, r.icon, r.name}
}

func (r *tileRenderer) Destroy() {}
