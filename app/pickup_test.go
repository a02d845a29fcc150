package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

func TestPickupList(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	paid := f.shop.Code("paid-course")
	authorized := f.shop.Code("authorized")
	f.eventually(func() bool {
		f.d.refreshPickupCount()
		return strings.Contains(f.d.scan.PickupCount.Text, "waiting for pickup")
	}, "no pickup count on the scan screen")

	f.key(fyne.KeyF10)
	require.Equal(t, idPickup, f.d.currentScreen())
	f.idle()
	p := f.d.screenPickup()
	codes := shownCodes(p.Shown())
	require.Contains(t, codes, paid)
	require.Contains(t, codes, authorized)
	for _, code := range []string{"pending", "delivered", "failed", "cancelled", "other-centre"} {
		assert.NotContains(t, codes, f.shop.Code(code), "%s is not waiting for pickup", code)
	}
	for i := 1; i < len(p.Shown()); i++ {
		assert.False(t, p.Shown()[i].CreatedAt.After(p.Shown()[i-1].CreatedAt), "newest first")
	}
	assert.Contains(t, p.Count.Text, "wait to be picked up")
	row := p.Results.Objects[0].(*button)
	assert.Contains(t, row.Text, "waiting ")
	total := len(codes)
	assert.Contains(t, f.d.scan.PickupCount.Text, strings.Fields(p.Count.Text)[0], "the scan screen counts the same")

	// Filter by status, then by product.
	p.Status.SetSelectedIndex(2) // Authorized.
	f.idle()
	for _, s := range p.Shown() {
		assert.Equal(t, skranke.Authorized, s.Status)
	}
	assert.Contains(t, shownCodes(p.Shown()), authorized)
	p.Status.SetSelectedIndex(0)
	f.idle()
	i := -1
	for j, o := range p.Product.Options {
		if strings.HasPrefix(o, "Spinning") {
			i = j
		}
	}
	require.Positive(t, i, "the product filter offers Spinning: %v", p.Product.Options)
	p.Product.SetSelectedIndex(i)
	f.idle()
	require.Contains(t, shownCodes(p.Shown()), paid)
	assert.NotContains(t, shownCodes(p.Shown()), authorized)
	p.Product.SetSelectedIndex(0)
	f.idle()

	// Offline: the list still works, and a hand-over takes the purchase off it.
	f.shop.Stop()
	f.key(fyne.KeyF10)
	require.Len(t, p.Shown(), total)
	for _, o := range p.Results.Objects {
		if strings.Contains(o.(*button).Text, skranke.GroupCode(paid)) {
			test.Tap(o.(*button))
		}
	}
	f.idle() // The purchase is looked up and shown, then staff look at it.
	f.look()
	require.Equal(t, idScan, f.d.currentScreen())
	require.Equal(t, paid, f.d.scan.Purchase().Code)
	test.Tap(f.d.scan.IDCheck)
	test.Tap(f.d.scan.DeliverAll)
	f.idle()
	require.Equal(t, stateDelivered, f.d.scan.StateNow())
	f.key(fyne.KeyF10)
	assert.NotContains(t, shownCodes(p.Shown()), paid)
	assert.Len(t, p.Shown(), total-1)
}
