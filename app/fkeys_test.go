package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"github.com/stretchr/testify/assert"
)

// The F-keys mean the same kind of thing on every screen (README, "Keys"):
// F8 prints on paper, F7 is credit and only on the scan screen, and F6 is
// the screen's own action, which never prints, and whose label names its
// key so that staff can learn it from the screen.
func TestFKeysMeanTheSameOnEveryScreen(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	for id := range f.d.screens {
		keys := f.d.screenOf(screenID(id)).actionKeys()
		if b := keys[fyne.KeyF8]; b != nil {
			assert.Equal(t, theme.DocumentPrintIcon().Name(), b.Icon.Name(), "screen %d: F8 is %q, not a print", id, b.Text)
		}
		if b := keys[fyne.KeyF7]; b != nil {
			assert.Equal(t, idScan, screenID(id), "F7 (credit) on screen %d: %q", id, b.Text)
		}
		if b := keys[fyne.KeyF6]; b != nil {
			assert.NotEqual(t, theme.DocumentPrintIcon().Name(), b.Icon.Name(), "screen %d: F6 prints", id)
		}
		for k, b := range keys {
			assert.True(t, strings.Contains(b.Text, "("+string(k)+")"), "screen %d: the %s button says its key: %q", id, k, b.Text)
		}
	}
}
