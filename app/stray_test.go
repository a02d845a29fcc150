package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanInto types code at scanner speed into whatever has the keyboard
// (the window itself when nothing does) and ends it with Enter.
func (f *fixture) scanInto(code string) {
	f.t.Helper()
	c := f.d.window.Canvas()
	if foc := c.Focused(); foc != nil {
		test.Type(foc, code)
	} else {
		test.TypeOnCanvas(c, code)
	}
	f.key(fyne.KeyReturn)
}

// A scan lands on the scan screen from every screen and field: it never
// becomes the report's date, the shop's address or a wrong PIN.
func TestScanLandsFromEveryScreen(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		after func(t *testing.T, f *fixture)
	}{
		{
			name: "F3 date field",
			setup: func(t *testing.T, f *fixture) {
				f.key(fyne.KeyF3)
				require.Equal(t, idReport, f.d.currentScreen())
				require.Equal(t, f.d.report.Date, f.d.window.Canvas().Focused())
				f.d.report.Date.SetText("2026-11-30")
			},
			after: func(t *testing.T, f *fixture) {
				assert.Equal(t, "2026-11-30", f.d.report.Date.Text, "the scan did not go into the date")
			},
		},
		{
			name: "F5 shop address",
			setup: func(t *testing.T, f *fixture) {
				f.key(fyne.KeyF5)
				require.Equal(t, idSettings, f.d.currentScreen())
				require.Equal(t, f.d.settings.ShopURL, f.d.window.Canvas().Focused())
			},
			after: func(t *testing.T, f *fixture) {
				assert.Equal(t, f.shop.URL, f.d.settings.ShopURL.Text, "the scan did not go into the shop address")
				assert.Equal(t, f.shop.URL, f.d.configInForce().ShopURL)
			},
		},
		{
			name: "F5 after a dropdown was used",
			setup: func(t *testing.T, f *fixture) {
				f.key(fyne.KeyF5)
				sel := f.d.settings.ScannerSuffix
				test.Tap(sel) // Opens its list.
				f.key(fyne.KeyDown)
				f.key(fyne.KeyReturn) // Chosen: the list closes.
				require.Empty(t, f.d.window.Canvas().Overlays().List(), "the list closed")
				t.Logf("focus after the list closed: %T", f.d.window.Canvas().Focused())
				// F-keys work after the dropdown.
				f.key(fyne.KeyF4)
				require.Equal(t, idStatus, f.d.currentScreen(), "F4 after a dropdown")
				f.key(fyne.KeyF5)
				test.Tap(sel)
				f.key(fyne.KeyEscape) // Closed without a choice.
				require.Empty(t, f.d.window.Canvas().Overlays().List(), "the list closed")
			},
		},
		{
			name: "F3 after a click on nothing",
			setup: func(t *testing.T, f *fixture) {
				f.key(fyne.KeyF3)
				f.d.window.Canvas().Unfocus()
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := mustOpen(t)
			f.login("ingrid", "999999")
			code := f.shop.Code("paid-course")
			tc.setup(t, f)
			f.scanInto(code)
			assert.Equal(t, idScan, f.d.currentScreen(), "the scan opens the scan screen")
			p := f.d.scan.Purchase()
			require.NotNil(t, p, "the scan was lost: %q", f.d.message.Text)
			assert.Equal(t, code, p.Code)
			assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused(), "the keyboard is back in the scan field")
			if tc.after != nil {
				tc.after(t, f)
			}
		})
	}
}

// A scan on the lock screen is not a wrong PIN: nothing of it stays in the
// PIN field, and staff are told to log in first.
func TestScanOnLockScreenIsNotAPIN(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.key(fyne.KeyF12)
	require.Nil(t, f.d.currentStaff())
	require.Equal(t, f.d.login.PIN, f.d.window.Canvas().Focused())
	f.d.login.PIN.SetText("12")
	f.scanInto(f.shop.Code("paid-course"))
	assert.Nil(t, f.d.currentStaff())
	assert.Equal(t, "12", f.d.login.PIN.Text, "the scan is not part of the PIN")
	assert.Contains(t, f.d.login.Error.Text, "Log in before scanning")
	assert.NotContains(t, f.d.login.Error.Text, "Wrong PIN")
}

// A gift card scanned on the report screen opens the gift card screen.
func TestGiftCardScanFromReportOpensCards(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF3)
	card := f.shop.Code("card-fresh")
	f.scanInto(card)
	assert.Equal(t, idCards, f.d.currentScreen())
	require.NotNil(t, f.d.cards.Card())
	assert.Equal(t, card, f.d.cards.Card().Code)
}

// A scanner whose Enter comes a little after its keys still scans from a
// settings field; keys typed by hand there stay the field's text.
func TestLateEnterAfterBurstInFieldIsAScan(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF5)
	code := f.shop.Code("paid-course")
	test.Type(f.d.settings.ShopURL, code)
	f.clock.advance(200 * time.Millisecond)
	f.key(fyne.KeyReturn)
	assert.Equal(t, idScan, f.d.currentScreen())
	require.NotNil(t, f.d.scan.Purchase())
	assert.Equal(t, code, f.d.scan.Purchase().Code)

	f.key(fyne.KeyF5)
	f.d.settings.ShopURL.SetText("")
	f.typeByHand(f.d.settings.ShopURL, "http://shop.local")
	f.key(fyne.KeyReturn)
	assert.Equal(t, idSettings, f.d.currentScreen(), "typing by hand is not a scan")
	assert.Equal(t, "http://shop.local", f.d.settings.ShopURL.Text)
}
