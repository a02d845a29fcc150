package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

// searchFor types q into the search screen and presses Enter.
func (f *fixture) searchFor(q string) {
	f.t.Helper()
	s := f.d.screenSearch()
	s.Query.SetText("")
	// At a person's pace: a query typed at once and ended with Enter is a
	// scanner's burst, which goes to the scan screen.
	f.typeByHand(s.Query, q)
	s.Query.Submit()
	f.idle()
}

func shownCodes(ps []skranke.PurchaseSummary) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Code)
	}
	return out
}

func TestSearchOpensPurchaseAndAsksForID(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	p := f.shop.CreatePurchase(skranke.Purchase{Status: skranke.Captured, Lines: []skranke.Line{{ProductID: "dropin-sal", Quantity: 1}},
		Buyer: skranke.Buyer{Name: "Åsne Øyvårdsdal", Email: "asne@example.no", Phone: "+47 404 69 481"}})

	f.key(fyne.KeyF9)
	require.Equal(t, idSearch, f.d.currentScreen())
	require.Equal(t, f.d.search.Query, f.d.window.Canvas().Focused(), "the search field has the keyboard")
	f.searchFor("asne oyvardsdal")
	require.Equal(t, []string{p.Code}, shownCodes(f.d.search.Shown()), f.d.search.Info.Text)
	assert.Contains(t, f.d.search.Info.Text, "1 found")
	assert.NotContains(t, f.d.search.Info.Text, "OFFLINE")
	row := f.d.search.Results.Objects[0].(*button)
	assert.Contains(t, row.Text, "Åsne Øyvårdsdal")
	assert.Contains(t, row.Text, skranke.GroupCode(p.Code))
	assert.Contains(t, row.Text, "1 left to hand over")

	// Choosing it opens it as if scanned, with the ID check to tick.
	test.Tap(row)
	f.idle() // The purchase is looked up and shown, then staff look at it.
	f.look()
	require.Equal(t, idScan, f.d.currentScreen())
	require.Equal(t, p.Code, f.d.scan.Purchase().Code)
	require.Equal(t, stateDeliverable, f.d.scan.StateNow())
	require.True(t, f.d.scan.IDCheck.Visible())

	test.Tap(f.d.scan.DeliverAll)
	f.idle()
	assert.Contains(t, f.d.message.Text, "ID checked")
	assert.Empty(t, f.shop.Deliveries(p.Code), "nothing is handed over before the ID check")
	require.Equal(t, stateDeliverable, f.d.scan.StateNow())

	test.Tap(f.d.scan.IDCheck)
	test.Tap(f.d.scan.DeliverAll)
	f.idle()
	require.Equal(t, stateDelivered, f.d.scan.StateNow())
	f.eventually(func() bool { return len(f.shop.Deliveries(p.Code)) == 1 }, "delivery not at the shop")
	assert.True(t, f.shop.Deliveries(p.Code)[0].IDChecked, "the shop recorded the ID check")

	// A scanned purchase needs no ID check.
	f.scan(f.shop.Code("paid-course"))
	assert.False(t, f.d.scan.IDCheck.Visible())
}

func TestSearchOfflineAndBadInput(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	p := f.shop.CreatePurchase(skranke.Purchase{Status: skranke.Captured, Lines: []skranke.Line{{ProductID: "dropin-sal", Quantity: 1}},
		Buyer: skranke.Buyer{Name: "Ødegaard Åkesson", Phone: "+47 404 11 222"}})
	f.eventually(func() bool {
		_, err := f.desk.Cached(context.Background(), p.Code)
		return err == nil
	}, "the purchase never reached the cache")
	f.shop.Stop()

	f.key(fyne.KeyF9)
	f.searchFor("+47 404 11 222")
	require.Equal(t, []string{p.Code}, shownCodes(f.d.search.Shown()), f.d.search.Info.Text)
	assert.Contains(t, f.d.search.Info.Text, "OFFLINE")
	f.searchFor("ODEGAARD akesson")
	require.Equal(t, []string{p.Code}, shownCodes(f.d.search.Shown()), f.d.search.Info.Text)

	for _, tc := range []struct{ q, want string }{
		{"", "Type a name"},
		{"a", "at least 3"},
		{strings.Repeat("x", 1000), "too long"},
		{`"`, "Type a name"},
		{"*", "Type a name"},
		{"-", "Type a name"},
		{"\xff\xfe", "Type a name"},
		{"NEAR", "No purchase found"},
		{`ødegaard" NEAR *`, "No purchase found"},
		{"'; DROP TABLE purchases; --", "No purchase found"},
	} {
		f.searchFor(tc.q)
		assert.Contains(t, f.d.search.Info.Text, tc.want, "q=%q", tc.q)
		assert.Empty(t, f.d.search.Shown(), "q=%q", tc.q)
		assert.Empty(t, f.d.search.Results.Objects, "q=%q", tc.q)
	}

	// Locking forgets who was sought.
	f.searchFor("odegaard")
	require.NotEmpty(t, f.d.search.Shown())
	f.key(fyne.KeyF12)
	assert.Empty(t, f.d.search.Shown())
	assert.Empty(t, f.d.search.Query.Text)
}
