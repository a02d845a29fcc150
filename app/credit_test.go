package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/printer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A manager credits at once: the whole rest is proposed, a reason is
// required, and crediting the rest credits the purchase.
func TestCreditByManager(t *testing.T) {
	f := mustOpen(t)
	code := f.shop.Code("paid-course")
	s := f.d.scan
	f.login("ingrid", "999999")
	f.scan(code)
	require.True(t, s.CreditButton.Visible())
	test.Tap(s.CreditButton)
	require.True(t, s.CreditOpen())
	assert.False(t, s.approving, "a manager needs no one's approval")
	assert.Equal(t, s.CreditAmount, f.d.window.Canvas().Focused())
	total := f.shop.Purchase(code).Total()
	assert.Equal(t, strings.TrimPrefix(total.String(), "kr "), s.CreditAmount.Text, "the whole rest is proposed")

	// A reason is required.
	test.Tap(s.CreditConfirm)
	f.idle()
	assert.Contains(t, f.d.message.Text, "Write why")
	assert.Empty(t, f.shop.Purchase(code).Credits)

	p := f.creditHundred(code, "Kurset ble flyttet")
	assert.Equal(t, "ingrid", p.Credits[0].StaffID)
	assert.Equal(t, "Kurset ble flyttet", p.Credits[0].Reason)
	assert.Contains(t, s.Buyer.Text, "Credited: kr 100,00")

	// Crediting the rest credits the purchase: it can no longer be delivered.
	test.Tap(s.CreditButton)
	f.typeByHand(s.CreditReason, "Kunden angret")
	test.Tap(s.CreditConfirm)
	f.idle()
	assert.Equal(t, skranke.Credited, f.shop.Purchase(code).Status)
	assert.Equal(t, stateNotPayable, s.StateNow())
}

// The shop takes a credit but its answer is lost: the manager hears it is
// being checked, not "not credited", and then what the shop did.
func TestCreditAnswerLostThenSettled(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	code := f.shop.Code("paid-course")
	f.scan(code)
	s := f.d.scan
	test.Tap(s.CreditButton)
	require.True(t, s.CreditOpen())
	path := "/credits"
	f.breakAfter.Store(&path)
	s.CreditAmount.SetText("100")
	f.typeByHand(s.CreditReason, "Kurset ble flyttet")
	s.CreditReason.Submit()
	f.idle()
	require.Contains(t, f.d.message.Text, "The shop did not answer; checking whether the purchase was credited")
	assert.NotContains(t, f.d.message.Text, "Not credited")
	assert.False(t, s.CreditOpen(), "no blind second try")
	assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused(), "the next scan goes to the scan field, not to the hidden credit fields")
	require.Len(t, f.shop.Purchase(code).Credits, 1, "the shop did credit")

	f.breakAfter.Store(nil)
	f.cutOff.Store(false)
	f.eventually(func() bool { return strings.Contains(f.d.message.Text, "Settled") }, "the outcome is never shown: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "the shop did credit kr 100,00")
	f.idle()
	assert.Contains(t, s.Buyer.Text, "Credited: kr 100,00", "the purchase is shown as the shop has it")
}

// Credit is offered only where the shop can do it; F7 opens it for staff
// who are not managers at the manager's approval.
func TestCreditOfferedOnlyWhereTheShopCan(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.scan(f.shop.Code("paid-course"))
	f.key(fyne.KeyF7)
	require.True(t, f.d.scan.CreditOpen())
	assert.True(t, f.d.scan.approving, "F7 asks for a manager's PIN")
	assert.Same(t, f.d.scan.CreditPIN, f.d.window.Canvas().Focused())
	f.key(fyne.KeyEscape)
	assert.False(t, f.d.scan.CreditOpen())

	f.key(fyne.KeyF12)
	f.login("ingrid", "999999")
	s := f.d.scan
	for _, label := range []string{"pending", "failed", "cancelled"} {
		f.scan(f.shop.Code(label))
		assert.True(t, s.CreditButton.Disabled(), "%s: the shop cannot credit it", label)
	}
	f.scan(f.shop.Code("paid-course"))
	assert.False(t, s.CreditButton.Disabled())
	f.shop.Stop()
	f.scan(f.shop.Code("paid-course"))
	require.True(t, s.lookup.FromCache)
	assert.True(t, s.CreditButton.Disabled(), "offline: a credit needs the shop")
}

