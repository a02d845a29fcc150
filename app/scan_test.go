package app

import (
	"bytes"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.Equal(t, scanner.Group(code), s.Code.Text)
	p := f.shop.Purchase(code)
	assert.Contains(t, s.Buyer.Text, p.Buyer.Name)
	assert.Contains(t, s.Buyer.Text, p.Total().String())
	assert.Regexp(t, `kr \d[\d ]*,\d\d`, s.Buyer.Text)
	assert.Empty(t, s.Cache.Text, "online lookup must not say offline")

	// Enter on the empty scan field confirms the delivery.
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, s.StateNow(), "state %q, message %q", s.State.Text, f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "Delivered")
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

	unknown := scanner.NewReference()
	f.scan(unknown)
	assert.Equal(t, stateUnknown, s.StateNow())
	assert.Contains(t, s.State.Text, "UNKNOWN CODE")
	assert.Contains(t, s.Detail.Text, scanner.Group(unknown))

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

func TestPartialDelivery(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("many-lines")
	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)

	f.key(fyne.KeyF6) // Choose quantities, from the keyboard.
	require.NotEmpty(t, s.Qty)
	assert.IsType(t, &entry{}, f.d.window.Canvas().Focused(), "the first quantity field has the focus")
	p := s.Purchase()
	var service string
	for _, l := range p.Lines {
		if s.Qty[l.ID] == nil {
			continue
		}
		if l.Kind == "service" && l.Remaining() >= 2 && service == "" {
			service = l.ID
			s.Qty[l.ID].SetText("1")
		} else {
			s.Qty[l.ID].SetText("0")
		}
	}
	require.NotEmpty(t, service, "the demo purchase has a service line with 2 left")
	before := f.shop.Purchase(code)

	// Too many is refused with a message.
	s.Qty[service].SetText("99")
	test.Tap(s.DeliverChosen)
	f.idle()
	assert.Contains(t, f.d.message.Text, "choose a quantity")
	assert.Len(t, f.shop.Deliveries(code), len(before.Deliveries))

	// Typing into a focused quantity field replaces the proposed quantity.
	s.Qty[service].SetText("2")
	f.d.window.Canvas().Focus(s.Qty[service])
	test.Type(s.Qty[service], "1")
	require.Equal(t, "1", s.Qty[service].Text)
	s.Qty[service].Submit() // Enter in a quantity field delivers the chosen quantities.
	f.idle()
	require.False(t, s.SignatureOpen(), "services need no signature")
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == len(before.Deliveries)+1 }, "partial delivery not at the shop")
	after := f.shop.Purchase(code)
	for i, l := range after.Lines {
		want := before.Lines[i].Delivered
		if l.ID == service {
			want++
		}
		assert.Equal(t, want, l.Delivered, "line %s", l.Name)
	}
	assert.True(t, after.Remaining(), "the rest is still to be handed over")
	// The screen shows what remains, and can deliver it.
	assert.False(t, s.DeliverAll.Disabled())
}

func TestTypedCodeIsNormalised(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	typed := strings.ToLower(scanner.Group(code)) // "a6ma-ecgn", as a person types it from the paper.
	f.d.submit(typed, scanner.SourceHand)
	f.idle()
	assert.Equal(t, stateDeliverable, f.d.scan.StateNow(), "%q: %s", f.d.scan.State.Text, f.d.scan.Detail.Text)
	assert.Equal(t, scanner.Group(code), f.d.scan.Code.Text)
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
