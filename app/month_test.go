package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
	desksync "github.com/skranke/skranke/sync"
)

// texts lists the texts of the labels in c, in order.
func texts(c *fyne.Container) []string {
	var out []string
	for _, o := range c.Objects {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return out
}

// parseExcelCSV reads a CSV file as Norwegian Excel does: it must start
// with a byte order mark and have semicolons between fields.
func parseExcelCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("\ufeff")), "a byte order mark: %q", b[:min(len(b), 20)])
	r := csv.NewReader(bytes.NewReader(b[len("\ufeff"):]))
	r.Comma = ';'
	rows, err := r.ReadAll()
	require.NoError(t, err, "%s", b)
	require.NotEmpty(t, rows)
	return rows
}

// TestMonth opens the month from the daily report, as a manager, against a
// real shopd: the figures are the shop's own (GET /reports/month) to the
// øre, shown per product and per staff member, exported and printed; then
// again with the shop down, from the cache. Staff cannot open it.
func TestMonth(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.d.showScreen(idMonth)
	assert.Equal(t, idScan, f.d.currentScreen(), "staff do not see the month")
	assert.Contains(t, f.d.message.Text, "Only a manager")

	f.eventually(func() bool { return !f.d.desk.Status().LastSync.IsZero() }, "never synced")
	f.key(fyne.KeyF12)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF3)
	require.Equal(t, idReport, f.d.currentScreen())
	test.Tap(f.d.report.Month)
	require.Equal(t, idMonth, f.d.currentScreen(), "the daily report opens the month")
	s := f.d.screenMonth()
	showDemoMonth(f, s)

	this := demoMonth(f)
	want, err := desksync.NewClient(f.shop.URL, f.shop.DeskToken, desksync.ClientOptions{}).Month(context.Background(), this)
	require.NoError(t, err)
	require.Equal(t, want, *s.Shown(), "the desk shows the shop's figures")
	require.NotZero(t, want.Total.Sales, "the demo sells this month")
	assert.Equal(t, fmtMonth(this), s.Month.Text)
	totals := strings.Join(texts(s.Totals), " | ")
	assert.Contains(t, totals, "Sales ("+strconv.Itoa(want.Total.SalesCount)+" purchases) | "+want.Total.Sales.String())
	assert.Contains(t, totals, want.Liability.String())
	products := texts(s.Products)
	require.Greater(t, len(products), len(productColumns), "a row per product")
	for _, p := range want.Products {
		if p.Key != "" {
			assert.Contains(t, products, p.Name)
			assert.Contains(t, products, p.Sales.String())
		}
	}
	staff := texts(s.Staff)
	for _, p := range want.Staff {
		assert.Contains(t, staff, p.Name)
	}
	assert.Len(t, s.Chart.Values(), this.Days(), "a bar per day")
	var chartSum int
	for _, v := range s.Chart.Values() {
		chartSum += v
	}
	assert.InDelta(t, int(want.Total.Sales/100), chartSum, float64(this.Days()), "the bars add up to the month's sales in kroner")

	// CSV: in the daily report's form whatever the language (byte order
	// mark, semicolons, decimal commas), with English heads; the total's
	// row first.
	var buf bytes.Buffer
	require.NoError(t, s.ExportCSV(&buf))
	rows := parseExcelCSV(t, buf.Bytes())
	require.Equal(t, "sales_nok", rows[0][4])
	assert.Equal(t, []string{this.String(), "total"}, rows[1][:2])
	assert.Equal(t, csvAmount(want.Total.Sales), rows[1][4])
	assert.Equal(t, csvAmount(want.Liability), rows[1][20])
	assert.Len(t, rows, 2+len(want.Products)+len(want.Staff)+len(want.Days))

	test.Tap(s.Print)
	f.eventually(func() bool { return strings.Contains(string(f.printed()), "The month") }, "the month was not printed")
	printed := printedText(t, f.printed())
	assert.Contains(t, printed, want.Total.Sales.String())
	assert.Contains(t, printed, fmtMonth(this))

	// The month before, and back.
	test.Tap(s.Prev)
	f.eventually(func() bool { return s.Shown() != nil && s.Shown().Month == this.Prev().String() }, "the month before never showed")
	test.Tap(s.Next)
	f.eventually(func() bool { return s.Shown() != nil && s.Shown().Month == this.String() }, "back to this month")

	// Offline: the same figures from the cache.
	f.key(fyne.KeyF12)
	assert.Nil(t, s.Shown(), "locking forgets the figures")
	f.shop.Stop()
	f.login("ingrid", "999999")
	f.key(fyne.KeyF3)
	test.Tap(f.d.report.Month)
	showDemoMonth(f, s)
	assert.Equal(t, want, *s.Shown(), "offline, the cache gives the shop's figures")

	s.Month.SetText("13.2026")
	s.Month.Submit()
	f.idle()
	assert.Contains(t, f.d.message.Text, "mm.yyyy")
}

