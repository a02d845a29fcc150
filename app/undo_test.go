package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// ctrlZ presses Ctrl+Z in the focused widget, as the keyboard does.
func (f *fixture) ctrlZ() {
	f.t.Helper()
	sc, ok := f.d.window.Canvas().Focused().(fyne.Shortcutable)
	require.True(f.t, ok, "the focused widget (%T) takes no shortcuts", f.d.window.Canvas().Focused())
	sc.TypedShortcut(&fyne.ShortcutUndo{})
	f.idle()
}

// deliverNow scans code, lets staff see it and hands everything over with Enter.
func (f *fixture) deliverNow(code string) {
	f.t.Helper()
	f.scan(code)
	f.key(fyne.KeyReturn)
	require.Equal(f.t, stateDelivered, f.d.scan.StateNow(), "%q %q", f.d.scan.State.Text, f.d.message.Text)
}

// Ctrl+Z right after a delivery asks once, Enter undoes it: the shop
// records the reversal, the screen says DELIVERY UNDONE with the goods not
// handed over, and a void slip prints under the delivery note.
func TestUndoDeliveryWithCtrlZ(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	s := f.d.scan
	f.deliverNow(code)
	require.Len(t, f.shop.Deliveries(code), 1)
	require.True(t, s.Undo.Visible(), "Undo is offered after a delivery")
	require.False(t, s.Undo.Disabled())
	notes := len(f.printed())

	f.ctrlZ()
	assert.True(t, s.UndoAsked())
	assert.Equal(t, "UNDO THE DELIVERY?", s.State.Text)
	assert.False(t, f.shop.Purchase(code).Reversed(f.shop.Deliveries(code)[0].ID), "asking undoes nothing")

	f.key(fyne.KeyReturn)
	assert.Equal(t, stateUndone, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	assert.Equal(t, "DELIVERY UNDONE", s.State.Text)
	assert.Contains(t, s.Detail.Text, "Undone by Kari Nordmann")
	assert.Contains(t, f.d.message.Text, "Undid the delivery")
	assert.Equal(t, colUndone, s.banner.bg.FillColor, "a colour of its own")
	sp := f.shop.Purchase(code)
	assert.True(t, sp.Reversed(f.shop.Deliveries(code)[0].ID), "the shop recorded the reversal")
	assert.Equal(t, 1, sp.RemainingUnits())
	assert.Equal(t, 1, s.Purchase().RemainingUnits(), "the screen shows the course as not handed over")
	assert.False(t, s.Undo.Visible(), "undone once")
	slip := printedText(t, f.printed()[notes:])
	assert.Contains(t, slip, "DELIVERY UNDONE")
	assert.Contains(t, slip, "1 × Spinning, klippekort 10 timer: not handed")

	// It may be handed over again, once seen.
	f.look()
	assert.False(t, s.DeliverAll.Disabled())
}

// The Undo button asks in the banner; Esc says no and the delivery stands.
// The next scan ends the offer: undo acts only on what is on screen.
func TestUndoButtonAsksAndEscKeeps(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	s := f.d.scan
	f.deliverNow(code)
	test.Tap(s.Undo)
	f.idle()
	require.True(t, s.UndoAsked())
	f.key(fyne.KeyEscape)
	assert.False(t, s.UndoAsked())
	assert.Equal(t, "DELIVERED", s.State.Text, "the delivery is shown again")
	assert.Equal(t, stateDelivered, s.StateNow())
	assert.Empty(t, f.shop.Purchase(code).Reversals)
	assert.True(t, s.Undo.Visible(), "still offered within the window")

	f.scan(f.shop.Code("promo"))
	assert.False(t, s.Undo.Visible(), "the next scan ends the offer")
	f.ctrlZ()
	assert.False(t, s.UndoAsked())
	assert.Empty(t, f.shop.Purchase(code).Reversals)
}

// The offer runs out 30 s after the delivery: the button goes, and Ctrl+Z
// and Enter undo nothing, even when the question was on screen.
func TestUndoWindowExpires(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	s := f.d.scan
	f.deliverNow(code)

	f.clock.advance(skranke.UndoWindow - time.Second)
	f.idle()
	require.True(t, s.Undo.Visible(), "offered at 29 s")
	f.ctrlZ()
	require.True(t, s.UndoAsked())

	f.clock.advance(time.Second)
	f.idle()
	assert.False(t, s.Undo.Visible(), "gone at 30 s")
	assert.False(t, s.UndoAsked(), "the question went with it")
	assert.Equal(t, "DELIVERED", s.State.Text)
	f.key(fyne.KeyReturn)
	f.ctrlZ()
	assert.Equal(t, stateDelivered, s.StateNow())
	assert.Empty(t, f.shop.Purchase(code).Reversals, "nothing undone after the window")
}

// A delivery of gift cards is not offered for undo: the printed card is
// valid at once.
func TestUndoNotOfferedForGiftCards(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.deliverNow(f.shop.Code("giftcard-purchase"))
	assert.False(t, f.d.scan.Undo.Visible())
	f.ctrlZ()
	assert.False(t, f.d.scan.UndoAsked())
}

// Offline, an undo is queued: the screen and the cache show the goods as
// not handed over at once, the daily report lists the undo, and once the
// shop is back it has the delivery and its reversal, once.
func TestUndoOffline(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	code := f.shop.Code("promo")
	s := f.d.scan
	f.scan(code)
	f.cutOff.Store(true)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	require.True(t, s.Undo.Visible())

	test.Tap(s.Undo)
	f.idle()
	test.Tap(s.Undo)
	f.idle()
	require.Equal(t, stateUndone, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	assert.Contains(t, s.Detail.Text, "waiting to sync")
	lk, err := f.desk.Cached(t.Context(), code)
	require.NoError(t, err)
	assert.Equal(t, 3, lk.Purchase.RemainingUnits(), "the cache counts the goods as not handed over")
	assert.Empty(t, f.shop.Deliveries(code), "the shop has heard nothing yet")

	f.key(fyne.KeyF3)
	require.Equal(t, idReport, f.d.currentScreen())
	var kinds []string
	for _, a := range f.d.report.Shown() {
		if a.Code == code {
			kinds = append(kinds, a.Kind)
		}
	}
	assert.ElementsMatch(t, []string{"delivery", "reversal"}, kinds, "the report shows the delivery and its undoing")

	f.cutOff.Store(false)
	f.eventually(func() bool { return len(f.shop.Purchase(code).Reversals) == 1 }, "the undo never reached the shop")
	f.eventually(func() bool { return f.desk.Status().Pending == 0 }, "the outbox did not empty")
	sp := f.shop.Purchase(code)
	assert.Len(t, sp.Deliveries, 1)
	assert.Len(t, sp.Reversals, 1, "replayed once")
	assert.Equal(t, 3, sp.RemainingUnits())
}

// After an undo, F8 prints no note for the undone delivery.
func TestUndoneDeliveryIsNotReprinted(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	f.deliverNow(f.shop.Code("paid-course"))
	f.ctrlZ()
	f.key(fyne.KeyReturn)
	require.Equal(t, stateUndone, s.StateNow())
	assert.True(t, s.Reprint.Disabled(), "nothing handed over to reprint")
	n := len(f.printed())
	f.key(fyne.KeyF8)
	assert.Len(t, f.printed(), n, "F8 printed the note of an undone delivery")
}

// A delivery another desk undid first is not undone twice: the desk says
// why in the staff's words and shows the purchase as the shop has it.
func TestUndoRefusedWhenUndoneElsewhere(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	s := f.d.scan
	f.blockFeed.Store(true) // This desk does not hear of the other's undo.
	f.deliverNow(code)
	id := f.shop.Deliveries(code)[0].ID

	body, _ := json.Marshal(shop.ReversalRequest{ID: "elsewhere-1", RecordedOffline: true, StatedBy: shop.DemoStaffID})
	req, _ := http.NewRequest("POST", f.shop.URL+shop.APIPrefix+"/deliveries/"+id+"/reversal", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+shop.DemoDesk2Token)
	req.Header.Set("Idempotency-Key", "elsewhere-1")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	f.ctrlZ()
	f.key(fyne.KeyReturn)
	assert.Contains(t, f.d.message.Text, "undone already")
	assert.NotEqual(t, stateUndone, s.StateNow())
	assert.Equal(t, 1, s.Purchase().RemainingUnits(), "shown as the shop has it")
	assert.Len(t, f.shop.Purchase(code).Reversals, 1)
}
