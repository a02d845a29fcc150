package shop

import (
	"time"

	"github.com/skranke/skranke"
)

// MonthPurchases lists a centre's purchases made at or after from and
// before to, or delivered or credited then, each once.
func (t *sqlTx) MonthPurchases(centreID string, from, to time.Time) ([]*skranke.Purchase, error) {
	ps, err := listDocs[skranke.Purchase](t, "shop.sqlTx.MonthPurchases", sqlMonthPurchases,
		centreID, from.UnixMilli(), to.UnixMilli(), centreID, from.UnixNano(), to.UnixNano(), centreID, from.UnixNano(), to.UnixNano())
	return pointers(ps), err
}

// CentreCards lists every gift card of a centre.
func (t *sqlTx) CentreCards(centreID string) ([]skranke.Card, error) {
	return listDocs[skranke.Card](t, "shop.sqlTx.CentreCards", "SELECT doc FROM cards WHERE centre_id = ? ORDER BY seq", centreID)
}

// created_at is in Unix milliseconds, at of deliveries and credits in
// nanoseconds (migrations/0001_init.sql).
const sqlMonthPurchases = `SELECT doc FROM purchases WHERE code IN (
	SELECT code FROM purchases WHERE centre_id = ? AND created_at >= ? AND created_at < ?
	UNION SELECT purchase_code FROM deliveries WHERE centre_id = ? AND at >= ? AND at < ?
	UNION SELECT purchase_code FROM credits WHERE centre_id = ? AND at >= ? AND at < ?)
ORDER BY code`

func pointers[T any](vs []T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}
