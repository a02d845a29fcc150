package shop

import (
	"strconv"
	"strings"
	"time"

	"github.com/skranke/skranke"
)

// MonthPurchases lists a centre's purchases made at or after from and
// before to, or delivered or credited then, each once.
func (t *pgTx) MonthPurchases(centreID string, from, to time.Time) ([]*skranke.Purchase, error) {
	ps, err := pgListDocs[skranke.Purchase](t, "shop.pgTx.MonthPurchases", pgNumbered(sqlMonthPurchases),
		centreID, from.UnixMilli(), to.UnixMilli(), centreID, from.UnixNano(), to.UnixNano(), centreID, from.UnixNano(), to.UnixNano())
	return pointers(ps), err
}

// CentreCards lists every gift card of a centre.
func (t *pgTx) CentreCards(centreID string) ([]skranke.Card, error) {
	return pgListDocs[skranke.Card](t, "shop.pgTx.CentreCards", "SELECT doc FROM cards WHERE centre_id = $1 ORDER BY seq", centreID)
}

// pgNumbered turns the ? placeholders of a query into $1, $2, ….
func pgNumbered(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
