package shop_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

func TestMonthReport(t *testing.T) { eachStore(t, testMonthReport) }

// testMonthReport asks for a month of the desk's centre: its purchases
// count, made on either side of the month's bounds in Oslo time or at
// another centre they do not; a bad month is refused with a message.
func testMonthReport(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	oslo := skranke.ReportLocation()
	// Bought years before the demo's history, so the month holds only these.
	in := time.Date(2021, 10, 31, 23, 59, 0, 0, oslo) // The day summer time ended.
	srv.CreatePurchase(skranke.Purchase{Status: skranke.Captured, CreatedAt: in, Buyer: skranke.Buyer{Name: "Ola"},
		Lines: []skranke.Line{{ProductID: "pt-60", Quantity: 2}}})
	srv.CreatePurchase(skranke.Purchase{Status: skranke.Captured, CreatedAt: time.Date(2021, 11, 1, 0, 0, 0, 0, oslo), Buyer: skranke.Buyer{Name: "Ola"},
		Lines: []skranke.Line{{ProductID: "pt-60", Quantity: 1}}})
	srv.CreatePurchase(skranke.Purchase{Status: skranke.Captured, CreatedAt: in, CentreID: shop.DemoOtherCentreID, Buyer: skranke.Buyer{Name: "Ola"},
		Lines: []skranke.Line{{ProductID: "pt-60", Quantity: 5}}})
	srv.CreatePurchase(skranke.Purchase{Status: skranke.Pending, CreatedAt: in, Buyer: skranke.Buyer{Name: "Ola"},
		Lines: []skranke.Line{{ProductID: "pt-60", Quantity: 7}}})

	a := c.get("/reports/month?month=2021-10")
	wantStatus(t, a, http.StatusOK)
	var r skranke.MonthReport
	a.decode(t, &r)
	if r.CentreID != shop.DemoCentreID || r.Month != "2021-10" || len(r.Days) != 31 {
		t.Fatalf("report of %s for %s with %d days", r.Month, r.CentreID, len(r.Days))
	}
	if r.Total.Sales != 2*79000 || r.Total.SalesCount != 1 || r.Days[30].Sales != 2*79000 {
		t.Errorf("October 2021: sales %v in %d purchases, on the 31st %v; want kr 1 580,00 in 1, all on the 31st",
			r.Total.Sales, r.Total.SalesCount, r.Days[30].Sales)
	}
	if len(r.Products) != 1 || r.Products[0].Key != "pt-60" || r.Products[0].SalesUnits != 2 {
		t.Errorf("products %+v", r.Products)
	}
	for _, bad := range []string{"", "2021-13", "oktober", "2021-10-01"} {
		a := c.get("/reports/month?month=" + bad)
		wantStatus(t, a, http.StatusBadRequest)
		if code := a.errorCode(t); code != "invalid" {
			t.Errorf("month=%q: error %q, want invalid", bad, code)
		}
	}
}
