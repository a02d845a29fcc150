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

// TestScreenshotsSearchPickup saves the search and pickup screens as PNG
// into $SKRANKE_SCREENSHOTS (docs/img), drawn by Fyne's software renderer
// against a real shopd. It is skipped unless the variable is set.
func TestScreenshotsSearchPickup(t *testing.T) {
	out := os.Getenv("SKRANKE_SCREENSHOTS")
	if out == "" {
		t.Skip("SKRANKE_SCREENSHOTS not set")
	}
	f := mustOpen(t)
	f.d.window.Resize(fyne.NewSize(1200, 800))
	f.login("kari", "1234")
	save := func(name string) {
		// A resize lays the window out again, as the real window does when
		// the navigation bar appears after the login.
		f.d.window.Resize(fyne.NewSize(1199, 800))
		f.d.window.Resize(fyne.NewSize(1200, 800))
		img := f.d.window.Canvas().Capture()
		w, err := os.Create(filepath.Join(out, name))
		require.NoError(t, err)
		require.NoError(t, png.Encode(w, img))
		require.NoError(t, w.Close())
	}
	f.shop.CreatePurchase(skranke.Purchase{Status: skranke.Captured, Lines: []skranke.Line{{ProductID: "tskjorte-m", Quantity: 1}},
		Buyer: skranke.Buyer{Name: "Åse Ødegård", Email: "ase.odegard@example.no", Phone: "+47 991 69 481"}})
	f.key(fyne.KeyF9)
	f.searchFor("ase odegard")
	require.NotEmpty(t, f.d.search.Shown())
	save("screen-search.png")
	f.key(fyne.KeyF10)
	require.NotEmpty(t, f.d.pickup.Shown())
	save("screen-pickup.png")
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
	f.eventually(func() bool { return f.d.month.Shown() != nil }, "the month never showed")
	f.d.window.Resize(fyne.NewSize(deskScreenW-1, deskScreenH))
	f.d.window.Resize(fyne.NewSize(deskScreenW, deskScreenH))
	w, err := os.Create(filepath.Join(out, "screen-month.png"))
	require.NoError(t, err)
	require.NoError(t, png.Encode(w, f.d.window.Canvas().Capture()))
	require.NoError(t, w.Close())
}
