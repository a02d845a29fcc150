package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"net/http"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// cachedFixture is a desk logged in whose scans wait for the cache's
// answer however loaded the machine (the desk waits cacheWait), and not
// for the shop's (shopWait).
func cachedFixture(t *testing.T) *fixture {
	t.Helper()
	f := mustOpen(t)
	f.login("kari", "1234")
	f.d.scan.cacheWait, f.d.scan.shopWait = time.Minute, 0
	return f
}

// holdShop holds the shop's answers to this desk's lookups until
// shopAnswers.
func (f *fixture) holdShop() {
	f.t.Helper()
	hold := make(chan struct{})
	f.holdLookups.Store(&hold)
	f.t.Cleanup(func() {
		if f.holdLookups.CompareAndSwap(&hold, nil) {
			close(hold)
		}
	})
}

// shopAnswers lets the lookups holdShop held through and runs what they
// bring.
func (f *fixture) shopAnswers() {
	f.t.Helper()
	if hold := f.holdLookups.Swap(nil); hold != nil {
		close(*hold)
	}
	f.idle()
}

// cached returns the code of the demo purchase named label once this
// desk's cache holds it.
func (f *fixture) cached(label string) string {
	f.t.Helper()
	code := f.shop.Code(label)
	f.eventually(func() bool {
		_, err := f.desk.Cached(context.Background(), code)
		return err == nil
	}, "%s never reached the cache", label)
	return code
}

