package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/skranke/skranke"
)

// ExportCSV writes the rows shown as CSV, header first. Its words (the
// column heads, kinds, yes and no) are in the UI's language; its form is
// the one Norwegian Excel opens as columns without an import dialog,
// whatever the UI's language, since that is the spreadsheet at a
// Norwegian desk: a UTF-8 byte order mark (so that æøå come out right),
// semicolons between fields, decimal commas (1234,50) and CRLF.
func (r *reportScreen) ExportCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true // What Excel on Windows writes and reads.
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
			cell(strings.Join(a.Products, "; ")), csvAmount(a.Amount, true), a.SignatureID, yes(a.Synced), yes(a.StatedByDesk)})
	}
	cw.Flush()
	return cw.Error()
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
func (r *reportScreen) exportFile() {
	r.SaveAs.SetText(r.ExportPath())
	r.replace = ""
	r.SaveConfirm.SetText(label("report.save"))
	r.savePanel.Show()
	r.sh.focus(r.SaveAs)
}

// closeSave closes the save panel.
func (r *reportScreen) closeSave() {
	r.savePanel.Hide()
	r.replace = ""
	r.sh.focus(r.Date)
}

// save writes the CSV file where the save panel says. A file that is there
// already is replaced only when Save is pressed again for it, after staff
// were told: never silently.
func (r *reportScreen) save() {
	path := strings.TrimSpace(r.SaveAs.Text)
	if path == "" || !r.savePanel.Visible() {
		return
	}
	var buf strings.Builder
	if err := r.ExportCSV(&buf); err != nil {
		r.sh.sayErr(label("report.export_failed", m{"Err": detail(err)}))
		return
	}
	data, replace := buf.String(), r.replace == path
	r.sh.async(func(context.Context) func() {
		err := writeNew(path, []byte(data), replace)
		return func() {
			switch {
			case errors.Is(err, fs.ErrExist):
				r.replace = path
				r.SaveConfirm.SetText(label("report.replace"))
				r.sh.sayErr(label("report.export_exists", m{"Path": path}))
			case err != nil:
				r.sh.sayErr(label("report.export_failed", m{"Err": ioErrText(err)}))
			default:
				r.closeSave()
				r.sh.sayOK(label("report.exported", m{"Path": path}))
			}
		}
	})
}

// writeNew writes data to path, creating its directory; unless replace, a
// file already there is left alone and the error is fs.ErrExist.
func writeNew(path string, data []byte, replace bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if replace {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ioErrText says in staff's words why a file could not be written.
func ioErrText(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return label("err.file_permission")
	case errors.Is(err, fs.ErrNotExist):
		return label("err.file_no_dir")
	}
	return detail(err)
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
