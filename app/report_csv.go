package app

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/skranke/skranke"
)

// ExportCSV writes the rows shown as CSV, header first, in the form the
// spreadsheet of the UI's language opens without an import dialog: for
// Norwegian, a UTF-8 byte order mark (so that æøå come out right),
// semicolons between fields and decimal commas (1234,50), as Norwegian Excel
// expects; for English, commas and decimal points (1234.50).
func (r *reportScreen) ExportCSV(w io.Writer) error {
	nb := r.lang == "nb"
	cw, err := newCSV(w, nb)
	if err != nil {
		return err
	}
	_ = cw.Write([]string{"date", "time", "kind", "staff_id", "staff", "code", "buyer", "products", "amount_nok", "signature_id", "synced", "stated_by_desk"})
	for _, a := range r.shown {
		amt := csvAmount(a.Amount, nb)
		_ = cw.Write([]string{fmtDate(a.At), fmtTime(a.At), a.Kind, cell(a.StaffID), cell(a.StaffName), cell(a.Code), cell(a.Buyer),
			cell(strings.Join(a.Products, "; ")), amt, a.SignatureID, strconv.FormatBool(a.Synced), strconv.FormatBool(a.StatedByDesk)})
	}
	cw.Flush()
	return cw.Error()
}

// newCSV starts a CSV file in the form of the UI's language (see
// reportScreen.ExportCSV): for Norwegian (nb true) a byte order mark,
// semicolons and CRLF.
func newCSV(w io.Writer, nb bool) (*csv.Writer, error) {
	if nb {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return nil, err
		}
	}
	cw := csv.NewWriter(w)
	if nb {
		cw.Comma = ';'
		cw.UseCRLF = true // What Excel on Windows writes and reads.
	}
	return cw, nil
}

// csvAmount writes m in kroner as a spreadsheet reads a number, 1234,50
// with a decimal comma or 1234.50 with a point, in integers so that no
// amount is rounded on the way.
func csvAmount(m skranke.Money, comma bool) string {
	v := int64(m)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	sep := "."
	if comma {
		sep = ","
	}
	return fmt.Sprintf("%s%d%s%02d", sign, v/100, sep, v%100)
}

// cell keeps text typed by others (a buyer's name from the web shop) from
// being run as a formula by the spreadsheet that opens the file.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportPath is where Export writes the day's CSV file.
func (r *reportScreen) ExportPath() string {
	dir := r.exportDir
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "exports", "skranke-"+r.day.Format("2006-01-02")+".csv")
}

func (r *reportScreen) exportFile() { exportCSV(r.sh, r.ExportPath(), r.ExportCSV) }

// exportCSV writes the CSV that write makes to path, off the UI
// goroutine, and tells staff where it went.
func exportCSV(sh shell, path string, write func(io.Writer) error) {
	var buf strings.Builder
	if err := write(&buf); err != nil {
		sh.sayErr(err.Error())
		return
	}
	data := buf.String()
	sh.async(func(context.Context) func() {
		err := os.MkdirAll(filepath.Dir(path), 0o700)
		if err == nil {
			err = os.WriteFile(path, []byte(data), 0o600)
		}
		return func() {
			if err != nil {
				sh.sayErr(label("report.export_failed", m{"Err": err.Error()}))
				return
			}
			sh.sayOK(label("report.exported", m{"Path": path}))
		}
	})
}
