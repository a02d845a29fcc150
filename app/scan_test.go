package app

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
)

func TestScanAndDeliver(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")

	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), "state %q: %s", s.State.Text, s.Detail.Text)
	assert.Contains(t, s.State.Text, "READY TO DELIVER")
	assert.Equal(t, skranke.GroupCode(code), s.Code.Text)
	p := f.shop.Purchase(code)
	assert.Contains(t, s.Buyer.Text, p.Buyer.Name)
	assert.Contains(t, s.Buyer.Text, p.Total().String())
	assert.Regexp(t, `kr \d[\d ]*,\d\d`, s.Buyer.Text)
	assert.Empty(t, s.Cache.Text, "online lookup must not say offline")

	// Enter on the empty scan field confirms the delivery.
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, s.StateNow(), "state %q, message %q", s.State.Text, f.d.message.Text)
	assert.Equal(t, "DELIVERED", s.State.Text)
	assert.Equal(t, colJustDone, s.banner.bg.FillColor, "just delivered has its own colour")
	assert.Contains(t, f.d.message.Text, "Delivered")
	assert.NotContains(t, s.Detail.Text, "waiting to sync", "online, the shop took it at once")
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "delivery never reached the shop")
	dl := f.shop.Deliveries(code)[0]
	assert.Equal(t, "kari", dl.StaffID, "the delivery records who did it")

	// The note went to the printer, with the grouped code on it.
	f.eventually(func() bool { return len(f.printed()) > 0 }, "nothing printed: %s", f.d.message.Text)
	assert.True(t, bytes.Contains(f.printed(), []byte(printer.GroupCode(code))), "the note shows the code")

	// The scan field has the focus again, and a second scan says it was delivered.
	f.scan(code)
	assert.Equal(t, stateDelivered, s.StateNow())
	assert.Contains(t, s.State.Text, "ALREADY DELIVERED")
	assert.Equal(t, colDone, s.banner.bg.FillColor)
	assert.Contains(t, s.Detail.Text, "Kari Nordmann")
	assert.True(t, s.DeliverAll.Disabled())
}

func TestUnpaidCannotBeDelivered(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	for label, want := range map[string]string{
		"pending":   "PAYMENT PENDING",
		"failed":    "PAYMENT FAILED",
		"credited":  "CREDITED",
		"cancelled": "CANCELLED",
	} {
		code := f.shop.Code(label)
		f.scan(code)
		s := f.d.scan
		require.Equal(t, stateNotPayable, s.StateNow(), "%s: %q", label, s.State.Text)
		assert.Contains(t, s.State.Text, want, label)
		assert.NotEmpty(t, s.Detail.Text, "%s: says why", label)
		assert.True(t, s.DeliverAll.Disabled(), label)
		f.key(fyne.KeyReturn) // Enter must not deliver.
		test.Tap(s.DeliverAll)
		f.idle()
		assert.Equal(t, stateNotPayable, s.StateNow(), label)
	}
	assert.Empty(t, f.shop.Deliveries(f.shop.Code("pending")))
}

func TestUnknownAndInvalidCodes(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan

	unknown := skranke.NewReference()
	f.scan(unknown)
	assert.Equal(t, stateUnknown, s.StateNow())
	assert.Contains(t, s.State.Text, "UNKNOWN CODE")
	assert.Contains(t, s.Detail.Text, skranke.GroupCode(unknown))

	f.scan("HELLO-WORLD!")
	assert.Equal(t, stateUnknown, s.StateNow())
	assert.Contains(t, s.Detail.Text, "HELLO-WORLD!", "shows what was read")

	// One character misread: the check character catches it.
	good := f.shop.Code("paid-course")
	bad := []byte(good)
	if bad[0] == 'A' {
		bad[0] = 'B'
	} else {
		bad[0] = 'A'
	}
	f.scan(string(bad))
	assert.Equal(t, stateUnknown, s.StateNow())
	assert.Contains(t, s.State.Text, "NOT A VALID CODE")
	assert.Contains(t, s.Detail.Text, string(bad))
}

