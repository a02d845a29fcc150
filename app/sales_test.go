package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSalesOverview(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.key(fyne.KeyF11)
	assert.Equal(t, idScan, f.d.currentScreen(), "staff do not see the sales")
	assert.Contains(t, f.d.message.Text, "Only a manager")

	promo := f.shop.Code("promo")
	f.eventually(func() bool { return !f.d.desk.Status().LastSync.IsZero() }, "never synced")
	// The manager logs in online once, so that the desk can check her PIN
	// offline afterwards.
	f.key(fyne.KeyF12)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF12)
	f.shop.Stop() // The overview reads the cache: it works offline.
	f.login("ingrid", "999999")
	f.key(fyne.KeyF11)
	require.Equal(t, idSales, f.d.currentScreen())
	s := f.d.screenSales()
	// The whole demo history: from long ago to today.
	s.From.SetText("01.01.2020")
	s.From.Submit()
	f.idle()
	require.NotEmpty(t, s.Shown(), s.Totals.Text)
	var row string
	for i, sale := range s.Shown() {
		if sale.Code == promo {
			row = s.Rows.Objects[i].(*widget.Label).Text
		}
	}
	require.NotEmpty(t, row, "the promo purchase is listed")
	assert.Contains(t, row, "promo code SOMMER20")
	assert.Contains(t, row, "discount kr")
	for _, st := range []string{"paid", "pending", "failed", "cancelled"} {
		assert.Contains(t, s.Totals.Text, st)
	}
}
