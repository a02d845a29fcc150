package app

import (
	"bytes"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
)

func TestGiftCardPartialUsePrintsRemainder(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("card-1000")
	f.scan(code)
	c := f.d.screenCards()
	require.Equal(t, idCards, f.d.currentScreen(), "a gift card code opens the gift card screen")
	require.NotNil(t, c.Card(), "%q %q", c.State.Text, c.Detail.Text)
	assert.Equal(t, "kr 1 000,00", c.Balance.Text)
	assert.Contains(t, c.State.Text, "VALID")
	assert.Equal(t, c.Amount, f.d.window.Canvas().Focused(), "the amount field is ready")

	test.Type(c.Amount, "250")
	c.Amount.Submit()
	f.idle()
	// Nothing is taken before staff say yes to the amount, shown large.
	assert.Contains(t, c.State.Text, "USE kr 250,00?")
	assert.Equal(t, skranke.CardActive, f.shop.Card(code).Status)
	f.key(fyne.KeyReturn)
	old := f.shop.Card(code)
	assert.Equal(t, skranke.CardVoided, old.Status, "the used card is voided")
	require.NotEmpty(t, old.RemainderCode)
	rem := f.shop.Card(old.RemainderCode)
	assert.Equal(t, skranke.Money(75000), rem.Balance)
	assert.Contains(t, f.d.message.Text, "kr 750,00")
	// The card is off the screen; the banner says to hand over the new one.
	assert.Nil(t, c.Card(), "the used card is not left armed")
	assert.Contains(t, c.State.Text, "HAND OVER THE NEW CARD: kr 750,00")

	// The void slip and the new card were printed at once.
	f.eventually(func() bool {
		out := f.printed()
		return bytes.Contains(out, []byte(printer.GroupCode(rem.Code))) && bytes.Contains(out, []byte(printer.GroupCode(code)))
	}, "remainder card and void slip not printed: %s", f.d.message.Text)
	out := f.printed()
	assert.True(t, bytes.Contains(out, []byte("750,00")), "the new card shows its amount")
	assert.True(t, bytes.Contains(out, []byte(rem.Code)), "the new card carries its code as barcode data")

	// Using more than the balance is refused before asking the shop.
	f.scan(rem.Code)
	require.NotNil(t, c.Card())
	assert.Equal(t, "kr 750,00", c.Balance.Text)
	test.Type(c.Amount, "5000")
	c.Amount.Submit()
	f.idle()
	assert.Contains(t, f.d.message.Text, "only kr 750,00")
	assert.Equal(t, skranke.Money(75000), f.shop.Card(rem.Code).Balance)

	// Whole use spends it, once asked and confirmed with the same button.
	test.Tap(c.RedeemAll)
	f.idle()
	assert.Contains(t, c.State.Text, "USE kr 750,00?")
	assert.Equal(t, skranke.CardActive, f.shop.Card(rem.Code).Status)
	test.Tap(c.RedeemAll)
	f.idle()
	assert.Equal(t, skranke.CardSpent, f.shop.Card(rem.Code).Status)
	assert.Contains(t, c.State.Text, "USED UP")
}

func TestOfflineRefusesGiftCardsButDelivers(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	card := f.shop.Code("card-2000")
	purchase := f.shop.Code("authorized")
	f.scan(card) // Online: the card and purchase are now in the cache.
	require.NotNil(t, f.d.cards.Card())
	f.key(fyne.KeyF1)
	f.scan(purchase)
	require.Equal(t, stateDeliverable, f.d.scan.StateNow())

	f.shop.Stop()
	f.scan(card)
	c := f.d.screenCards()
	require.NotNil(t, c.Card(), "the cached card is shown: %q", c.Detail.Text)
	assert.Contains(t, c.Cache.Text, "OFFLINE")
	assert.Contains(t, c.Cache.Text, "old")
	assert.Equal(t, "kr 2 000,00", c.Balance.Text, "cached balance")
	assert.True(t, c.Redeem.Disabled(), "redemption is refused offline")
	assert.True(t, c.RedeemAll.Disabled())
	test.Type(c.Amount, "100")
	c.Amount.Submit()
	f.idle()
	assert.Contains(t, f.d.message.Text, "Offline")
	assert.Contains(t, f.d.message.Text, "kr 2 000,00")

	// Purchases still deliver offline, from the cache, and sync later.
	f.key(fyne.KeyF1)
	f.scan(purchase)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
	assert.Contains(t, s.Cache.Text, "OFFLINE")
	test.Tap(s.DeliverAll)
	f.idle()
	if s.SignatureOpen() {
		sign(s.Pad)
		test.Tap(s.SignAccept)
		f.idle()
	}
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	assert.Contains(t, s.Detail.Text, "waiting to sync", "a delivery made offline says it is not at the shop yet")
	assert.Contains(t, s.Buyer.Text, "not yet synced")
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.online.Text, "Offline") }, "the indicator says offline: %q", f.d.online.Text)

	f.shop.Restart()
	f.desk.SyncNow()
	f.eventually(func() bool { return len(f.shop.Deliveries(purchase)) == 1 }, "the offline delivery reached the shop when it came back")
}

