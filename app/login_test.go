package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"

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
