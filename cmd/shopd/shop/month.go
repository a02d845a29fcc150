package shop

import (
	"net/http"

	"github.com/skranke/skranke"
)

// month serves GET /reports/month?month=2026-03: the desk's centre's
// figures of a calendar month in Europe/Oslo time (skranke.ReportZone),
// built by skranke.NewMonthReport from the same facts the desk builds its
// own from, so that the two agree to the øre.
func (s *Server) month(tx Tx, req *request) (int, any, error) {
	const op = "shop.Server.month"
	m, err := skranke.ParseMonth(req.http.URL.Query().Get("month"))
	if err != nil {
		return 0, nil, skranke.E(op, skranke.Invalid, err)
	}
	r, err := MonthReport(tx, req.desk.CentreID, m)
	return http.StatusOK, r, err
}

// MonthReport builds a centre's report of month m from a store: the
// purchases made in it or delivered or credited in it, every gift card of
// the centre (for the liability at the month's end) and the redemptions
// made in it.
func MonthReport(tx Tx, centreID string, m skranke.Month) (skranke.MonthReport, error) {
	from, to := m.Bounds()
	ps, err := tx.MonthPurchases(centreID, from, to)
	if err != nil {
		return skranke.MonthReport{}, err
	}
	var facts []skranke.Fact
	for _, p := range ps {
		facts = append(facts, skranke.PurchaseFacts(p)...)
	}
	list, err := tx.CentreCards(centreID)
	if err != nil {
		return skranke.MonthReport{}, err
	}
	cards := make(map[string]*skranke.Card, len(list))
	for i := range list {
		cards[list[i].Code] = &list[i]
	}
	a, err := tx.Activity(centreID, from, to)
	if err != nil {
		return skranke.MonthReport{}, err
	}
	facts = append(facts, skranke.CardFacts(m, cards, a.Redemptions)...)
	return skranke.NewMonthReport(centreID, m, facts, cards), nil
}