func TestScanIntoAmountFieldOpensTheCard(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	first, second := f.shop.Code("card-1000"), f.shop.Code("card-2000")
	f.scan(first)
	c := f.d.screenCards()
	require.Equal(t, c.Amount, f.d.window.Canvas().Focused())
	// The next customer's card is scanned while the amount field has the focus.
	test.Type(c.Amount, second)
	c.Amount.Submit()
	f.idle()
	require.NotNil(t, c.Card())
	assert.Equal(t, second, c.Card().Code, "the scan opened the other card")
	assert.Equal(t, skranke.Money(100000), f.shop.Card(first).Balance, "nothing was used")
}

func TestRedeemWithoutAnswerShowsCurrentState(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("card-2000")
	f.scan(code)
	c := f.d.screenCards()
	require.False(t, c.Redeem.Disabled())
	f.cutOff.Store(true) // The line goes down between the lookup and the redemption.
	test.Type(c.Amount, "100")
	c.Amount.Submit()
	f.key(fyne.KeyReturn) // Yes.
	assert.Contains(t, f.d.message.Text, "The shop did not answer; checking whether the card was charged")
	assert.NotContains(t, f.d.message.Text, "not used", "no false \"not charged\"")
	require.NotNil(t, c.Card(), "the card is shown again, as the desk knows it")
	assert.Contains(t, c.Cache.Text, "OFFLINE")
	assert.True(t, c.Redeem.Disabled(), "no blind second try while offline")

	// The line comes back: the desk asks the shop, which never got it.
	f.cutOff.Store(false)
	f.eventually(func() bool { return strings.Contains(f.d.message.Text, "Settled") }, "the outcome is never shown: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "was not charged")
	assert.Equal(t, skranke.Money(200000), f.shop.Card(code).Balance)
	f.idle()
	assert.Equal(t, 0, f.d.waiting())
}

// The shop takes a redemption but its answer is lost: staff are told it is
// being checked, then that the card was charged, and the new card prints.
func TestRedeemAnswerLostThenSettledCharged(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("card-2000")
	f.scan(code)
	c := f.d.screenCards()
	require.False(t, c.Redeem.Disabled())
	path := "/redemptions"
	f.breakAfter.Store(&path)
	test.Type(c.Amount, "500")
	c.Amount.Submit()
	f.key(fyne.KeyReturn) // Yes.
	require.Contains(t, f.d.message.Text, "The shop did not answer; checking whether the card was charged")
	shopCard := f.shop.Card(code)
	require.Equal(t, skranke.CardVoided, shopCard.Status, "the shop did take it")
	assert.True(t, c.Redeem.Disabled(), "no blind second try")
	assert.NotContains(t, string(f.printed()), shopCard.RemainderCode, "nothing printed before it is known")
	f.breakAfter.Store(nil)
	f.cutOff.Store(false)

	f.eventually(func() bool { return strings.Contains(f.d.message.Text, "Settled") }, "the outcome is never shown: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "the shop did charge")
	assert.Contains(t, f.d.message.Text, "kr 1 500,00", "the new card's balance")
	f.eventually(func() bool { return !f.d.isBusy() && bytes.Contains(f.printed(), []byte(shopCard.RemainderCode)) }, "the new card is not printed")
	text := printedText(t, f.printed())
	assert.Contains(t, text, "[barcode "+shopCard.RemainderCode+"]")
	assert.Equal(t, 1, strings.Count(text, "[barcode "+shopCard.RemainderCode+"]"), "printed once")
}

// The shop takes a redemption, its answer is lost, and the desk is
// restarted before the sync settled it: the screen that waited is gone,
// and the outcome was settled silently, so the new card for the rest was
// never shown or printed. After the restart staff are now told the card
// was charged, and the new card prints, once; the shop has that one.
func TestRedeemAnswerLostThenDeskRestarted(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("card-2000")
	f.scan(code)
	c := f.d.screenCards()
	path := "/redemptions"
	f.breakAfter.Store(&path)
	test.Type(c.Amount, "500")
	c.Amount.Submit()
	f.key(fyne.KeyReturn) // Yes.
	require.Contains(t, f.d.message.Text, "The shop did not answer; checking whether the card was charged")
	shopCard := f.shop.Card(code)
	require.Equal(t, skranke.CardVoided, shopCard.Status, "the shop did take it")

	// The desk is restarted while the shop is out of reach, and reaches
	// it again after.
	f.reopen()
	f.breakAfter.Store(nil)
	f.cutOff.Store(false)
	f.eventually(func() bool { return strings.Contains(f.d.message.Text, "Settled") }, "the outcome is never shown after the restart: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "the shop did charge")
	f.eventually(func() bool { return !f.d.isBusy() && bytes.Contains(f.printed(), []byte(shopCard.RemainderCode)) }, "the new card is not printed after the restart")
	text := printedText(t, f.printed())
	assert.Contains(t, text, "1 500,00", "the new card's balance")
	assert.Equal(t, 1, strings.Count(text, "[barcode "+shopCard.RemainderCode+"]"), "printed once")
	rem := f.shop.Card(shopCard.RemainderCode)
	assert.Equal(t, skranke.Money(150000), rem.Balance)
	assert.Empty(t, rem.RemainderCode, "one remainder card")

	// Told once: not again at the next start.
	f.reopen()
	f.idle()
	assert.NotContains(t, f.d.message.Text, "Settled")
	assert.Equal(t, 1, strings.Count(printedText(t, f.printed()), "[barcode "+shopCard.RemainderCode+"]"), "printed again at the next start")
}

// F6 (use all) asks first, Esc says no, and the card is never left armed:
// after use and when F2 is left, the next customer finds an empty screen.
func TestGiftCardUseAsksAndClears(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("card-1000")
	c := f.d.screenCards()
	f.scan(code)
	f.key(fyne.KeyF6)
	assert.Contains(t, c.State.Text, "USE kr 1 000,00?")
	f.key(fyne.KeyEscape)
	assert.Equal(t, skranke.CardActive, f.shop.Card(code).Status, "Esc: nothing used")
	require.NotNil(t, c.Card(), "the card stays for another try")
	assert.Contains(t, c.State.Text, "VALID")

	// Left with F1: the card is gone when F2 opens again.
	f.key(fyne.KeyF1)
	f.key(fyne.KeyF2)
	assert.Nil(t, c.Card(), "the previous customer's card is not shown")
	assert.True(t, c.RedeemAll.Disabled())

	f.scan(code)
	f.key(fyne.KeyF6)
	f.key(fyne.KeyReturn)
	assert.Equal(t, skranke.CardSpent, f.shop.Card(code).Status)
	assert.Nil(t, c.Card())
	assert.Contains(t, c.State.Text, "USED UP")
	f.key(fyne.KeyF6) // Nothing left armed.
	f.key(fyne.KeyReturn)
	assert.Equal(t, skranke.CardSpent, f.shop.Card(code).Status)
}

// Spent, expired and valid cards each have their own colour, and a balance
// that cannot be used is shown faint, never as if it could.
func TestGiftCardStatesLookApart(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	c := f.d.screenCards()
	seen := map[any]string{}
	for _, tc := range []struct{ label, text string }{
		{"card-1000", "VALID"}, {"card-spent", "USED UP"}, {"card-expired", "EXPIRED"},
	} {
		f.d.submit(f.shop.Code(tc.label), "serial:/dev/ttyUSB0")
		f.idle()
		require.NotNil(t, c.Card(), tc.label)
		assert.Contains(t, c.State.Text, tc.text, tc.label)
		bg := c.banner.bg.FillColor
		assert.NotContains(t, seen, bg, "%s has the colour of %s", tc.label, seen[bg])
		seen[bg] = tc.label
		assert.NotEqual(t, colDone, bg, "%s: blue is for delivered purchases", tc.label)
		if tc.label == "card-expired" {
			assert.True(t, c.RedeemAll.Disabled())
			assert.NotEqual(t, theme.Color(theme.ColorNameForeground), c.Balance.Color, "the expired balance is faint")
		}
	}
}
