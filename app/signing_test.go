package app

import (
	"bytes"
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
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
	// The desk deleted its copy once the shop had it; the shop shows it
	// to managers only.
	_, err := f.desk.Signature(t.Context(), dl.SignatureID)
	require.Error(t, err, "staff do not see the shop's copy")
	_, err = f.desk.Login(t.Context(), "ingrid", "999999")
	require.NoError(t, err)
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

// A scan while the buyer signs accepts nothing: its characters and its
// Enter (and the Enter of a CR+LF suffix after it) leave the half-drawn
// signature open, and the code waits as the next customer, opened once
// the signature is done.
func TestScanWhileSigningWaitsAsNextCustomer(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-physical")
	next := f.shop.Code("paid-course")
	s := f.d.scan
	f.scan(code)
	f.key(fyne.KeyReturn)
	require.True(t, s.SignatureOpen())
	sign(s.Pad) // Half-drawn, as far as anyone knows.

	test.Type(f.d.window.Canvas().Focused(), next) // At scanner speed, on the pad that has the focus.
	f.key(fyne.KeyReturn)
	f.clock.advance(10 * time.Millisecond)
	f.key(fyne.KeyReturn)
	assert.True(t, s.SignatureOpen(), "the scan's Enter accepted the signature")
	assert.Empty(t, f.shop.Deliveries(code))
	assert.True(t, s.NextWaiting.Visible())
	assert.Contains(t, s.NextWaiting.Text, skranke.GroupCode(next), "the next customer's code is shown, not lost")
	assert.Equal(t, s.Pad, f.d.window.Canvas().Focused(), "the pad keeps the keyboard")

	// The buyer finishes; staff press Enter: delivered, then the next
	// customer's purchase opens.
	f.clock.advance(time.Second)
	f.key(fyne.KeyReturn)
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the signed delivery never reached the shop")
	require.NotNil(t, s.Purchase())
	assert.Equal(t, next, s.Purchase().Code, "the next customer's purchase opens after the signature")
	assert.Equal(t, stateDeliverable, s.StateNow())
	assert.False(t, s.NextWaiting.Visible())
	assert.True(t, s.DeliverAll.Disabled(), "and is not delivered by anything that came before")
}

// A hardware scanner's reading while the buyer signs waits too, and opens
// when the signature is cancelled.
func TestSerialScanWhileSigningOpensAfterCancel(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-physical")
	next := f.shop.Code("pending")
	s := f.d.scan
	f.scan(code)
	f.key(fyne.KeyReturn)
	require.True(t, s.SignatureOpen())
	f.d.submit(next, "serial:/dev/ttyUSB0")
	f.idle()
	assert.True(t, s.SignatureOpen())
	assert.Contains(t, f.d.message.Text, skranke.GroupCode(next))
	f.key(fyne.KeyEscape)
	require.False(t, s.SignatureOpen())
	require.NotNil(t, s.Purchase())
	assert.Equal(t, next, s.Purchase().Code)
	assert.Equal(t, stateNotPayable, s.StateNow())
	assert.Empty(t, f.shop.Deliveries(code))
}

// A product's EAN-8 from a HID POS scanner while the buyer signs is known
// by its symbology for what it is, not a code of ours, even when its
// digits would pass our check: it is refused, not kept as the next
// customer.
func TestProductEAN8ScannedWhileSigningIsNotAReceipt(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	ean8 := productEAN8(t)
	s := f.d.scan
	f.scan(f.shop.Code("paid-physical"))
	f.key(fyne.KeyReturn)
	require.True(t, s.SignatureOpen())
	f.d.handleReading(scanner.Reading{Data: ean8, Symbology: scanner.SymEAN8, Source: "hid:0c2e:0b61"})
	f.idle()
	require.True(t, s.SignatureOpen())
	assert.False(t, s.NextWaiting.Visible(), "EAN-8 %s queued as the next customer", ean8)
	assert.Equal(t, label("sign.next_not_ours", m{"Code": ean8}), f.d.message.Text)
}

// A scan whose Enter comes late (a slow suffix) on the pad is still the
// next customer, and a few keys pressed there accept nothing.
func TestLateEnterOnPadQueuesTheCode(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	f.scan(f.shop.Code("paid-physical"))
	f.key(fyne.KeyReturn)
	require.True(t, s.SignatureOpen())
	sign(s.Pad)
	f.typeByHand(s.Pad, "ab")
	f.key(fyne.KeyReturn)
	assert.True(t, s.SignatureOpen(), "keys on the pad and Enter accepted the signature")
	assert.False(t, s.NextWaiting.Visible())

	next := f.shop.Code("pending")
	test.Type(s.Pad, next)
	f.clock.advance(200 * time.Millisecond)
	f.key(fyne.KeyReturn)
	assert.True(t, s.SignatureOpen())
	assert.Contains(t, s.NextWaiting.Text, skranke.GroupCode(next))
}

// While the buyer signs, the first code scanned waits; a second customer's
// code is not queued behind it (nor does it replace it silently): staff
// hear the refusal tone and read that it was not queued. A second read of
// the waiting code changes nothing. When the signature is done, the first
// code opens.
func TestSecondScanWhileSigningIsNotQueued(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		t.Run(lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = lang })
			f.login("kari", "1234")
			s := f.d.scan
			code := f.shop.Code("paid-physical")
			first, second := f.shop.Code("paid-course"), f.shop.Code("pending")
			f.scan(code)
			f.key(fyne.KeyReturn)
			require.True(t, s.SignatureOpen())

			f.d.submit(first, "serial:/dev/ttyUSB0")
			f.idle()
			require.Contains(t, s.NextWaiting.Text, skranke.GroupCode(first))
			tones := f.tones.n.Load()
			f.d.submit(first, "serial:/dev/ttyUSB0") // The same label read again.
			f.idle()
			assert.Equal(t, tones, f.tones.n.Load(), "a second read of the waiting code is no refusal")
			assert.Equal(t, label("sign.next_waiting", m{"Code": skranke.GroupCode(first)}), s.NextWaiting.Text)

			f.d.submit(second, "serial:/dev/ttyUSB0")
			f.idle()
			assert.True(t, s.SignatureOpen(), "the second code interrupts nothing")
			assert.Equal(t, tones+1, f.tones.n.Load(), "the refusal tone says the second code was not taken")
			assert.True(t, s.NextWaiting.Visible())
			assert.Contains(t, s.NextWaiting.Text, skranke.GroupCode(first), "the first still waits, and the panel says so")
			notQueued := label("sign.next_not_queued", m{"Code": skranke.GroupCode(second), "First": skranke.GroupCode(first)})
			assert.Contains(t, s.NextWaiting.Text, notQueued)
			assert.Equal(t, notQueued, f.d.message.Text)

			sign(s.Pad)
			f.clock.advance(time.Second)
			f.key(fyne.KeyReturn)
			f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the signed delivery never reached the shop")
			require.NotNil(t, s.Purchase())
			assert.Equal(t, first, s.Purchase().Code, "the first code waiting opens after the signature")
			assert.False(t, s.NextWaiting.Visible())
		})
	}
}

