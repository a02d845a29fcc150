package app

import (
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

// rawError matches what a Go error says that staff should never read: the
// operation that failed (sync.Desk.Lookup), or the system's English.
var rawError = regexp.MustCompile(`\b(sync|printer|scanner|skranke|shop|desksync|app)\.[A-Z]\w*\.\w+|dial tcp|connection refused|no such file or directory|context deadline|EOF\b|%!`)

// shownTexts lists every text drawn under root.
func shownTexts(root fyne.CanvasObject) []string {
	if root == nil || !root.Visible() {
		return nil
	}
	var out []string
	switch o := root.(type) {
	case *canvas.Text:
		out = append(out, o.Text)
	case *fitText:
		out = append(out, o.Text)
	case *widget.Label:
		out = append(out, o.Text)
	case *widget.RichText:
		out = append(out, o.String())
	}
	for _, c := range drawnUnder(root) {
		out = append(out, shownTexts(c)...)
	}
	return out
}

// Offline, in Norwegian, with a printer that cannot print and long texts in
// every field, every screen keeps the window within a 1024×768 screen:
// text wraps or is shortened, never widens the window. And no error staff
// see is a raw Go error.
func TestNoTextWidensTheWindow(t *testing.T) {
	long := "/var/lib/skranke/" + strings.Repeat("en-svaert-lang-mappe-som-ingen-skriver-finnes-i/", 6) + "skriver.bin"
	f := mustOpen(t, func(c *config.Config) {
		c.Language = "nb"
		c.Training = true
		c.PrinterTarget = "file://" + long
		c.NoteHeader = strings.Repeat("Velkommen til Aktiv Trening Stavanger sentrum! ", 5)
	})
	f.login("ingrid", "999999")
	w := f.d.window
	check := func(what string) {
		t.Helper()
		w.Resize(fyne.NewSize(deskScreenW-1, deskScreenH))
		w.Resize(fyne.NewSize(deskScreenW, deskScreenH))
		min, budget := w.Content().MinSize(), contentBudget()
		assert.LessOrEqual(t, min.Width, budget.Width, "%s: the window asks for %.0f px", what, min.Width)
		for _, text := range shownTexts(w.Content()) {
			assert.False(t, rawError.MatchString(text), "%s: staff read a raw error: %q", what, text)
		}
		for _, text := range shownTexts(w.Canvas().Overlays().Top()) {
			assert.False(t, rawError.MatchString(text), "%s: staff read a raw error in a dialog: %q", what, text)
		}
	}

	// Online first, so that the cache holds a purchase; then the line goes.
	f.submit("many-lines")
	f.cutOff.Store(true)
	f.submit("many-lines")
	require.NotEmpty(t, f.d.scan.Cache.Text, "offline, from the cache")
	check("scan offline")
	f.key(fyne.KeyF8) // A reprint on a printer that is not there.
	check("scan, reprint failed")
	f.scan("THIS-IS-NOT-A-CODE-" + strings.Repeat("WXYZ", 30))
	check("scan, not a code")
	f.scan(f.shop.Code("other-centre"))
	check("scan, offline and not cached")
	f.scan(f.shop.Code("card-chain"))
	check("gift card offline")

	for _, k := range []fyne.KeyName{fyne.KeyF3, fyne.KeyF4, fyne.KeyF5, fyne.KeyF9, fyne.KeyF10, fyne.KeyF11, fyne.KeyF2, fyne.KeyF1} {
		f.key(k)
		check(string(k))
		f.key(fyne.KeyF6) // Each screen's own action, offline.
		f.idle()
		check(string(k) + " then F6")
		f.key(fyne.KeyF8) // And printing, where the screen prints.
		f.idle()
		check(string(k) + " then F8")
		f.key(fyne.KeyEscape)
	}
	f.key(fyne.KeyF4)
	test.Tap(f.d.status.CheckPrinter)
	f.idle()
	check("status offline, printer gone")
}
