package app

import (
	"bytes"
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/printer"
)

func TestSignatureRequiredForPhysicalGoods(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-physical")
	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)

	f.key(fyne.KeyReturn) // Deliver all: physical goods, so the pad opens.
	require.True(t, s.SignatureOpen(), "physical goods ask for a signature")
	assert.Equal(t, s.Pad, f.d.window.Canvas().Focused(), "Enter and Esc go to the pad")

	// A blank pad is refused, and nothing is handed over.
	test.Tap(s.SignAccept)
	f.idle()
	assert.True(t, s.SignatureOpen())
	assert.Contains(t, s.SignMessage.Text, "blank")
	// A tap is not a signature either.
	test.Tap(s.Pad)
	f.key(fyne.KeyReturn)
	assert.True(t, s.SignatureOpen())
	assert.Empty(t, f.shop.Deliveries(code))
	assert.Empty(t, f.printed())

	test.Tap(s.SignClear)
	sign(s.Pad)
	f.key(fyne.KeyReturn) // Enter accepts.
	require.False(t, s.SignatureOpen())
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)

	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "delivery not at the shop")
	dl := f.shop.Deliveries(code)[0]
	require.NotEmpty(t, dl.SignatureID, "the delivery carries the signature")
	png, err := f.desk.Signature(t.Context(), dl.SignatureID)
	require.NoError(t, err)
	img, _, err := image.Decode(bytes.NewReader(png))
	require.NoError(t, err)
	assert.LessOrEqual(t, img.Bounds().Dx(), signatureWidth)
	assert.Greater(t, img.Bounds().Dx(), 100, "the signature keeps its size, cropped to the ink")

	// The note carries the signature as a raster image with ink in it.
	f.eventually(func() bool { return len(f.printed()) > 0 }, "nothing printed: %s", f.d.message.Text)
	images, ink := rasterInk(f.printed())
	assert.GreaterOrEqual(t, images, 1, "the signature is printed as a raster image")
	assert.Greater(t, ink, 200, "the printed signature has ink")
	rendered, err := printer.Render(f.printed(), mustProfile(t))
	require.NoError(t, err)
	assert.Greater(t, rendered.Bounds().Dy(), 300)

	// The history shows the delivery with its signature thumbnail.
	f.scan(code)
	assert.Contains(t, s.State.Text, "ALREADY DELIVERED")
	require.NotEmpty(t, s.History.Objects)

	// A reprint is marked as a copy.
	n := len(f.printed())
	test.Tap(s.Reprint)
	f.idle()
	f.eventually(func() bool { return len(f.printed()) > n }, "reprint not printed")
	assert.True(t, bytes.Contains(f.printed()[n:], []byte("COPY")))
}

func TestSignatureCancelHandsOverNothing(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-physical")
	f.scan(code)
	test.Tap(f.d.scan.DeliverAll)
	require.True(t, f.d.scan.SignatureOpen())
	sign(f.d.scan.Pad)
	f.key(fyne.KeyEscape)
	assert.False(t, f.d.scan.SignatureOpen())
	assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused(), "focus returns to the scan field")
	assert.Empty(t, f.shop.Deliveries(code))
}
