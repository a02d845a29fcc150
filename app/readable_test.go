package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

// labelsUnder lists the labels drawn under root.
func labelsUnder(root fyne.CanvasObject) []*widget.Label {
	var out []*widget.Label
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

// labelTextSize is the size a label draws its text at: its own SizeName's,
// or the text size of the theme it is under.
func labelTextSize(l *widget.Label) float32 {
	if l.SizeName != "" {
		return theme.SizeForWidget(l.SizeName, l)
	}
	return theme.SizeForWidget(theme.SizeNameText, l)
}

// A purchase's lines, its buyer and the staff names at the login are
// read from a step back: at least 18 px, at 1024×768.
func TestLinesAndNamesReadable(t *testing.T) {
	f := mustOpen(t)
	f.d.window.Resize(fyne.NewSize(deskScreenW, deskScreenH))
	require.NotEmpty(t, f.d.login.StaffButtons)
	for id, b := range f.d.login.StaffButtons {
		r := test.WidgetRenderer(b).(*tileRenderer)
		r.Layout(b.Size())
		assert.GreaterOrEqual(t, r.name.DrawnSize(), float32(18), "staff tile %s (%q)", id, b.Text)
		assert.Equal(t, b.Text, r.name.Text)
	}
	f.login("kari", "1234")
	f.d.window.Resize(fyne.NewSize(deskScreenW, deskScreenH))
	f.scan(f.shop.Code("many-lines"))
	s := f.d.scan
	labels := labelsUnder(s.Lines)
	require.NotEmpty(t, labels)
	for _, l := range append(labels, s.Buyer) {
		assert.GreaterOrEqual(t, labelTextSize(l), float32(18), "%q", l.Text)
	}
	// And the window still fits the desk screen.
	assert.LessOrEqual(t, f.d.window.Content().MinSize().Width, contentBudget().Width)

	f.scan(f.shop.Code("card-chain"))
	labels = labelsUnder(f.d.cards.Chain)
	require.NotEmpty(t, labels)
	for _, l := range labels {
		assert.GreaterOrEqual(t, labelTextSize(l), float32(18), "%q", l.Text)
	}
}

// Left and Right move between the staff tiles at the login, as Up and Down
// do, and the PIN typed so far stays.
func TestArrowsMoveBetweenStaffTiles(t *testing.T) {
	f := mustOpen(t)
	l := f.d.login
	require.GreaterOrEqual(t, len(l.staff), 3)
	first := l.Selected.Text
	l.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	second := l.Selected.Text
	assert.NotEqual(t, first, second, "Right chose the next tile")
	l.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	assert.NotEqual(t, second, l.Selected.Text)
	l.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	assert.Equal(t, second, l.Selected.Text, "Left went back")
	l.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	assert.Equal(t, first, l.Selected.Text)
	l.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	assert.Equal(t, l.staff[len(l.staff)-1].Name, l.Selected.Text, "Left from the first goes round to the last")
}

// The lock screen shows nothing of the last person's work: neither the
// message they saw, nor what their print says when it ends after the lock.
func TestLockScreenShowsNoMessageOfThePreviousUser(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.scan(f.shop.Code("paid-course"))
	f.key(fyne.KeyReturn)
	f.scan(skranke.NewReference())
	f.d.sayErr("a message for Kari")
	require.NotEmpty(t, f.d.message.Text)
	f.key(fyne.KeyF12)
	require.Nil(t, f.d.currentStaff())
	assert.Empty(t, f.d.message.Text, "the lock clears the message bar")
	test.Tap(f.d.scan.Reprint) // Work of Kari's that ends after the lock.
	f.idle()
	assert.Empty(t, f.d.message.Text, "a late message is not shown on the lock screen")
	f.login("kari", "1234")
	assert.Contains(t, f.d.message.Text, "Kari", "messages come back with the next login")
}

// F6 opens the quantity fields at 0: nothing is handed over that staff did
// not choose.
func TestChooseQuantitiesStartsAtZero(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("many-lines")
	before := len(f.shop.Deliveries(code))
	f.scan(code)
	f.key(fyne.KeyF6)
	s := f.d.scan
	require.NotEmpty(t, s.Qty)
	for id, e := range s.Qty {
		assert.Equal(t, "0", e.Text, "line %s", id)
	}
	f.key(fyne.KeyReturn) // Enter with nothing chosen hands over nothing.
	assert.Len(t, f.shop.Deliveries(code), before)
	assert.Equal(t, stateDeliverable, s.StateNow())
}
