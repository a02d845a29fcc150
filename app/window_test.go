package app

import (
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

func TestKeyboardNavigation(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	for _, k := range []struct {
		key    fyne.KeyName
		screen screenID
	}{
		{fyne.KeyF2, idCards}, {fyne.KeyF3, idReport}, {fyne.KeyF4, idStatus},
		{fyne.KeyF5, idSettings}, {fyne.KeyF1, idScan},
	} {
		f.key(k.key)
		assert.Equal(t, k.screen, f.d.currentScreen(), "key %s", k.key)
	}
	// Esc goes back to scanning from anywhere, with the focus in the scan field.
	f.key(fyne.KeyF4)
	f.key(fyne.KeyEscape)
	assert.Equal(t, idScan, f.d.currentScreen())
	assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused())

	// A hardware scan of a gift card switches to the gift card screen.
	f.d.submit(f.shop.Code("card-fresh"), "serial:/dev/ttyUSB0")
	f.idle()
	assert.Equal(t, idCards, f.d.currentScreen())
	require.NotNil(t, f.d.cards.Card())
	// And a receipt scanned there goes back to the scan screen.
	f.d.submit(f.shop.Code("paid-course"), "serial:/dev/ttyUSB0")
	f.idle()
	assert.Equal(t, idScan, f.d.currentScreen())
	assert.Equal(t, stateDeliverable, f.d.scan.StateNow())
	// Esc clears the purchase.
	f.key(fyne.KeyEscape)
	assert.Equal(t, stateReady, f.d.scan.StateNow())
	// F12 locks.
	f.key(fyne.KeyF12)
	assert.Nil(t, f.d.currentStaff())
}

func TestFirstTimeSetup(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.DeskToken = "wrong-token" })
	l := f.d.login
	assert.Empty(t, l.StaffButtons, "a wrong token gets no staff list")
	assert.Contains(t, l.Error.Text, "desk token")
	require.True(t, l.Setup.Visible(), "setup is offered while no staff are known")

	test.Tap(l.Setup)
	f.idle()
	require.Equal(t, idSettings, f.d.currentScreen())
	s := f.d.screenSettings()
	assert.Equal(t, s.ShopURL, f.d.window.Canvas().Focused())
	s.DeskToken.SetText(f.shop.DeskToken)
	f.key(fyne.KeyF6) // Save.
	assert.Contains(t, f.d.message.Text, "Restart")
	b, err := os.ReadFile(f.configPath)
	require.NoError(t, err)
	assert.Contains(t, string(b), f.shop.DeskToken)
	assert.Nil(t, f.d.currentStaff(), "setup logs nobody in")
	assert.Equal(t, l.PIN, f.d.window.Canvas().Focused(), "back at the login screen")
}

func TestSetupNotOfferedOnceStaffAreKnown(t *testing.T) {
	f := mustOpen(t)
	assert.False(t, f.d.login.Setup.Visible())
	f.d.openSetup()
	f.idle()
	assert.NotEqual(t, idSettings, f.d.currentScreen())
}
