package app

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/skranke/skranke"
)

// newExcelCSV starts a CSV file in the form Norwegian Excel opens as
// columns without an import dialog, whatever the UI's language, since that
// is the spreadsheet at a Norwegian desk: a UTF-8 byte order mark (so that
// æøå come out right), semicolons between fields and CRLF. Amounts go in
// with csvAmount, which writes decimal commas.
func newExcelCSV(w io.Writer) (*csv.Writer, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true // What Excel on Windows writes and reads.
	return cw, nil
}

// csvAmount writes m in kroner as Norwegian Excel reads a number, 1234,50
// with a decimal comma, in integers so that no amount is rounded on the
// way.
func csvAmount(m skranke.Money) string {
	v := int64(m)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d,%02d", sign, v/100, v%100)
}

// cell keeps text typed by others (a buyer's name from the web shop) from
// being run as a formula by the spreadsheet that opens the file.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
