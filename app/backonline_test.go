package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// offlineScan cuts this desk off the shop, scans code (shown from the cache)
// and waits until the desk knows it is offline.
func offlineScan(t *testing.T, f *fixture, code string) {
	t.Helper()
	f.cutOff.Store(true)
	f.scan(code)
	require.True(t, f.d.scan.lookup.FromCache, "not from the cache: %q", f.d.scan.State.Text)
	f.eventually(func() bool { return !f.d.isBusy() && !f.d.lastStatus.Online }, "the desk never saw it is offline")
}

// backOnline lets this desk reach the shop again and waits until it knows.
func backOnline(f *fixture) {
	f.cutOff.Store(false)
	f.desk.SyncNow()
	f.eventually(func() bool { return f.d.lastStatus.Online }, "the desk never came back online")
}

// A purchase shown from the cache while offline says so, and how old the
// copy is, as long as it is shown. Once the shop answers again, the shown
// purchase is fetched from the shop: lines another desk handed over
// meanwhile show as delivered, staff are told the screen changed, and
// Enter does not try to hand them over again.
func TestCachedCopyRefreshedWhenShopIsBack(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	code := f.shop.Code("paid-course")
	f.scan(code) // Online: the desk keeps a copy.
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)

	offlineScan(t, f, code)
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
	require.True(t, s.Cache.Visible())
	require.Contains(t, s.Cache.Text, "OFFLINE")
	// The copy grows older while it is on screen, and the mark says so.
	before := s.Cache.Text
	f.clock.advance(3 * time.Minute) // Less than the idle lock.
	f.idle()
	want := label("scan.cached", m{"Age": fmtAge(f.d.now(), s.lookup.CachedAt)})
	assert.NotEqual(t, before, want)
	assert.Equal(t, want, s.Cache.Text, "the age shown does not follow the clock")

	// Another desk hands the course over while this one is offline.
	deliverElsewhere(t, f, code)
	backOnline(f)
	f.eventually(func() bool { return s.StateNow() == stateDelivered }, "back online, the screen still shows the cached copy: %q / %q", s.State.Text, s.Cache.Text)
	assert.Equal(t, label("scan.already"), s.State.Text)
	assert.Equal(t, label("scan.refreshed"), s.Cache.Text, "staff are told why the screen changed")
	assert.False(t, s.lookup.FromCache)
	f.look()
	f.key(fyne.KeyReturn)
	f.idle()
	assert.Len(t, f.shop.Deliveries(code), 1, "handed over again on the cached copy")
	assert.Zero(t, f.desk.Status().Pending, "a delivery from the stale copy went to the outbox")
	assert.Zero(t, f.desk.Status().Conflicts)
}

// A cached copy the shop confirms unchanged loses its OFFLINE mark once the
// shop is back, and nothing else on screen changes: an open quantity
// choice stays open.
func TestCachedCopyConfirmedWhenShopIsBack(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	code := f.shop.Code("paid-course")
	f.scan(code)
	offlineScan(t, f, code)
	require.Contains(t, s.Cache.Text, "OFFLINE")
	f.key(fyne.KeyF6) // Choose quantities.
	require.True(t, s.qtyMode)

	backOnline(f)
	f.eventually(func() bool { return !s.lookup.FromCache }, "the shop never confirmed the cached copy: %q", s.Cache.Text)
	f.idle()
	assert.False(t, s.Cache.Visible(), "still marked: %q", s.Cache.Text)
	assert.Equal(t, stateDeliverable, s.StateNow())
	assert.True(t, s.qtyMode, "the open quantity choice was closed")
}

// Quantities being chosen on a copy shown from the cache, when the shop
// comes back with the purchase handed over at another desk meanwhile: the
// choice closes, staff are told why, and nothing is handed over twice.
func TestChoosingOnACachedCopyClosedWhenShopIsBack(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	code := f.shop.Code("paid-course")
	f.scan(code)
	offlineScan(t, f, code)
	f.key(fyne.KeyF6)
	require.True(t, s.qtyMode)

	deliverElsewhere(t, f, code)
	backOnline(f)
	f.eventually(func() bool { return s.StateNow() == stateDelivered }, "back online, the screen still shows the cached copy: %q", s.State.Text)
	assert.False(t, s.qtyMode, "the quantities are still open for lines already handed over")
	assert.Equal(t, label("scan.refreshed_panel"), f.d.message.Text)
	assert.Equal(t, label("scan.refreshed"), s.Cache.Text)
	f.look()
	f.key(fyne.KeyReturn)
	assert.Len(t, f.shop.Deliveries(code), 1)
}

// Back online, the shop is asked for the purchase shown from the cache; its
// answer is slow, and staff hand the purchase over meanwhile. The answer,
// older than the hand-over, must not put the purchase back on screen as
// deliverable: the desk asks again and shows it handed over.
func TestSlowRefreshDoesNotUndoAHandOverOnScreen(t *testing.T) {
	f := mustOpen(t)
	// The answer is held for as long as the hand-over takes, however
	// busy the machine: the desk must not give up on it meanwhile.
	f.timeout = time.Minute
	f.reopen()
	f.login("kari", "1234")
	s := f.d.scan
	code := f.shop.Code("paid-course")
	f.scan(code)
	offlineScan(t, f, code)
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)

	hold := make(chan struct{})
	f.holdAnswers.Store(&hold)
	backOnline(f)
	select {
	case <-f.answerHeld:
	case <-time.After(time.Minute): // A deadline, not a wait for time to pass.
		t.Fatal("back online, the desk never asked the shop for the purchase shown")
	}
	f.holdAnswers.Store(nil)
	// Staff press Enter while the shop's answer is on its way.
	f.clock.advance(armDelay)
	f.d.runPending()
	require.True(t, s.refreshing, "the refresh ended before its answer was let through")
	s.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.eventually(func() bool { return s.StateNow() == stateDelivered && len(f.shop.Deliveries(code)) == 1 }, "not handed over: %q", s.State.Text)

	close(hold) // The answer from before the hand-over arrives.
	f.eventually(func() bool { return !s.refreshing && !s.lookup.FromCache }, "the refresh never ended: %q", s.Cache.Text)
	f.idle()
	assert.Equal(t, stateDelivered, s.StateNow(), "the older answer put the purchase back: %q", s.State.Text)
	f.key(fyne.KeyReturn)
	assert.Len(t, f.shop.Deliveries(code), 1, "handed over twice")
}
