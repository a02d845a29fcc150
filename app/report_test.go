package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/printer"
	desksync "github.com/skranke/skranke/sync"
)

func TestDailyReportWorksOffline(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow())

	// Staff cannot open the report.
	f.key(fyne.KeyF3)
	assert.Equal(t, idScan, f.d.currentScreen())
	assert.Contains(t, f.d.message.Text, "Only a manager")

	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "delivery not synced")
	// Ingrid logs in once online, so that this desk can check her PIN
	// offline.
	f.key(fyne.KeyF12)
	f.login("ingrid", "999999")
	f.shop.Stop()
	f.key(fyne.KeyF12)
	f.login("ingrid", "999999") // Offline login: the desk's own verifier.
	f.key(fyne.KeyF3)
	require.Equal(t, idReport, f.d.currentScreen())
	r := f.d.screenReport()
	assert.Equal(t, time.Now().Format("02.01.2006"), r.Date.Text)
	var found *desksync.Activity
	for i, a := range r.Shown() {
		if a.Code == code && a.Kind == "delivery" {
			found = &r.Shown()[i]
		}
	}
	require.NotNil(t, found, "today's delivery is in the report: %v", r.Shown())
	assert.Equal(t, "kari", found.StaffID)
	assert.Contains(t, r.Totals.Text, "deliveries")
	sum := 0
	for _, n := range r.Chart.Counts() {
		sum += n
	}
	assert.Equal(t, len(r.Shown()), sum, "the chart counts every row")
	assert.GreaterOrEqual(t, r.Chart.Counts()[found.At.Local().Hour()], 1, "the delivery's hour has a bar")

	// Filter by staff: only Kari's rows.
	for i, o := range r.Staff.Options {
		if o == found.StaffName || o == found.StaffID {
			r.Staff.SetSelectedIndex(i)
		}
	}
	for _, a := range r.Shown() {
		assert.Equal(t, "kari", a.StaffID)
	}

	// Filter by product: only deliveries of it.
	r.Staff.SetSelectedIndex(0)
	product := ""
	for _, o := range r.Product.Options[1:] {
		if strings.Contains(o, "Spinning") {
			product = o
		}
	}
	require.NotEmpty(t, product, "the course is a product choice: %v", r.Product.Options)
	assert.NotContains(t, product, "×", "products are listed without quantities")
	r.Product.SetSelected(product)
	require.NotEmpty(t, r.Shown())
	for _, a := range r.Shown() {
		assert.Equal(t, "delivery", a.Kind)
		assert.Contains(t, strings.Join(a.Products, ","), product)
	}
	r.Product.SetSelectedIndex(0)

	var csv bytes.Buffer
	require.NoError(t, r.ExportCSV(&csv))
	assert.Contains(t, csv.String(), code)
	assert.True(t, strings.HasPrefix(csv.String(), "\ufeffdate;time;kind"))
	test.Tap(r.Export)
	test.Tap(r.Save.Confirm)
	f.idle()
	assert.Contains(t, f.d.message.Text, r.ExportPath())

	test.Tap(r.Print)
	f.idle()
	f.eventually(func() bool { return bytes.Contains(f.printed(), []byte(printer.GroupCode(code))) }, "report not printed")

	// The day before has none of today's rows.
	test.Tap(r.Prev)
	f.idle()
	for _, a := range r.Shown() {
		assert.NotEqual(t, code, a.Code)
	}
}