// enterScan types code at scanner speed into the scan field and presses
// Enter, and returns at once: the screen is as the first frame after the
// scan paints it; what the shop answers is still queued.
func (f *fixture) enterScan(code string) {
	f.t.Helper()
	c := f.d.window.Canvas()
	test.Type(c.Focused(), code)
	e, ok := c.Focused().(*scanEntry)
	require.True(f.t, ok, "the scan field does not have the focus (focused: %T)", c.Focused())
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// enterNow presses Enter in the scan field without running what is queued.
func (f *fixture) enterNow() {
	f.t.Helper()
	f.d.scan.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// deliverElsewhere hands everything of code over at another desk, which
// this desk hears of only by asking the shop.
func deliverElsewhere(t *testing.T, f *fixture, code string) {
	t.Helper()
	var lines []skranke.DeliveredLine
	for _, l := range f.shop.Purchase(code).Lines {
		lines = append(lines, skranke.DeliveredLine{LineID: l.ID, Quantity: l.Remaining()})
	}
	body, _ := json.Marshal(shop.DeliveryRequest{ID: "elsewhere-" + code, Lines: lines, At: time.Now(),
		RecordedOffline: true, StatedBy: shop.DemoStaff2ID})
	req, _ := http.NewRequest("POST", f.shop.URL+shop.APIPrefix+"/purchases/"+code+"/deliveries", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+shop.DemoDesk2Token)
	req.Header.Set("Idempotency-Key", "elsewhere-"+code)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
}

// A purchase this desk has cached is on screen in the same pass as the
// scan's Enter, before the shop answers: the first frame painted after the
// scan shows it, with no "looking up" frame before it. It cannot be handed
// over until the shop has confirmed it, however long it has been shown;
// the shop's confirmation changes nothing on screen, and the purchase,
// in sight since the scan, is armed at once if armDelay has passed.
func TestScanShowsTheCachedCopyAtOnce(t *testing.T) {
	f := cachedFixture(t)
	code := f.cached("paid-course")
	s := f.d.scan
	f.holdShop()

	f.enterScan(code)
	require.Equal(t, stateDeliverable, s.StateNow(), "the first frame after the scan shows %q", s.State.Text)
	assert.Equal(t, skranke.GroupCode(code), s.Code.Text)
	assert.Contains(t, s.Buyer.Text, f.shop.Purchase(code).Buyer.Name)
	assert.NotEmpty(t, s.Lines.Objects, "the lines are shown")
	assert.Empty(t, s.Cache.Text, "an online scan says nothing of the cache")
	assert.True(t, s.DeliverAll.Disabled(), "not armed before the shop answered")

	// Long enough to arm, but the shop's answer has not reached the
	// screen: Enter hands nothing over.
	f.clock.advance(armDelay)
	f.d.runPending() // What the clock set going; the shop's answer is held.
	assert.True(t, s.DeliverAll.Disabled(), "armed before the shop confirmed")
	f.enterNow()
	assert.Empty(t, f.shop.Deliveries(code), "delivered before the shop confirmed")
	assert.True(t, s.DeliverAll.Disabled())

	f.shopAnswers() // The same purchase.
	assert.Equal(t, stateDeliverable, s.StateNow())
	assert.Empty(t, s.Cache.Text, "the confirmation says nothing")
	assert.False(t, s.DeliverAll.Disabled(), "in sight for armDelay since the scan, and confirmed: armed")
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the delivery never reached the shop")
}

// The shop confirming what the cache showed asks Fyne to paint nothing:
// a frame costs tens of milliseconds in software rendering, and staff see
// no flicker.
func TestShopConfirmingTheCachedCopyRepaintsNothing(t *testing.T) {
	rp := &repaints{}
	f := openFixture(t, nil, rp.wrap)
	f.login("kari", "1234")
	f.d.scan.cacheWait, f.d.scan.shopWait = time.Minute, 0
	code := f.cached("paid-physical")
	// The pickup count, which follows every sync, has caught up: what
	// changes it is not the scan's.
	f.eventually(func() bool {
		n, err := f.desk.PickupCount(context.Background())
		return err == nil && f.d.scan.PickupCount.Text == label("scan.pickup_count", m{"N": pickupN(n)}) && !f.d.countingPickup
	}, "the pickup count never settled")

	f.holdShop()
	f.enterScan(code)
	require.Equal(t, stateDeliverable, f.d.scan.StateNow())
	require.False(t, f.d.scan.confirmed, "the shop answered within the scan's own pass")
	rp.reset()
	f.shopAnswers()
	require.True(t, f.d.scan.confirmed)
	assert.Zero(t, rp.count(), "the confirmation repainted: %s", rp)
}

// A cached copy behind the shop (another desk handed the purchase over,
// and this desk's sync has not brought it yet) is replaced by the shop's
// answer, which says so; nothing is handed over on the cached copy.
func TestCachedCopyBehindTheShopIsReplaced(t *testing.T) {
	f := cachedFixture(t)
	code := f.cached("paid-course")
	f.blockFeed.Store(true)
	deliverElsewhere(t, f, code)
	s := f.d.scan
	f.holdShop()

	f.enterScan(code)
	require.Equal(t, stateDeliverable, s.StateNow(), "the cache's copy: %q", s.State.Text)
	f.clock.advance(2 * armDelay)
	f.d.runPending() // What the clock set going; the shop's answer is held.
	assert.True(t, s.DeliverAll.Disabled(), "armed on the cache's copy")
	f.enterNow()
	assert.Len(t, f.shop.Deliveries(code), 1, "handed over on the cache's copy")

	f.shopAnswers()
	assert.Equal(t, stateDelivered, s.StateNow(), "%q", s.State.Text)
	assert.Equal(t, "ALREADY DELIVERED", s.State.Text)
	assert.Contains(t, s.Detail.Text, "Delivered")
	assert.Equal(t, "UPDATED FROM THE SHOP – read it again", s.Cache.Text, "staff are told why the screen changed")
	assert.True(t, s.Cache.Visible())
	f.look()
	f.key(fyne.KeyReturn)
	assert.Len(t, f.shop.Deliveries(code), 1, "delivered twice")
	assert.Empty(t, f.printed())

	// The next scan starts clean.
	f.enterScan(f.shop.Code("delivered"))
	assert.Empty(t, s.Cache.Text)
}

// A purchase the cache has as not paid, which the shop has as paid now,
// sounds no refusal: the tone waits for the shop's word. Its delivery is
// armed armDelay after the shop's answer was shown, not after the cache's.
func TestCachedRefusalWaitsForTheShop(t *testing.T) {
	f := cachedFixture(t)
	code := f.cached("pending")
	f.blockFeed.Store(true)
	f.shop.Notify(code, skranke.Captured)
	s := f.d.scan
	f.holdShop()

	f.enterScan(code)
	require.Equal(t, stateNotPayable, s.StateNow(), "the cache's copy: %q", s.State.Text)
	assert.Zero(t, f.tones.n.Load(), "a refusal sounded on the cache's copy")
	shown := checkingHint / 2 // The shop answers quickly.
	f.clock.advance(shown)
	f.shopAnswers()
	require.Equal(t, stateDeliverable, s.StateNow(), "%q", s.State.Text)
	assert.Zero(t, f.tones.n.Load(), "a refusal sounded for a paid purchase")
	assert.Contains(t, s.Cache.Text, "UPDATED")
	f.clock.advance(armDelay - shown)
	f.idle()
	assert.True(t, s.DeliverAll.Disabled(), "armed on the time the cache's copy was shown")
	f.clock.advance(shown)
	f.idle()
	assert.False(t, s.DeliverAll.Disabled(), "not armed armDelay after the shop's answer")
}

// A refusal the shop confirms sounds once; when the shop is slow, it sounds
// after checkingHint, with the screen saying the shop is being asked, and
// not again when the shop answers.
func TestRefusalOfACachedCopy(t *testing.T) {
	for _, slow := range []bool{false, true} {
		t.Run(fmt.Sprintf("slow=%v", slow), func(t *testing.T) {
			f := cachedFixture(t)
			code := f.cached("failed")
			s := f.d.scan
			f.holdShop()

			f.enterScan(code)
			require.Equal(t, stateNotPayable, s.StateNow())
			assert.Zero(t, f.tones.n.Load())
			if slow {
				f.clock.advance(checkingHint)
				f.d.runPending()
				assert.Equal(t, "Checking with the shop…", s.Cache.Text)
				assert.EqualValues(t, 1, f.tones.n.Load(), "the refusal waited longer than checkingHint")
				f.clock.advance(time.Second) // Past refusalGap: a second tone would sound.
			}
			f.shopAnswers()
			require.True(t, s.confirmed)
			assert.EqualValues(t, 1, f.tones.n.Load(), "one refusal tone")
			assert.Empty(t, s.Cache.Text, "the shop answered")
			assert.Equal(t, stateNotPayable, s.StateNow())
		})
	}
}

// Offline, the cache's copy is all there is: once the shop is found out of
// reach the screen says the data is cached, and the delivery is armed
// armDelay after that warning shows.
func TestOfflineScanArmsAfterTheCacheWarning(t *testing.T) {
	f := cachedFixture(t)
	code := f.cached("paid-course")
	f.cutOff.Store(true)
	s := f.d.scan
	f.holdShop()

	f.enterScan(code)
	require.Equal(t, stateDeliverable, s.StateNow())
	assert.Empty(t, s.Cache.Text)
	f.clock.advance(armDelay)
	f.shopAnswers()
	assert.Contains(t, s.Cache.Text, "OFFLINE")
	assert.True(t, s.DeliverAll.Disabled(), "armed before the cache warning was seen")
	f.look()
	assert.False(t, s.DeliverAll.Disabled())
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDelivered, s.StateNow())
}

// A cached purchase the shop no longer knows is taken off the screen when
// the shop says so: nothing of it stays to be handed over.
func TestShopWithdrawsACachedCopy(t *testing.T) {
	f := cachedFixture(t)
	code := f.cached("paid-course")
	f.unknown.Store(&code)
	s := f.d.scan
	f.holdShop()

	f.enterScan(code)
	require.Equal(t, stateDeliverable, s.StateNow(), "the cache's copy")
	f.shopAnswers()
	assert.Equal(t, stateUnknown, s.StateNow(), "%q", s.State.Text)
	assert.Nil(t, s.Purchase())
	assert.Empty(t, s.Lines.Objects, "lines of the withdrawn purchase")
	assert.Empty(t, s.Buyer.Text)
	f.look()
	f.key(fyne.KeyReturn)
	assert.Empty(t, f.shop.Deliveries(code))
}

// A purchase this desk has not cached shows "looking up" until the shop
// answers, when the shop takes longer than shopWait; within it, the
// purchase shows in the scan's own pass, with no "looking up" painted.
func TestUncachedScan(t *testing.T) {
	f := cachedFixture(t)
	f.blockFeed.Store(true)
	newPurchase := func() string {
		p := f.shop.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Ny Kunde", Email: "ny@example.no"},
			Lines: []skranke.Line{{ProductID: "tskjorte-m", Quantity: 1}}})
		f.shop.Notify(p.Code, skranke.Captured)
		return p.Code
	}
	s := f.d.scan
	s.shopWait = time.Minute
	code := newPurchase()
	f.enterScan(code)
	require.Equal(t, stateDeliverable, s.StateNow(), "%q %q", s.State.Text, s.Detail.Text)
	assert.Equal(t, code, s.Purchase().Code)
	assert.True(t, s.confirmed, "the shop's answer")
	f.idle()

	s.shopWait = 0
	f.holdShop()
	code = newPurchase()
	f.enterScan(code)
	assert.Equal(t, stateLooking, s.StateNow())
	assert.Nil(t, s.Purchase())
	f.shopAnswers()
	assert.Equal(t, stateDeliverable, s.StateNow(), "%q %q", s.State.Text, s.Detail.Text)
	assert.Contains(t, s.Buyer.Text, "Ny Kunde")
	assert.Empty(t, s.Cache.Text)
	f.look()
	assert.False(t, s.DeliverAll.Disabled())
}

