package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/skranke/skranke"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreditIsForManagers(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	s := f.d.scan
	assert.False(t, s.CreditButton.Visible(), "staff do not see Credit")
	assert.True(t, s.CreditButton.Disabled())
	test.Tap(s.CreditButton)
	f.idle()
	assert.False(t, s.CreditOpen(), "the credit panel stays closed for staff")
	assert.Empty(t, f.shop.Purchase(code).Credits)

	f.key(fyne.KeyF12)
	require.Nil(t, f.d.currentStaff())
	f.login("ingrid", "999999")
	f.scan(code)
	require.True(t, s.CreditButton.Visible())
	test.Tap(s.CreditButton)
	require.True(t, s.CreditOpen())
	assert.Equal(t, s.CreditAmount, f.d.window.Canvas().Focused())
	total := f.shop.Purchase(code).Total()
	assert.Equal(t, strings.TrimPrefix(total.String(), "kr "), s.CreditAmount.Text, "the whole rest is proposed")

	// A reason is required.
	test.Tap(s.CreditConfirm)
	f.idle()
	assert.Contains(t, f.d.message.Text, "Write why")
	assert.Empty(t, f.shop.Purchase(code).Credits)

	s.CreditAmount.SetText("100")
	f.typeByHand(s.CreditReason, "Kurset ble flyttet")
	s.CreditReason.Submit()
	f.idle()
	p := f.shop.Purchase(code)
	require.Len(t, p.Credits, 1, f.d.message.Text)
	assert.Equal(t, skranke.Money(10000), p.Credits[0].Amount)
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

// Credit is offered only where the shop can do it, and F7 tells staff who
// are not managers why nothing opens.
func TestCreditOfferedOnlyWhereTheShopCan(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.scan(f.shop.Code("paid-course"))
	f.key(fyne.KeyF7)
	assert.False(t, f.d.scan.CreditOpen())
	assert.Contains(t, f.d.message.Text, "Only a manager can do this", "F7 says why it does nothing")

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
