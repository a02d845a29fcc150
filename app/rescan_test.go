package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/scanner"
)

// A code read again within the scanner's repeat window is dropped only
// while the screen shows it (a code held under a scanner in continuous
// mode). Scanned again after the screen moved on, staff mean it: the desk
// dropped it all the same, so that after A, B and A again the screen went
// on showing B, ready to hand over to the customer of A, and a code
// scanned again after Esc showed nothing, as long as staff kept trying.
func TestRescanAfterTheScreenMovedOn(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	// The repeat window of a real desk (the fixture's turns it off).
	f.d.mu.Lock()
	f.d.pipeline = scanner.NewPipeline(scanner.Options{})
	f.d.mu.Unlock()
	a, b := f.shop.Code("paid-course"), f.shop.Code("paid-physical")
	shown := func() string {
		if p := f.d.scan.Purchase(); p != nil {
			return p.Code
		}
		return ""
	}

	f.scan(a)
	require.Equal(t, a, shown())
	seq := f.d.scan.seq
	f.scan(a)
	require.Equal(t, seq, f.d.scan.seq, "a repeat of the code shown is looked up again")

	f.scan(b)
	require.Equal(t, b, shown())
	f.scan(a)
	require.Equal(t, a, shown(), "A scanned again after B: the screen still shows B")

	f.key(fyne.KeyEscape)
	require.Empty(t, shown())
	f.scan(a)
	require.Equal(t, a, shown(), "A scanned again after Esc shows nothing")
	require.Equal(t, stateDeliverable, f.d.scan.StateNow(), f.d.scan.State.Text)

	f.key(fyne.KeyF2)
	require.Equal(t, idCards, f.d.currentScreen())
	f.scan(a)
	require.Equal(t, idScan, f.d.currentScreen(), "A scanned again on the gift card screen")
	require.Equal(t, a, shown())
}
