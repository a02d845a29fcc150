package app

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

// TestIdleDeskRepaintsNothing: a desk left alone on the scan screen, a
// purchase shown, while the sync loop reports after every poll and the
// idle lock looks at the clock, asks Fyne to draw nothing and starts no
// animation. Each repaint draws the whole window, and the desk PC runs all
// day: an idle desk that repaints costs a share of a core for nothing.
func TestIdleDeskRepaintsNothing(t *testing.T) {
	rp := &repaints{}
	f := openFixture(t, nil, rp.wrap)
	f.login("kari", "1234")
	f.scan(f.shop.Code("paid-course"))
	require.Equal(t, stateDeliverable, f.d.scan.StateNow(), f.d.message.Text)
	rp.reset()

	// A minute of the desk's clock. The sync loop polls meanwhile (every
	// 200 ms in the fixture) and its reports reach the UI through
	// watchStatus; applyStatus is called here too, so that the minute has
	// a report every 5 s however the goroutines are scheduled.
	for range 12 {
		f.clock.advance(5 * time.Second)
		f.d.applyStatus(f.desk.Status())
		f.d.checkIdle(f.d.now())
		f.idle()
	}
	require.Equal(t, idScan, f.d.currentScreen())
	require.NotNil(t, f.d.currentStaff(), "the idle lock is minutes away")
	require.Zero(t, rp.count(), "an idle desk asked for repaints: %s", rp)

	// The counting sees what changes: a scan repaints.
	f.scan(f.shop.Code("delivered"))
	require.NotZero(t, rp.count(), "a scan was not seen to repaint")
}

// repaints counts what makes Fyne draw a window again: objects refreshed
// on a canvas and animations started. Its app wraps the test app and runs
// as the desk's release build does, with animations off (the
// no_animations tag in the Makefile's DESK_TAGS); the test app always
// reports them on.
type repaints struct {
	mu         sync.Mutex
	refreshed  map[string]int // By the refreshed object's type.
	animations int
}

func (r *repaints) wrap(a fyne.App) fyne.App { return repaintApp{App: a, r: r} }

func (r *repaints) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refreshed, r.animations = nil, 0
}

func (r *repaints) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.animations
	for _, c := range r.refreshed {
		n += c
	}
	return n
}

func (r *repaints) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("refreshed %v, %d animations started", r.refreshed, r.animations)
}

func (r *repaints) refresh(o fyne.CanvasObject) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refreshed == nil {
		r.refreshed = map[string]int{}
	}
	r.refreshed[fmt.Sprintf("%T", o)]++
}

func (r *repaints) animate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.animations++
}

type repaintApp struct {
	fyne.App
	r *repaints
}

func (a repaintApp) Driver() fyne.Driver { return repaintDriver{Driver: a.App.Driver(), r: a.r} }

func (a repaintApp) Settings() fyne.Settings { return steadySettings{a.App.Settings()} }

// steadySettings are settings with animations off.
type steadySettings struct{ fyne.Settings }

func (steadySettings) ShowAnimations() bool { return false }

type repaintDriver struct {
	fyne.Driver
	r *repaints
}

func (d repaintDriver) CanvasForObject(o fyne.CanvasObject) fyne.Canvas {
	c := d.Driver.CanvasForObject(o)
	if c == nil {
		return nil
	}
	return repaintCanvas{Canvas: c, r: d.r}
}

func (d repaintDriver) StartAnimation(a *fyne.Animation) {
	d.r.animate()
	d.Driver.StartAnimation(a)
}

type repaintCanvas struct {
	fyne.Canvas
	r *repaints
}

func (c repaintCanvas) Refresh(o fyne.CanvasObject) {
	c.r.refresh(o)
	c.Canvas.Refresh(o)
}

// TestIdleScanScreenCountsPickupOnChange: the scan screen's pickup hint is
// counted again when what it counts can have changed (the shop's changes
// filed by the sync loop, the outbox, staff's own work at the desk), not
// on every sync report: at a million cached purchases a count reads up to
// ten thousand index entries, and the loop reports every few seconds all
// day. A purchase paid in the web shop meanwhile still shows in the hint
// once the desk has synced it.
func TestIdleScanScreenCountsPickupOnChange(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.scan(f.shop.Code("paid-course"))
	// The first sync has filed what the shop had, and the count after
	// the scan has been read.
	f.eventually(func() bool { return !f.desk.Status().LastSync.IsZero() }, "the desk never synced")
	f.d.applyStatus(f.desk.Status())
	f.idle()
	counts := f.d.pickupCounts

	// A minute of the desk's clock with a sync report every 5 s (and the
	// fixture's own sync loop polling meanwhile): nothing new.
	for range 12 {
		f.clock.advance(5 * time.Second)
		f.d.applyStatus(f.desk.Status())
		f.idle()
	}
	require.Equal(t, counts, f.d.pickupCounts, "an idle scan screen counted the purchases waiting for pickup again and again")

	n, err := f.desk.PickupCount(t.Context())
	require.NoError(t, err)
	require.Equal(t, label("scan.pickup_count", m{"N": pickupN(n)}), f.d.scan.PickupCount.Text)
	f.shop.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
		Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 1}}})
	f.desk.SyncNow()
	want := label("scan.pickup_count", m{"N": pickupN(n + 1)})
	f.eventually(func() bool { return f.d.scan.PickupCount.Text == want },
		"the hint did not follow a purchase the desk synced: %q, want %q", f.d.scan.PickupCount.Text, want)
}

// A change from a background goroutine that waits for the UI is queued
// before the desk wakes the resting event loop: woken first, the loop could
// park again before the change was queued, which then waited behind the
// park for up to a second (cmd/skranke's restLoop).
func TestChangeIsQueuedBeforeTheLoopIsWoken(t *testing.T) {
	test.NewTempApp(t)
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	d := &Desk{ctx: context.Background(), svc: Services{WakeUI: func() { note("wake") }}}
	d.doAndWait(func() { note("change") })
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, order)
	require.Equal(t, "change", order[0], "the loop was woken before the change was queued: %v", order)
}