// The next customer's code scanned on the signature pad while the desk,
// busy drawing, handled its first key and held the rest back (as
// TestScanHeldApartByASlowFrame in the scan field): the code waits whole
// and opens after the signature. The pad queued the code without its held
// first key, so the next customer's receipt was refused as a bad code.
func TestScanHeldApartWhileSigningWaitsWhole(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-physical")
	next := f.shop.Code("paid-course")
	s := f.d.scan
	f.scan(code)
	f.key(fyne.KeyReturn)
	require.True(t, s.SignatureOpen())
	sign(s.Pad)

	f.clock.advance(2 * time.Second) // The buyer signs; then the next code comes.
	pad := f.d.window.Canvas().Focused()
	require.Equal(t, s.Pad, pad)
	test.Type(pad, next[:1])
	f.clock.advance(2700 * time.Millisecond) // A frame holds the rest back.
	test.Type(pad, next[1:])
	f.key(fyne.KeyReturn)
	require.True(t, s.SignatureOpen(), "the scan's Enter accepted the signature")
	require.True(t, s.NextWaiting.Visible())
	assert.Contains(t, s.NextWaiting.Text, skranke.GroupCode(next), "the next customer's code waits whole")

	f.clock.advance(time.Second)
	f.key(fyne.KeyReturn)
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the signed delivery never reached the shop")
	p := s.Purchase()
	require.NotNil(t, p, "the next customer's code was refused: %s / %s", s.State.Text, s.Detail.Text)
	assert.Equal(t, next, p.Code)
	assert.Equal(t, stateDeliverable, s.StateNow())
}

// While the buyer signs, a reading that is not a code of ours (a product's
// barcode on the goods, a misread receipt) is not kept as the next
// customer: it would hold the place of the real one, and open as an
// unknown code after the signature. Staff hear the refusal tone and read
// why; the real next customer's code, scanned after it, waits as usual.
func TestScanWhileSigningQueuesOnlyOurCodes(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		t.Run(lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = lang })
			f.login("kari", "1234")
			s := f.d.scan
			code, next := f.shop.Code("paid-physical"), f.shop.Code("paid-course")
			f.scan(code)
			f.key(fyne.KeyReturn)
			require.True(t, s.SignatureOpen())

			for _, stray := range []string{"7038010009457", "HELLO-WORLD-42"} {
				f.clock.advance(time.Second) // Apart: refusals in one moment sound once.
				tones := f.tones.n.Load()
				f.d.submit(stray, "serial:/dev/ttyUSB0")
				f.idle()
				assert.True(t, s.SignatureOpen(), "%s interrupted the signature", stray)
				assert.False(t, s.NextWaiting.Visible(), "%s is kept as the next customer", stray)
				assert.Equal(t, tones+1, f.tones.n.Load(), "no refusal tone for %s", stray)
				assert.Equal(t, label("sign.next_not_ours", m{"Code": stray}), f.d.message.Text)
			}
			f.d.submit(next, "serial:/dev/ttyUSB0")
			f.idle()
			assert.Contains(t, s.NextWaiting.Text, skranke.GroupCode(next), "the real next customer is not queued")
		})
	}
}
