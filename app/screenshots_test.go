package app

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
)

// The size of the screenshots in docs/img: the smallest desk screen.
const shotW, shotH = 1024, 768

// TestScreenshots draws every screen and state the README shows, in
// Norwegian at 1024×768, with Fyne's software renderer against a real
// shopd, and saves them as docs/img/screen-*.png into $SKRANKE_SCREENSHOTS
// (`make screenshots`). It is skipped unless the variable is set. Each
// shot is taken only once the desk is in the state it shows, so that the
// test fails rather than saving a wrong picture.
func TestScreenshots(t *testing.T) {
	out := os.Getenv("SKRANKE_SCREENSHOTS")
	if out == "" {
		t.Skip("SKRANKE_SCREENSHOTS not set")
	}
	require.NoError(t, os.MkdirAll(out, 0o755))
	f := mustOpen(t, func(c *config.Config) { c.Language = "nb" })
	w := f.d.window
	save := func(name string) {
		t.Helper()
		f.idle()
		// A resize lays the window out again, as the real window does when
		// the navigation bar appears after the login.
		w.Resize(fyne.NewSize(shotW-1, shotH))
		w.Resize(fyne.NewSize(shotW, shotH))
		min := w.Content().MinSize()
		require.LessOrEqual(t, min.Width, float32(shotW), "%s: the window would be wider than the screen", name)
		img := w.Canvas().Capture()
		require.Equal(t, shotW, img.Bounds().Dx(), name)
		file, err := os.Create(filepath.Join(out, name+".png"))
		require.NoError(t, err)
		require.NoError(t, png.Encode(file, img))
		require.NoError(t, file.Close())
		t.Logf("saved %s", name)
	}
	s := f.d.scan

	save("screen-login")
	f.login("ingrid", "999999") // The manager: every button shows.

	f.scan(f.shop.Code("paid-course"))
	require.Equal(t, stateDeliverable, s.StateNow())
	save("screen-purchase")
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, s.StateNow())
	require.Equal(t, colJustDone, s.banner.bg.FillColor)
	save("screen-just-delivered")

	f.scan(f.shop.Code("delivered"))
	require.Equal(t, stateDelivered, s.StateNow())
	require.Equal(t, colDone, s.banner.bg.FillColor)
	save("screen-delivered")

	f.scan(f.shop.Code("pending"))
	require.Equal(t, stateNotPayable, s.StateNow())
	save("screen-not-paid")

	f.scan(f.shop.Code("partly-delivered"))
	f.key(fyne.KeyF6)
	require.NotEmpty(t, s.Qty)
	for _, l := range s.Purchase().Lines {
		if l.Remaining() > 0 && len(s.Qty) > 0 {
			s.Qty[l.ID].SetText("1")
			break
		}
	}
	save("screen-choose")
	test.Tap(s.DeliverChosen)
	f.idle()
	if s.SignatureOpen() {
		sign(s.Pad)
		test.Tap(s.SignAccept)
		f.idle()
	}
	require.Equal(t, stateDelivered, s.StateNow(), "%q", s.State.Text)
	save("screen-partial")

	f.scan(f.shop.Code("paid-physical"))
	f.key(fyne.KeyReturn)
	require.True(t, s.SignatureOpen())
	sign(s.Pad)
	save("screen-signature")
	test.Tap(s.SignCancel)
	f.idle()

	f.scan(f.shop.Code("other-centre"))
	require.Equal(t, stateElsewhere, s.StateNow())
	save("screen-elsewhere")

	f.scan(f.shop.Code("card-1000"))
	require.Equal(t, idCards, f.d.currentScreen())
	require.NotNil(t, f.d.cards.Card())
	save("screen-giftcard")
	f.key(fyne.KeyF6)
	save("screen-giftcard-confirm")
	f.key(fyne.KeyEscape)

	f.key(fyne.KeyF3)
	require.Equal(t, idReport, f.d.currentScreen())
	f.eventually(func() bool { return len(f.d.report.Shown()) > 0 }, "the report has today's rows")
	save("screen-report")

	f.key(fyne.KeyF4)
	save("screen-status")

	f.shop.CreatePurchase(skranke.Purchase{Status: skranke.Captured, Lines: []skranke.Line{{ProductID: "tskjorte-m", Quantity: 1}},
		Buyer: skranke.Buyer{Name: "Åse Ødegård", Email: "ase.odegard@example.no", Phone: "+47 991 69 481"}})
	f.key(fyne.KeyF9)
	f.searchFor("ase odegard")
	f.eventually(func() bool { return len(f.d.search.Shown()) > 0 }, "the search finds Åse")
	save("screen-search")
	f.key(fyne.KeyF10)
	f.eventually(func() bool { return len(f.d.pickup.Shown()) > 0 }, "the pickup list is shown")
	save("screen-pickup")

	// Offline: a code the desk has not seen cannot be looked up, and the
	// status screen says why, in words that fit the window.
	f.key(fyne.KeyF1)
	f.cutOff.Store(true)
	f.scan(skranke.NewReference())
	require.Equal(t, stateOffline, s.StateNow())
	save("screen-offline")
	f.key(fyne.KeyF4)
	f.key(fyne.KeyF6)
	f.eventually(func() bool { return !f.d.status.last.Online }, "the status screen says offline")
	save("screen-status-offline")
}

// TestScreenshotMonth saves the month, in Norwegian, at 1024×768 (the
// smallest desk screen), into $SKRANKE_SCREENSHOTS like the others.
func TestScreenshotMonth(t *testing.T) {
	out := os.Getenv("SKRANKE_SCREENSHOTS")
	if out == "" {
		t.Skip("SKRANKE_SCREENSHOTS not set")
	}
	f := mustOpen(t, func(c *config.Config) { c.Language = "nb" })
	f.eventually(func() bool { return !f.d.desk.Status().LastSync.IsZero() }, "never synced")
	f.login("ingrid", "999999")
	f.key(fyne.KeyF3)
	test.Tap(f.d.report.Month)
	showDemoMonth(f, f.d.month)
	f.d.window.Resize(fyne.NewSize(deskScreenW-1, deskScreenH))
	f.d.window.Resize(fyne.NewSize(deskScreenW, deskScreenH))
	w, err := os.Create(filepath.Join(out, "screen-month.png"))
	require.NoError(t, err)
	require.NoError(t, png.Encode(w, f.d.window.Canvas().Capture()))
	require.NoError(t, w.Close())
}
