package app

import (
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/skranke/skranke"
)

// ExportCSV writes the month shown as CSV in the form of the UI's language
// (see reportScreen.ExportCSV: for Norwegian a byte order mark, semicolons
// and decimal commas): one row for the total, then one per product, per
// staff member and per day; the total's row also holds the gift card
// liability at the month's end. Amounts are kroner with two decimals,
// exact to the øre.
func (s *monthScreen) ExportCSV(w io.Writer) error {
	nb := s.lang == "nb"
	cw, err := newCSV(w, nb)
	if err != nil {
		return err
	}
	_ = cw.Write([]string{"month", "section", "key", "name",
		"sales_nok", "sales_count", "sales_units", "credits_nok", "credit_count",
		"delivered_nok", "deliveries", "delivered_units", "cards_sold_nok", "cards_sold_count",
		"redeemed_nok", "redemptions", "voided_nok", "voided_count", "reissued_nok", "reissued_count",
		"liability_nok", "liability_cards"})
	if s.report == nil {
		cw.Flush()
		return cw.Error()
	}
	r := s.report
	amt := func(v skranke.Money) string { return csvAmount(v, nb) }
	n := strconv.Itoa
	put := func(section string, f skranke.Figures, liability ...string) {
		_ = cw.Write(append([]string{r.Month, section, cell(f.Key), cell(f.Name),
			amt(f.Sales), n(f.SalesCount), n(f.SalesUnits), amt(f.Credits), n(f.CreditCount),
			amt(f.Delivered), n(f.Deliveries), n(f.DeliveredUnits), amt(f.CardsSold), n(f.CardsSoldCount),
			amt(f.Redeemed), n(f.Redemptions), amt(f.Voided), n(f.VoidedCount), amt(f.Reissued), n(f.ReissuedCount)}, liability...))
	}
	// The liability is the month's alone: on the total's row.
	put("total", r.Total, amt(r.Liability), n(r.LiabilityCards))
	for _, f := range r.Products {
		put("product", f, "", "")
	}
	for _, f := range r.Staff {
		put("staff", f, "", "")
	}
	for _, f := range r.Days {
		put("day", f, "", "")
	}
	cw.Flush()
	return cw.Error()
}

// ExportPath is where Export writes the month's CSV file.
func (s *monthScreen) ExportPath() string {
	dir := s.exportDir
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "exports", "skranke-month-"+s.month.String()+".csv")
}

func (s *monthScreen) exportFile() { exportCSV(s.sh, s.ExportPath(), s.ExportCSV) }