// Staff who are not managers credit with a manager's PIN given in place:
// a wrong PIN is refused and says so, the right one opens the credit, and
// the shop records who credited and who approved; the customer gets a
// credit note, never a receipt.
func TestCreditApprovedInPlaceByManager(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	s := f.d.scan
	require.True(t, s.CreditButton.Visible(), "staff see Credit")
	require.False(t, s.CreditButton.Disabled())
	test.Tap(s.CreditButton)
	f.idle()
	require.True(t, s.CreditOpen())
	require.True(t, s.approving)
	assert.Equal(t, "Ingrid Solbakken", s.CreditManager.Selected, "the one manager is chosen")
	assert.Same(t, s.CreditPIN, f.d.window.Canvas().Focused())
	_, shown := findVisible(f.d.window.Content(), s.CreditConfirm)
	assert.False(t, shown, "nothing to confirm before a manager approves")

	f.typeByHand(s.CreditPIN, "000000")
	s.CreditPIN.Submit()
	f.idle()
	assert.Contains(t, f.d.message.Text, "Wrong PIN for Ingrid Solbakken")
	assert.True(t, s.approving, "still waiting for the manager")
	assert.Empty(t, s.CreditPIN.Text, "the wrong PIN is cleared")
	assert.Same(t, s.CreditPIN, f.d.window.Canvas().Focused())

	f.typeByHand(s.CreditPIN, "999999")
	s.CreditPIN.Submit()
	f.idle()
	require.False(t, s.approving, f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "Approved by Ingrid Solbakken")
	assert.Contains(t, s.creditInfo.Text, "Approved by Ingrid Solbakken")
	assert.Same(t, s.CreditAmount, f.d.window.Canvas().Focused(), "the rest is proposed, ready to change")

	p := f.creditHundred(code, "Kurset ble flyttet")
	assert.Equal(t, "kari", p.Credits[0].StaffID)
	assert.Equal(t, "ingrid", p.Credits[0].ApprovedBy)
	assert.False(t, s.CreditOpen())
	assert.Contains(t, historyText(s), "by Kari Nordmann, approved by Ingrid Solbakken")

	f.eventually(func() bool { return strings.Contains(string(f.printed()), "CREDIT NOTE") }, "no credit slip printed")
	text := printedText(t, f.printed())
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"CREDIT NOTE", "This is not a sales receipt", printer.GroupCode(code), "Amount credited: kr 100,00",
		"Credited by: Kari Nordmann", "Approved by: Ingrid Solbakken", "Kurset ble flyttet"} {
		assert.Contains(t, flat, want)
	}
	assert.NotContains(t, text, "DELIVERY NOTE")
	assert.Contains(t, barcodes(text), code, "the purchase code as a barcode")

	// The approval served that one credit: the next asks again.
	test.Tap(s.CreditButton)
	assert.True(t, s.approving)
	f.key(fyne.KeyEscape)
}

// Wrong manager PINs count like wrong PINs at login: after the shop's limit
// the manager's name is locked, and the desk says so.
func TestCreditApprovalLockout(t *testing.T) {
	f := mustOpen(t)
	f.login("jonas", "4321")
	code := f.shop.Code("paid-course")
	f.scan(code)
	s := f.d.scan
	test.Tap(s.CreditButton)
	f.idle()
	require.True(t, s.approving)
	for i := 0; i < shop.MaxPINFailures; i++ {
		f.typeByHand(s.CreditPIN, "000000")
		s.CreditPIN.Submit()
		f.idle()
	}
	f.typeByHand(s.CreditPIN, "999999")
	s.CreditPIN.Submit()
	f.idle()
	assert.True(t, s.approving)
	assert.Contains(t, f.d.message.Text, "locked")
	assert.Empty(t, f.shop.Purchase(code).Credits)
}

// Credit by line: only units paid for and not credited before can be
// chosen; the shop prices them; the credited units are no longer handed
// over, and the cache knows it offline.
func TestCreditByLine(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	code := f.shop.Code("paid-physical") // Shaker 149; 2 × T-shirt 249.
	f.scan(code)
	s := f.d.scan
	test.Tap(s.CreditButton)
	require.True(t, s.CreditOpen())
	s.CreditMode.SetSelected(label("credit.by_lines"))
	require.Len(t, s.CreditQty, 2)
	shirt := s.CreditQty["2"]
	require.NotNil(t, shirt)
	assert.Same(t, s.CreditQty["1"], f.d.window.Canvas().Focused(), "the first line's quantity takes the keys")
	assert.Equal(t, "0", shirt.Text, "nothing is chosen until staff choose it")

	shirt.SetText("3")
	f.typeByHand(s.CreditReason, "Trykkfeil")
	test.Tap(s.CreditConfirm)
	f.idle()
	assert.Contains(t, f.d.message.Text, "from 0 to 2")
	assert.Empty(t, f.shop.Purchase(code).Credits)

	shirt.SetText("1")
	assert.Contains(t, s.linesSum.Text, "kr 249,00")
	test.Tap(s.CreditConfirm)
	f.idle()
	p := f.shop.Purchase(code)
	require.Len(t, p.Credits, 1, f.d.message.Text)
	assert.Equal(t, []skranke.CreditLine{{LineID: "2", Quantity: 1, Amount: 24900}}, p.Credits[0].Lines)
	assert.Equal(t, 1, p.Lines[1].Credited)
	assert.Contains(t, f.d.message.Text, "Credited kr 249,00")
	assert.Contains(t, linesText(s), "(1 credited)")
	assert.Contains(t, historyText(s), "1× T-skjorte")
	f.eventually(func() bool { return strings.Contains(string(f.printed()), "CREDIT NOTE") }, "no credit slip printed")
	flat := strings.Join(strings.Fields(printedText(t, f.printed())), " ")
	assert.Contains(t, flat, "T-skjorte Aktiv, M")
	assert.Contains(t, flat, "Amount credited: kr 249,00")

	// Only the one T-shirt left can still be credited.
	test.Tap(s.CreditButton)
	s.CreditMode.SetSelected(label("credit.by_lines"))
	assert.Equal(t, "0–1", s.CreditQty["2"].PlaceHolder)
	f.key(fyne.KeyEscape)

	// Offline, the cache knows what was credited.
	f.shop.Stop()
	f.scan(code)
	require.True(t, s.lookup.FromCache)
	assert.Equal(t, 1, s.Purchase().Lines[1].Credited)
	assert.Equal(t, 1, s.Purchase().Lines[1].Remaining(), "the credited T-shirt is not handed over")
	assert.Contains(t, linesText(s), "(1 credited)")
	assert.True(t, s.CreditButton.Disabled(), "offline: a credit needs the shop")
}

