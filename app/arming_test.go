package app

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/scanner"
)

// A scan followed by a second Enter (a scanner's CR+LF suffix, a double
// tap) hands nothing over: the purchase must have been on screen for a
// moment first. Once it has, Enter delivers.
func TestSecondEnterAfterScanDeliversNothing(t *testing.T) {
	for _, gap := range []time.Duration{5 * time.Millisecond, 15 * time.Millisecond, 30 * time.Millisecond, 60 * time.Millisecond, 400 * time.Millisecond} {
		t.Run(fmt.Sprint(gap), func(t *testing.T) {
			f := mustOpen(t)
			f.login("kari", "1234")
			code := f.shop.Code("paid-course")
			s := f.d.scan

			f.scanOnly(code)
			require.Equal(t, stateDeliverable, s.StateNow(), "%q", s.State.Text)
			assert.True(t, s.DeliverAll.Disabled(), "Deliver waits until the purchase was seen")
			f.clock.advance(gap)
			f.key(fyne.KeyReturn)
			assert.Equal(t, stateDeliverable, s.StateNow(), "the second Enter delivered: %q", s.State.Text)
			assert.NotContains(t, f.d.message.Text, "Delivered")
			assert.Empty(t, f.shop.Deliveries(code))
			assert.Empty(t, f.printed(), "nothing printed")

			// Once it has been on screen, the button lights up and Enter delivers.
			f.clock.advance(armDelay - gap)
			f.idle()
			assert.False(t, s.DeliverAll.Disabled())
			f.key(fyne.KeyReturn)
			assert.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
			f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the delivery never reached the shop")
		})
	}
}

// A code read twice is dropped as a double read, and the purchase stays on
// screen, armed: the Enter that trails the second read still confirms
// nothing.
func TestEnterTrailingADoubleReadDeliversNothing(t *testing.T) {
	f := mustOpen(t)
	f.d.pipeline = scanner.NewPipeline(scanner.Options{}) // With the double-read filter.
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	s := f.d.scan
	f.scan(code)
	require.False(t, s.DeliverAll.Disabled(), "armed")

	f.clock.advance(time.Second)
	f.scanOnly(code) // Dropped as a double read: the screen stays as it was.
	f.clock.advance(15 * time.Millisecond)
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDeliverable, s.StateNow(), "the Enter after the scan delivered")
	assert.Empty(t, f.shop.Deliveries(code))

	// Enter typed by staff later delivers.
	f.clock.advance(time.Second)
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDelivered, s.StateNow())
}
