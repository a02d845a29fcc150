package app

import (
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ExportCSV writes the rows shown as CSV, header first. Its words (the
// column heads, kinds, yes and no) are in the UI's language; its form is
// the one Norwegian Excel opens as columns (see newExcelCSV): a byte order
// mark, semicolons, decimal commas (1234,50) and CRLF.
func (r *reportScreen) ExportCSV(w io.Writer) error {
	cw, err := newExcelCSV(w)
	if err != nil {
		return err
	}
	_ = cw.Write([]string{label("csv.date"), label("csv.time"), label("csv.kind"), label("csv.staff_id"), label("csv.staff"),
		label("csv.code"), label("csv.buyer"), label("csv.products"), label("csv.amount"), label("csv.signature_id"),
		label("csv.synced"), label("csv.stated_by_desk")})
	yes := func(b bool) string {
		if b {
			return label("csv.yes")
		}
		return label("csv.no")
	}
	for _, a := range r.shown {
		_ = cw.Write([]string{fmtDate(a.At), fmtTime(a.At), activityName(a.Kind), cell(a.StaffID), cell(a.StaffName), cell(a.Code), cell(a.Buyer),
			cell(strings.Join(a.Products, "; ")), csvAmount(a.Amount), a.SignatureID, yes(a.Synced), yes(a.StatedByDesk)})
	}
	cw.Flush()
	return cw.Error()
}

// ExportPath is where Export proposes to save the day's CSV file.
func (r *reportScreen) ExportPath() string {
	dir := r.exportDir
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "exports", "skranke-"+r.day.Format("2006-01-02")+".csv")
}

// exportFile asks where to save: the save panel opens with the proposed
// path, and Save (or Enter) writes there.
func (r *reportScreen) exportFile() { r.Save.open(r.ExportPath()) }
