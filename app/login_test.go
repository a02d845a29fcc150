package app

import (
	"maps"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

func TestLoginAndIdleLock(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.IdleLockMinutes = 2 })
	l := f.d.login
	assert.Equal(t, l.PIN, f.d.window.Canvas().Focused(), "the PIN field waits at start")

	// A wrong PIN is refused.
	l.Choose("kari")
	test.Type(l.PIN, "0000")
	l.PIN.Submit()
	f.idle()
	assert.Nil(t, f.d.currentStaff())
	assert.Contains(t, l.Error.Text, "Wrong PIN")
	assert.Empty(t, l.PIN.Text, "the PIN field is cleared")

	// Arrow keys choose the staff member.
	l.Choose("ingrid")
	l.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	assert.NotEqual(t, "Ingrid Solbakken", l.Selected.Text)
	l.Choose("kari")
	f.login("kari", "1234")
	assert.Contains(t, f.d.staffName.Text, "Kari Nordmann")
	assert.Equal(t, idScan, f.d.currentScreen())
	assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused(), "the scan field has the focus after login")

	// Not idle long enough: still logged in.
	f.d.checkIdle(time.Now().Add(time.Minute))
	assert.NotNil(t, f.d.currentStaff())
	f.d.checkIdle(time.Now().Add(3 * time.Minute))
	assert.Nil(t, f.d.currentStaff(), "the desk locks after the idle time")
	assert.Equal(t, l.PIN, f.d.window.Canvas().Focused())

	// Scanning while locked does nothing but ask for a login.
	f.d.submit(f.shop.Code("paid-course"), "serial:/dev/ttyUSB0")
	f.idle()
	assert.Contains(t, l.Error.Text, "Log in")
	assert.Empty(t, f.shop.Deliveries(f.shop.Code("paid-course")))
}

// Every lock reloads the staff list; an unchanged list keeps its tiles.
// Making them again refreshes their theme override, for which Fyne parses
// the fonts again and keeps them: a desk that locks many times a day
// would grow by megabytes a lock. A new name makes new tiles.
func TestLockKeepsUnchangedStaffTiles(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	tiles := maps.Clone(f.d.login.StaffButtons)
	require.NotEmpty(t, tiles)
	f.d.lock()
	f.idle()
	assert.Equal(t, tiles, f.d.login.StaffButtons, "the same tiles after the reload")
	for id, b := range tiles {
		assert.Same(t, b, f.d.login.StaffButtons[id], "tile %s made again", id)
	}
	assert.Equal(t, "Kari Nordmann", f.d.login.Selected.Text, "the last one stays chosen")

	staff := slices.Clone(f.d.login.staff)
	staff[0].Name += " Jr."
	f.d.login.setStaff(staff)
	assert.NotSame(t, tiles[staff[0].ID], f.d.login.StaffButtons[staff[0].ID], "a changed list makes new tiles")
	assert.Contains(t, f.d.login.StaffButtons[staff[0].ID].Text, " Jr.")
}
