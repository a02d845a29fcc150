package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/printer"
	desksync "github.com/skranke/skranke/sync"
)

// csvFixture opens the desk in lang with a credit of kr 1 234,50 on a
// purchase by a buyer with æøå in her name, and shows the daily report.
func csvFixture(t *testing.T, lang string) (*fixture, string) {
	f := mustOpen(t, func(c *config.Config) { c.Language = lang })
	p := f.shop.CreatePurchase(skranke.Purchase{
		Buyer:  skranke.Buyer{Name: "Åse Ødegård"},
		Status: skranke.Captured, Acquirer: "nets",
		Lines: []skranke.Line{{ProductID: "kurs-yoga-8", Name: "Årskort", Kind: skranke.Service, Quantity: 1, UnitPrice: 500000, VATRate: 25}},
	})
	f.login("ingrid", "999999") // Her staff session carries the credit.
	manager := skranke.Staff{ID: shop.DemoManagerID, Name: "Ingrid", Role: skranke.RoleManager}
	_, err := f.desk.Credit(context.Background(), p.Code, desksync.CreditOrder{Amount: 123450, Reason: "Flyttet fra byen"}, manager)
	require.NoError(t, err)
	f.key(fyne.KeyF3)
	require.Equal(t, idReport, f.d.currentScreen())
	return f, p.Code
}

func exportRows(t *testing.T, f *fixture, comma rune) (raw string, rows [][]string) {
	var buf bytes.Buffer
	require.NoError(t, f.d.report.ExportCSV(&buf))
	raw = buf.String()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\ufeff")))
	r.Comma = comma
	rows, err := r.ReadAll()
	require.NoError(t, err, "%s", raw)
	require.NotEmpty(t, rows)
	return raw, rows
}

func findRow(t *testing.T, rows [][]string, code, kind string) []string {
	for _, row := range rows[1:] {
		if row[5] == code && row[2] == kind {
			return row
		}
	}
	t.Fatalf("no credit row for %s in %v", code, rows)
	return nil
}

// Norwegian Excel opens the export as columns: semicolons, decimal commas,
// and a byte order mark so that æøå come out right; heads and words in
// Norwegian.
func TestReportCSVNorwegian(t *testing.T) {
	f, code := csvFixture(t, "nb")
	raw, rows := exportRows(t, f, ';')
	require.True(t, strings.HasPrefix(raw, "\ufeffdato;klokkeslett;type;"), "%q", raw[:min(len(raw), 40)])
	assert.Len(t, rows[0], 12)
	assert.Equal(t, "oppgitt_av_skranken", rows[0][11])
	row := findRow(t, rows, code, "Kreditering")
	assert.Equal(t, "nei", row[11], "a credit is made under a staff session")
	assert.Equal(t, "1234,50", row[8])
	assert.Equal(t, "Åse Ødegård", row[6])
	assert.Equal(t, "Flyttet fra byen", row[7])
	assert.Contains(t, raw, "\r\n")
	assert.NotContains(t, raw, "1234.50")
}

// The English file has English heads and words, and opens as columns in
// the Norwegian Excel of a Norwegian desk just as the Norwegian one does.
func TestReportCSVEnglish(t *testing.T) {
	f, code := csvFixture(t, "en")
	raw, rows := exportRows(t, f, ';')
	require.True(t, strings.HasPrefix(raw, "\ufeffdate;time;kind;"), "%q", raw[:min(len(raw), 40)])
	assert.Len(t, rows[0], 12)
	row := findRow(t, rows, code, "Credit")
	assert.Equal(t, "no", row[11])
	assert.Equal(t, "1234,50", row[8], "a number to Norwegian Excel")
	assert.Equal(t, "Åse Ødegård", row[6])
	assert.Contains(t, raw, "\r\n")
}

// Export asks where to save, proposing the day's file; a file that is
// there already is replaced only when staff press Replace after being told.
func TestExportAsksWhereAndNeverOverwritesSilently(t *testing.T) {
	f, _ := csvFixture(t, "nb")
	r := f.d.screenReport()
	f.key(fyne.KeyF6)
	require.True(t, r.Save.Visible(), "F6 opens the save panel")
	assert.Equal(t, r.ExportPath(), r.Save.Path.Text, "the day's file is proposed")
	assert.Equal(t, r.Save.Path, f.d.window.Canvas().Focused(), "the name can be typed at once")
	path := filepath.Join(t.TempDir(), "rapport.csv")
	r.Save.Path.SetText(path)
	r.Save.Path.Submit() // Enter saves.
	f.idle()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "\ufeffdato;"))
	assert.False(t, r.Save.Visible())
	assert.Contains(t, f.d.message.Text, path)

	require.NoError(t, os.WriteFile(path, []byte("kept"), 0o600))
	f.key(fyne.KeyF6)
	r.Save.Path.SetText(path)
	test.Tap(r.Save.Confirm)
	f.idle()
	b, _ = os.ReadFile(path)
	assert.Equal(t, "kept", string(b), "not overwritten silently")
	assert.Contains(t, f.d.message.Text, "finnes allerede")
	assert.Equal(t, "Erstatt", r.Save.Confirm.Text)
	assert.True(t, r.Save.Visible())
	test.Tap(r.Save.Confirm) // Replace, now that staff know.
	f.idle()
	b, _ = os.ReadFile(path)
	assert.True(t, strings.HasPrefix(string(b), "\ufeffdato;"), "replaced when asked")

	// Cancel writes nothing.
	other := filepath.Join(t.TempDir(), "ikke.csv")
	f.key(fyne.KeyF6)
	r.Save.Path.SetText(other)
	test.Tap(r.Save.Cancel)
	f.idle()
	assert.NoFileExists(t, other)
	assert.False(t, r.Save.Visible())
}

// The printed report groups each code once: "A6MA ECGN", not "A6MA -ECG N".
func TestPrintedReportGroupsCodesOnce(t *testing.T) {
	f, code := csvFixture(t, "nb")
	test.Tap(f.d.report.Print)
	f.idle()
	f.eventually(func() bool { return len(f.printed()) > 0 }, "the report is printed")
	f.eventually(func() bool { return !f.d.isBusy() }, "printing ends")
	text := printedText(t, f.printed())
	assert.Contains(t, text, printer.GroupCode(code))
	assert.NotContains(t, text, printer.GroupCode(skranke.GroupCode(code)), "grouped twice")
}
