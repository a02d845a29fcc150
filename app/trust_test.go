package app

// Issue 10 at the desk: staff sessions follow login and lock, offline login
// needs an earlier online one and locks a name after 5 wrong PINs, and a
// delivery made offline shows as "offline, stated by the desk".

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoginSessionAndOfflineLockout(t *testing.T) {
	f := mustOpen(t)
	l := f.d.login

	f.login("kari", "1234")
	assert.True(t, f.desk.Online("kari"), "an online login opens a staff session")
	f.key(fyne.KeyF12)
	f.idle()
	assert.False(t, f.desk.Online("kari"), "locking ends it")

	f.login("kari", "1234")
	f.d.checkIdle(time.Now().Add(time.Hour))
	f.idle()
	assert.False(t, f.desk.Online("kari"), "so does the idle lock")

	f.shop.Stop()
	// Jonas never logged in here: the desk cannot check his PIN offline.
	l.Choose("jonas")
	test.Type(l.PIN, "4321")
	l.PIN.Submit()
	f.idle()
	assert.Nil(t, f.d.currentStaff())
	assert.Contains(t, l.Error.Text, "Log in once while the shop is reachable")

	for i := 1; i <= 5; i++ {
		l.Choose("kari")
		test.Type(l.PIN, "0000")
		l.PIN.Submit()
		f.idle()
		assert.Nil(t, f.d.currentStaff())
		if i < 5 {
			assert.Contains(t, l.Error.Text, "Wrong PIN", "try %d", i)
		}
	}
	assert.Contains(t, l.Error.Text, "locked after 5 wrong PINs until")
	l.Choose("kari")
	test.Type(l.PIN, "1234")
	l.PIN.Submit()
	f.idle()
	assert.Nil(t, f.d.currentStaff(), "locked even with the right PIN")
	assert.Contains(t, l.Error.Text, "locked")
}

func TestOfflineDeliveryIsStatedByTheDesk(t *testing.T) {
	f := mustOpen(t)
	code := f.shop.Code("paid-course")
	// Both log in online once; Kari looks the purchase up.
	f.login("ingrid", "999999")
	f.key(fyne.KeyF12)
	f.login("kari", "1234")
	f.scan(code)
	f.key(fyne.KeyEscape)
	f.key(fyne.KeyF12)

	f.shop.Stop()
	f.login("kari", "1234") // Offline: no staff session.
	assert.False(t, f.desk.Online("kari"))
	f.scan(code)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow(), "%q %q", f.d.scan.State.Text, f.d.message.Text)
	f.key(fyne.KeyF12)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF3)
	require.Equal(t, idReport, f.d.currentScreen())
	var stated bool
	for _, a := range f.d.report.Shown() {
		if a.Code == code && a.Kind == "delivery" && a.StatedByDesk {
			stated = true
		}
	}
	require.True(t, stated, "%+v", f.d.report.Shown())
	assert.True(t, hasText(f.d.report.Rows, "offline, stated by the desk"), "the row says so")
}

// hasText reports whether a canvas.Text or label under o reads s.
func hasText(o fyne.CanvasObject, s string) bool {
	switch v := o.(type) {
	case *canvas.Text:
		return strings.Contains(v.Text, s)
	case *fyne.Container:
		for _, c := range v.Objects {
			if hasText(c, s) {
				return true
			}
		}
	}
	if w, ok := o.(fyne.Widget); ok {
		r := test.WidgetRenderer(w)
		for _, c := range r.Objects() {
			if hasText(c, s) {
				return true
			}
		}
	}
	return false
}
