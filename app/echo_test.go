package app

import (
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A scanner's keys and its Enter come within echoDelay: the scan field
// never shows the code (no frame is painted for it), and the purchase
// shows as for any scan.
func TestScanFieldShowsNoScannersKeys(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	e := f.d.scan.Entry
	for _, r := range code {
		if unicode.IsUpper(r) {
			// A scanner's capitals come with Shift, as typed.
			e.TypedKey(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
		}
		e.TypedRune(r)
	}
	assert.Empty(t, e.Text, "the field painted a scanner's keys")
	f.clock.advance(5 * time.Millisecond)
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.idle()
	assert.Equal(t, code, f.d.scan.Purchase().Code)
	assert.Empty(t, e.Text)
	f.clock.advance(echoDelay)
	f.idle()
	assert.Empty(t, e.Text, "keys of the scan shown after it")
}

// What a person types shows echoDelay after their last key, and Enter,
// Backspace and Esc act on everything typed, shown or not.
func TestScanFieldShowsTypingAfterEchoDelay(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	e := f.d.scan.Entry
	e.TypedRune('a')
	assert.Empty(t, e.Text, "shown at once")
	f.clock.advance(echoDelay / 2)
	f.idle()
	assert.Empty(t, e.Text, "shown before echoDelay")
	f.clock.advance(echoDelay / 2)
	f.idle()
	assert.Equal(t, "a", e.Text)

	// Quick keys, then Backspace before they showed: it takes the last.
	e.TypedRune('b')
	e.TypedRune('c')
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	assert.Equal(t, "ab", e.Text)
	f.clock.advance(echoDelay)
	f.idle()
	assert.Equal(t, "ab", e.Text, "a key shown twice")

	// Esc forgets what was typed, shown or not.
	e.TypedRune('d')
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	f.clock.advance(echoDelay)
	f.idle()
	assert.Empty(t, e.Text)

	// A code typed by hand, each key shown as it is typed, and Enter.
	code := f.shop.Code("paid-course")
	for _, r := range code {
		e.TypedRune(r)
		f.clock.advance(150 * time.Millisecond)
		f.idle()
	}
	require.Equal(t, code, e.Text)
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.idle()
	assert.Equal(t, code, f.d.scan.Purchase().Code)

	// Typed quickly and Enter at once: the text as typed is looked up,
	// nothing shown after it.
	code = f.shop.Code("pending")
	for _, r := range code[:3] {
		e.TypedRune(r)
		f.clock.advance(150 * time.Millisecond)
	}
	f.idle()
	e.TypedRune(rune(code[3]))
	for _, r := range code[4:] {
		f.clock.advance(60 * time.Millisecond)
		e.TypedRune(r)
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.idle()
	assert.Equal(t, code, f.d.scan.Purchase().Code)
	f.clock.advance(echoDelay)
	f.idle()
	assert.Empty(t, e.Text)
}
