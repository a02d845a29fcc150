package app

import (
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/skranke/skranke"
)

// ExportCSV writes the month shown as CSV in the daily report's form (see
// newExcelCSV: a byte order mark, semicolons, decimal commas and CRLF),
// with its heads and sections in the UI's language: one row for the
// total, then one per product, per staff member and per day; the total's
// row also holds the gift card liability at the month's end. Amounts are
// kroner with two decimals, exact to the øre.
func (s *monthScreen) ExportCSV(w io.Writer) error {
	cw, err := newExcelCSV(w)
	if err != nil {
		return err
	}
	head := make([]string, len(monthCSVColumns))
	for i, k := range monthCSVColumns {
		head[i] = label(k)
	}
	_ = cw.Write(head)
	if s.report == nil {
		cw.Flush()
		return cw.Error()
	}
	r := s.report
	amt := csvAmount
	n := strconv.Itoa
	put := func(section string, f skranke.Figures, liability ...string) {
		_ = cw.Write(append([]string{r.Month, section, cell(f.Key), cell(f.Name),
			amt(f.Sales), n(f.SalesCount), n(f.SalesUnits), amt(f.Credits), n(f.CreditCount),
			amt(f.Delivered), n(f.Deliveries), n(f.DeliveredUnits), amt(f.CardsSold), n(f.CardsSoldCount),
			amt(f.Redeemed), n(f.Redemptions), amt(f.Voided), n(f.VoidedCount), amt(f.Reissued), n(f.ReissuedCount)}, liability...))
	}
	// The liability is the month's alone: on the total's row.
	put(label("csv.section_total"), r.Total, amt(r.Liability), n(r.LiabilityCards))
	for _, f := range r.Products {
		put(label("csv.section_product"), f, "", "")
	}
	for _, f := range r.Staff {
		put(label("csv.section_staff"), f, "", "")
	}
	for _, f := range r.Days {
		put(label("csv.section_day"), f, "", "")
	}
	cw.Flush()
	return cw.Error()
}

// monthCSVColumns are the label keys of the month's CSV columns, in order.
var monthCSVColumns = []string{"csv.month", "csv.section", "csv.key", "csv.name",
	"csv.sales", "csv.sales_count", "csv.sales_units", "csv.credits", "csv.credit_count",
	"csv.delivered", "csv.deliveries", "csv.delivered_units", "csv.cards_sold", "csv.cards_sold_count",
	"csv.redeemed", "csv.redemptions", "csv.voided", "csv.voided_count", "csv.reissued", "csv.reissued_count",
	"csv.liability", "csv.liability_cards"}

// ExportPath is where Export proposes to save the month's CSV file.
func (s *monthScreen) ExportPath() string {
	dir := s.exportDir
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "exports", "skranke-month-"+s.month.String()+".csv")
}

// exportFile asks where to save: the save panel opens with the proposed
// path, and Save (or Enter) writes there.
func (s *monthScreen) exportFile() { s.Save.open(s.ExportPath()) }