func TestTypedCodeIsNormalised(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	typed := strings.ToLower(skranke.GroupCode(code)) // "a6ma-ecgn", as a person types it from the paper.
	f.d.submit(typed, scanner.SourceHand)
	f.idle()
	assert.Equal(t, stateDeliverable, f.d.scan.StateNow(), "%q: %s", f.d.scan.State.Text, f.d.scan.Detail.Text)
	assert.Equal(t, skranke.GroupCode(code), f.d.scan.Code.Text)
}

// A wedge scan on the status screen, where nothing takes text, opens the
// scan screen with the purchase instead of being dropped.
func TestScanOnStatusScreen(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.d.showScreen(idStatus)
	require.Nil(t, f.d.window.Canvas().Focused())
	code := f.shop.Code("paid-course")
	test.TypeOnCanvas(f.d.window.Canvas(), code)
	f.key(fyne.KeyReturn)
	assert.Equal(t, idScan, f.d.currentScreen())
	p := f.d.scan.Purchase()
	require.NotNil(t, p, "the scan was dropped: %s", f.d.message.Text)
	assert.Equal(t, code, p.Code)
}

// A loaded desk can handle a scan's first key and then hold the rest back
// for seconds while it draws a screen just opened (2.7 s was seen): the
// scan still opens its purchase, whole, from every screen.
func TestScanHeldApartByASlowFrame(t *testing.T) {
	for _, id := range []screenID{idStatus, idReport, idSettings, idScan} {
		t.Run(id.String(), func(t *testing.T) {
			f := mustOpen(t)
			f.login("kari", "1234")
			f.d.showScreen(id)
			code := f.shop.Code("paid-course")
			test.TypeOnCanvas(f.d.window.Canvas(), code[:1])
			f.clock.advance(2700 * time.Millisecond)
			test.TypeOnCanvas(f.d.window.Canvas(), code[1:])
			f.key(fyne.KeyReturn)
			f.idle()
			assert.Equal(t, idScan, f.d.currentScreen())
			p := f.d.scan.Purchase()
			require.NotNil(t, p, "the scan was lost: %s / %s", f.d.scan.State.Text, f.d.scan.Detail.Text)
			assert.Equal(t, code, p.Code)
		})
	}
}

// The message bar speaks of the last customer only until the next scan: a
// green "Delivered" never stands under the next customer's NOT PAID.
func TestMessageClearedOnEveryScan(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.scan(f.shop.Code("paid-course"))
	f.key(fyne.KeyReturn)
	require.Contains(t, f.d.message.Text, "Delivered")
	f.scan(f.shop.Code("pending"))
	assert.Equal(t, stateNotPayable, f.d.scan.StateNow())
	assert.Empty(t, f.d.message.Text, "the last customer's message is gone")
	f.d.sayErr("something about this customer")
	f.scan("HELLO-WORLD!")
	assert.Empty(t, f.d.message.Text)
}

// A scanner that sends kilobytes of garbage (a wrong baud rate, a
// document scanned by mistake) gets the "not a code" screen with the
// reading quoted in part: the detail line does not fill the screen nor
// widen the window.
func TestLongGarbageIsQuotedInPart(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.d.window.Resize(fyne.NewSize(deskScreenW, deskScreenH))
	for _, garbage := range []string{strings.Repeat("Æ", 3000), strings.Repeat("x9-", 1300)} {
		f.d.submit(garbage, "serial:/dev/ttyUSB0")
		f.idle()
		s := f.d.scan
		require.Equal(t, stateUnknown, s.StateNow(), s.State.Text)
		assert.Less(t, utf8.RuneCountInString(s.Detail.Text), 300, "the detail line quotes the whole reading")
		assert.LessOrEqual(t, f.d.window.Content().MinSize().Width, contentBudget().Width)
	}
}