// linesText is the text of the scan screen's line table.
func linesText(s *scanScreen) string { return labelsText(s.Lines) }

// historyText is the text of the scan screen's history.
func historyText(s *scanScreen) string { return labelsText(s.History) }

func labelsText(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			b.WriteString(v.Text + "\n")
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

// creditHundred credits kr 100,00 on the open credit panel with reason,
// typed by hand and sent with Enter, and returns the purchase as the shop
// has it after this, its one credit.
func (f *fixture) creditHundred(code, reason string) *skranke.Purchase {
	f.t.Helper()
	s := f.d.scan
	s.CreditAmount.SetText("100")
	f.typeByHand(s.CreditReason, reason)
	s.CreditReason.Submit()
	f.idle()
	p := f.shop.Purchase(code)
	require.Len(f.t, p.Credits, 1, f.d.message.Text)
	assert.Equal(f.t, skranke.Money(10000), p.Credits[0].Amount)
	return p
}

// Credit follows the connection without a new scan: a delivery that could
// not reach the shop turns it off (the status bar says offline), and the
// shop coming back turns it on again, for a purchase looked up online and
// for one shown from the desk's copy.
func TestCreditFollowsConnection(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	code := f.shop.Code("many-lines")
	f.scan(code) // Online.
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
	require.False(t, s.CreditButton.Disabled(), "online, a paid purchase can be credited")

	// The shop goes; a partial delivery is made offline.
	f.shop.Stop()
	f.key(fyne.KeyF6)
	var service string
	for _, l := range s.Purchase().Lines {
		if s.Qty[l.ID] == nil {
			continue
		}
		if l.Kind == "service" && service == "" {
			service = l.ID
			s.Qty[l.ID].SetText("1")
		} else {
			s.Qty[l.ID].SetText("0")
		}
	}
	require.NotEmpty(t, service)
	test.Tap(s.DeliverChosen)
	f.idle()
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	require.Contains(t, s.SyncMark.Text, "WAITING TO SYNC")
	f.eventually(func() bool { return !f.d.lastStatus.Online }, "the desk never saw it is offline")
	assert.Contains(t, f.d.online.Text, "Offline")
	assert.True(t, s.CreditButton.Disabled(), "Credit is offered while the shop cannot be reached")
	test.Tap(s.CreditButton)
	assert.False(t, s.CreditOpen())

	// The shop is back: no new scan, and Credit is offered again.
	f.shop.Restart()
	f.desk.SyncNow()
	f.eventually(func() bool { return f.d.lastStatus.Online }, "the desk never saw the shop is back")
	f.eventually(func() bool { return !s.CreditButton.Disabled() }, "Credit stays off once the shop is back")
	assert.Equal(t, code, s.Purchase().Code, "the purchase stays on screen")

	// Shown from the desk's copy while offline: off; back online: on.
	f.shop.Stop()
	f.desk.SyncNow()
	f.eventually(func() bool { return !f.d.lastStatus.Online }, "the desk never saw it is offline")
	f.scan(code)
	require.NotEmpty(t, s.Cache.Text, "from the cache")
	assert.True(t, s.CreditButton.Disabled(), "a credit needs the shop")
	f.shop.Restart()
	f.desk.SyncNow()
	f.eventually(func() bool { return !s.CreditButton.Disabled() }, "Credit stays off once the shop is back")
	assert.False(t, s.Cache.Visible(), "no OFFLINE once the shop is back")
	test.Tap(s.CreditButton)
	assert.True(t, s.CreditOpen(), "the credit panel opens")
}
