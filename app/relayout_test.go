package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

// frames does between UI updates what Fyne's GL driver does before it
// paints a frame (internal/driver/common.Canvas.EnsureMinSize in Fyne
// 2.7.1), which fyne's test canvas never does: it walks the visible objects
// depth first, keeps the least size each had in the last frame, and lays
// out again the parent of one whose least size changed. As in the driver,
// an object is known from the last frame only while the visible objects
// before it under its parent are the same, and the parent waiting to be laid
// out again is one slot: a change found further on in a sibling's subtree,
// before the walk is back at that parent, takes its place.
type frames struct {
	root    *frameNode
	pending *frameNode
}

type frameNode struct {
	obj  fyne.CanvasObject
	min  fyne.Size
	kids []*frameNode
}

// frame is one frame of the driver over content.
func (fr *frames) frame(content fyne.CanvasObject) {
	fr.pending = nil
	fr.root = fr.walk(content, fr.root, nil)
}

func (fr *frames) walk(obj fyne.CanvasObject, n, parent *frameNode) *frameNode {
	if n == nil || n.obj != obj {
		n = &frameNode{obj: obj}
	}
	var kids []*frameNode
	same := true
	for _, c := range drawnUnder(obj) {
		if c == nil || !c.Visible() {
			continue
		}
		var old *frameNode
		if same && len(kids) < len(n.kids) && n.kids[len(kids)].obj == c {
			old = n.kids[len(kids)]
		} else {
			same = false
		}
		kids = append(kids, fr.walk(c, old, n))
	}
	n.kids = kids
	if fr.pending == n {
		layOut(obj)
		fr.pending = nil
	}
	if ms := obj.MinSize(); ms != n.min {
		n.min = ms
		if parent != nil {
			fr.pending = parent
		} else {
			layOut(obj)
		}
	}
	return n
}

// layOut lays obj's children out again at its present size, as the
// driver's updateLayout does.
func layOut(obj fyne.CanvasObject) {
	switch o := obj.(type) {
	case *fyne.Container:
		if o.Layout != nil {
			o.Layout.Layout(o.Objects, o.Size())
		}
	case fyne.Widget:
		test.WidgetRenderer(o).Layout(o.Size())
	}
}

// rect is where obj is drawn in the window.
type rect struct{ x, y, w, h float32 }

func rectOf(obj fyne.CanvasObject) rect {
	p := fyne.CurrentApp().Driver().AbsolutePositionForObject(obj)
	s := obj.Size()
	return rect{p.X, p.Y, s.Width, s.Height}
}

func (r rect) overlaps(o rect) bool {
	return r.x < o.x+o.w && o.x < r.x+r.w && r.y < o.y+o.h && o.y < r.y+r.h
}

// After a delivery with a signature made offline, "waiting to sync" shows
// in a place of its own above the purchase, not on top of the buyer's
// e-mail and phone. frames plays the GL driver's part, which lost the
// relayout of the screen when the Undo button appeared in the same frame.
func TestSyncMarkGetsItsRoom(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		t.Run(lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = lang })
			w := f.d.window
			w.Resize(fyne.NewSize(deskScreenW, deskScreenH))
			fr := &frames{}
			step := func() {
				t.Helper()
				for f.d.runPending() > 0 {
					fr.frame(w.Content())
				}
				fr.frame(w.Content())
			}
			press := func(k fyne.KeyName) {
				t.Helper()
				c := w.Canvas()
				if foc := c.Focused(); foc != nil {
					foc.TypedKey(&fyne.KeyEvent{Name: k})
				} else {
					c.OnTypedKey()(&fyne.KeyEvent{Name: k})
				}
				fr.frame(w.Content())
			}
			f.login("kari", "1234")
			step()
			s := f.d.scan
			code := f.shop.Code("paid-physical")
			f.scan(code) // Online: the desk keeps a copy.
			step()
			require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
			require.False(t, s.SyncMark.Visible())

			f.shop.Stop()
			press(fyne.KeyReturn)
			step()
			require.True(t, s.SignatureOpen())
			sign(s.Pad)
			step()
			press(fyne.KeyReturn) // The buyer has signed: hand over.
			f.idle()
			fr.frame(w.Content())
			require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
			require.True(t, s.SyncMark.Visible(), "the delivery waits to sync")

			mark, buyer, lines := rectOf(s.SyncMark), rectOf(s.Buyer), rectOf(s.linesArea)
			t.Logf("mark %+v, buyer %+v, lines %+v", mark, buyer, lines)
			assert.Greater(t, mark.h, float32(0), "the mark has no room")
			assert.False(t, mark.overlaps(buyer), "the mark %+v lies on the buyer %+v", mark, buyer)
			assert.LessOrEqual(t, mark.y+mark.h, lines.y, "the mark %+v reaches into the purchase %+v", mark, lines)
			for name, o := range map[string]fyne.CanvasObject{"banner": s.banner.obj, "code": s.Code, "detail": s.Detail} {
				assert.False(t, mark.overlaps(rectOf(o)), "the mark %+v lies on the %s %+v", mark, name, rectOf(o))
			}
		})
	}
}
