package app

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
)

// With preview on, every job printed shows in a preview window at 1:1 and is
// written as PNG beside the file printer, numbered.
func TestPrintPreview(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.Preview = true })
	f.login("kari", "1234")
	f.d.showScreen(idStatus)
	test.Tap(f.d.status.TestPrint)
	f.idle()
	require.NotEmpty(t, f.printed(), "%s", f.d.message.Text)
	pw := f.d.preview
	require.NotNil(t, pw, "no preview window")
	require.True(t, pw.Open())
	require.Len(t, pw.Images, 1)

	first := filepath.Join(filepath.Dir(f.printPath), "printer-0001.png")
	require.Equal(t, []string{first}, pw.Files)
	file, err := os.Open(first)
	require.NoError(t, err)
	defer file.Close()
	img, err := png.Decode(file)
	require.NoError(t, err, "the PNG decodes")
	prof, _ := printer.ProfileByID("generic-80")
	want, err := printer.Render(f.printed(), prof)
	require.NoError(t, err)
	assert.Equal(t, want.Bounds(), img.Bounds(), "the PNG is the printed job")
	assert.Equal(t, prof.WidthDots, img.Bounds().Dx())
	shown := pw.Images[0]
	assert.Equal(t, img.Bounds().Dx(), shown.Image.Bounds().Dx(), "shown at 1:1")
	assert.Equal(t, fyne.NewSize(float32(img.Bounds().Dx()), float32(img.Bounds().Dy())), shown.MinSize())

	// Esc closes it.
	pw.Window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	assert.False(t, pw.Open())

	// The next job opens it again, with the next number.
	test.Tap(f.d.status.TestPrint)
	f.idle()
	require.NotNil(t, f.d.preview)
	assert.True(t, f.d.preview.Open())
	second := filepath.Join(filepath.Dir(f.printPath), "printer-0002.png")
	assert.Equal(t, []string{second}, f.d.preview.Files)
	assert.FileExists(t, second)
	test.Tap(f.d.preview.Close)
	assert.False(t, f.d.preview.Open())
}

// A scan typed while the preview window has the keyboard reaches the desk's
// scan field: the preview never swallows the next customer's code.
func TestScanWhilePreviewHasFocus(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.Preview = true })
	f.login("kari", "1234")
	first, next := f.shop.Code("paid-course"), f.shop.Code("delivered")
	f.scan(first)
	f.key(fyne.KeyReturn) // Deliver all: the note prints and the preview opens.
	require.NotNil(t, f.d.preview, "%s", f.d.message.Text)
	require.True(t, f.d.preview.Open())

	pc := f.d.preview.Window.Canvas()
	for _, r := range next {
		pc.OnTypedRune()(r)
	}
	pc.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.idle()
	p := f.d.scan.Purchase()
	require.NotNil(t, p, "the scan typed into the preview was lost: %s", f.d.message.Text)
	assert.Equal(t, next, p.Code)
	assert.True(t, f.d.preview.Open(), "typing does not close the preview")
}

// Without preview, printing writes no PNG and opens no window.
func TestNoPreviewByDefault(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.d.showScreen(idStatus)
	test.Tap(f.d.status.TestPrint)
	f.idle()
	require.NotEmpty(t, f.printed())
	assert.Nil(t, f.d.preview)
	pngs, err := filepath.Glob(filepath.Join(filepath.Dir(f.printPath), "*.png"))
	require.NoError(t, err)
	assert.Empty(t, pngs)
}