// The month's Export asks where to save, proposing the month's file, never
// writes over a file silently, and writes a file Norwegian Excel opens as
// columns (byte order mark, semicolons, decimal commas) with its heads and
// sections in the UI's language, in both languages.
func TestMonthExportAsksWhereAndNeverOverwritesSilently(t *testing.T) {
	for _, tc := range []struct {
		lang, sales, total, exists, replace string
	}{
		{"en", "sales_nok", "total", "exists already", "Replace"},
		{"nb", "salg_nok", "totalt", "finnes allerede", "Erstatt"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = tc.lang })
			f.login("ingrid", "999999")
			f.eventually(func() bool { return !f.d.desk.Status().LastSync.IsZero() }, "never synced")
			f.key(fyne.KeyF3)
			test.Tap(f.d.report.Month)
			require.Equal(t, idMonth, f.d.currentScreen())
			s := f.d.screenMonth()
			showDemoMonth(f, s)
			require.NotZero(t, s.Shown().Total.Sales, "the demo sells this month")
			p := s.Save

			require.False(t, p.Visible(), "the panel is closed until Export")
			f.key(fyne.KeyF6)
			require.True(t, p.Visible(), "F6 asks where to save")
			assert.Equal(t, s.ExportPath(), p.Path.Text, "the month's file is proposed")
			assert.Contains(t, p.Path.Text, demoMonth(f).String())
			assert.Equal(t, p.Path, f.d.window.Canvas().Focused(), "the name can be typed at once")

			path := filepath.Join(t.TempDir(), "måned.csv")
			p.Path.SetText(path)
			p.Path.Submit() // Enter saves.
			f.idle()
			assert.False(t, p.Visible(), "saved: the panel closes")
			assert.Contains(t, f.d.message.Text, path)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			rows := parseExcelCSV(t, b)
			assert.Contains(t, string(b), "\r\n")
			assert.Equal(t, tc.sales, rows[0][4])
			assert.Equal(t, tc.total, rows[1][1])
			assert.Equal(t, csvAmount(s.Shown().Total.Sales), rows[1][4])
			assert.Contains(t, rows[1][4], ",", "a decimal comma")
			assert.Len(t, rows, 2+len(s.Shown().Products)+len(s.Shown().Staff)+len(s.Shown().Days))

			// A file that is there already: staff are told, and only
			// Replace writes over it.
			require.NoError(t, os.WriteFile(path, []byte("kept"), 0o600))
			f.key(fyne.KeyF6)
			p.Path.SetText(path)
			test.Tap(p.Confirm)
			f.idle()
			b, _ = os.ReadFile(path)
			assert.Equal(t, "kept", string(b), "not overwritten silently")
			assert.Contains(t, f.d.message.Text, tc.exists)
			assert.Equal(t, tc.replace, p.Confirm.Text)
			assert.True(t, p.Visible(), "the panel stays for staff to choose")
			// Another name is another question: Replace turns back to Save.
			p.Path.SetText(path + ".x")
			assert.NotEqual(t, tc.replace, p.Confirm.Text)
			p.Path.SetText(path)
			test.Tap(p.Confirm)
			f.idle()
			b, _ = os.ReadFile(path)
			assert.Equal(t, "kept", string(b), "a changed name asks again")
			test.Tap(p.Confirm) // Replace, now that staff know.
			f.idle()
			b, _ = os.ReadFile(path)
			assert.Equal(t, rows, parseExcelCSV(t, b), "replaced when asked")
			assert.False(t, p.Visible())

			// Cancel writes nothing.
			other := filepath.Join(t.TempDir(), "ikke.csv")
			f.key(fyne.KeyF6)
			p.Path.SetText(other)
			test.Tap(p.Cancel)
			f.idle()
			assert.NoFileExists(t, other)
			assert.False(t, p.Visible())
			assert.Equal(t, s.Month, f.d.window.Canvas().Focused(), "the focus goes back to the month")

			// F6 again keeps what was typed; Esc cancels the panel first
			// and leaves the month only when pressed again.
			f.key(fyne.KeyF6)
			p.Path.SetText(other)
			f.key(fyne.KeyF6)
			assert.Equal(t, other, p.Path.Text, "F6 again keeps the name typed")
			f.key(fyne.KeyEscape)
			f.idle()
			assert.False(t, p.Visible())
			assert.Equal(t, idMonth, f.d.currentScreen(), "Esc closes the panel, not the month")
			assert.NoFileExists(t, other)
			f.key(fyne.KeyEscape)
			assert.NotEqual(t, idMonth, f.d.currentScreen())
		})
	}
}
