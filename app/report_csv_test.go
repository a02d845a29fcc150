package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/cmd/shopd/shop"
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

func findRow(t *testing.T, rows [][]string, code string) []string {
	for _, row := range rows[1:] {
		if row[5] == code && row[2] == "credit" {
			return row
		}
	}
	t.Fatalf("no credit row for %s in %v", code, rows)
	return nil
}

// Norwegian Excel opens the export as columns: semicolons, decimal commas,
// and a byte order mark so that æøå come out right.
func TestReportCSVNorwegian(t *testing.T) {
	f, code := csvFixture(t, "nb")
	raw, rows := exportRows(t, f, ';')
	require.True(t, strings.HasPrefix(raw, "\ufeffdate;time;kind;"), "%q", raw[:min(len(raw), 40)])
	assert.Len(t, rows[0], 12)
	assert.Equal(t, "stated_by_desk", rows[0][11])
	row := findRow(t, rows, code)
	assert.Equal(t, "false", row[11], "a credit is made under a staff session")
	assert.Equal(t, "1234,50", row[8])
	assert.Equal(t, "Åse Ødegård", row[6])
	assert.Equal(t, "Flyttet fra byen", row[7])
	assert.Contains(t, raw, "\r\n")
	assert.NotContains(t, raw, "1234.50")
}

// English keeps commas and decimal points, without a byte order mark.
func TestReportCSVEnglish(t *testing.T) {
	f, code := csvFixture(t, "en")
	raw, rows := exportRows(t, f, ',')
	require.True(t, strings.HasPrefix(raw, "date,time,kind,"), "%q", raw[:min(len(raw), 40)])
	row := findRow(t, rows, code)
	assert.Equal(t, "1234.50", row[8])
	assert.Equal(t, "Åse Ødegård", row[6])
}