// The paint probe reports the first frame painted after it was asked,
// once.
func TestPaintProbe(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("probe")
	var queued []func()
	p := newPaintProbe(func(fn func()) { queued = append(queued, fn) })
	w.SetContent(container.NewStack(container.NewCenter(), p.obj()))
	w.Resize(fyne.NewSize(40, 40))
	var at []time.Time
	p.next(func(_, t time.Time) { at = append(at, t) })
	assert.Empty(t, queued, "reported before a frame was painted")
	img := w.Canvas().Capture()
	require.Equal(t, image.Rect(0, 0, 40, 40), img.Bounds())
	require.Len(t, queued, 1)
	queued[0]()
	assert.Len(t, at, 1)
	w.Canvas().Refresh(w.Content())
	w.Canvas().Capture()
	assert.Len(t, queued, 1, "reported a frame it was not asked for")
}

// The line table keeps its rows from one purchase to the next and, for the
// one to three lines most purchases have, its height: what a scan changes
// is texts, not the layout, which Fyne would do again while it paints the
// frame and then paint that frame twice.
func TestScanKeepsTheLineTable(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	f.scan(f.shop.Code("paid-course")) // One line.
	require.Len(t, s.Purchase().Lines, 1)
	before := s.Purchase().Lines[0].Name
	rows := append([]fyne.CanvasObject(nil), s.Lines.Objects...)
	size := s.readArea.MinSize()
	texts := linesText(s)

	f.scan(f.shop.Code("paid-physical")) // Two lines.
	require.Len(t, s.Purchase().Lines, 2)
	assert.Equal(t, rows, s.Lines.Objects, "the rows were made anew")
	assert.Equal(t, size, s.readArea.MinSize(), "the table's size changed")
	assert.NotEqual(t, texts, linesText(s))
	for _, l := range s.Purchase().Lines {
		assert.Contains(t, linesText(s), l.Name)
	}
	for _, l := range s.Purchase().Lines {
		require.NotEqual(t, before, l.Name, "the demo purchases share a product")
	}
	assert.NotContains(t, linesText(s), before, "a line of the purchase before is still shown")
}
