package app

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
)

// monthService reads the centre's month from the desk's cache.
type monthService interface {
	Month(ctx context.Context, m skranke.Month) (skranke.MonthReport, error)
}

// monthScreen is the month for managers and accountants: sales, credits,
// deliveries and gift cards of a calendar month (Europe/Oslo), per product
// and per staff member, the gift card liability at its end, and a chart of
// sales by day; exported as CSV and printed. It reads the cache, so it
// works offline. The daily report's "The month" button opens it.
type monthScreen struct {
	Month            *entry // mm.yyyy; Enter loads it.
	Prev, Next, This *button
	Totals           *fyne.Container // Label and amount pairs.
	Products, Staff  *fyne.Container // One row of cells per product or staff member, header first.
	Tabs             *container.AppTabs
	Chart            *barChart // Sales by day, in kroner.
	Export, Print    *button
	// Save asks where to save the CSV file (savepanel.go).
	Save *savePanel

	sh        shell
	svc       monthService
	paper     printing
	exportDir string
	month     skranke.Month
	report    *skranke.MonthReport // What is shown; nil before the first load.
	chartBox  *fyne.Container
	seq       int
	obj       fyne.CanvasObject
}

func newMonthScreen(sh shell, svc monthService, paper printing, exportDir string) *monthScreen {
	s := &monthScreen{sh: sh, svc: svc, paper: paper, exportDir: exportDir}
	s.Month = newEntry(sh, label("month.hint"))
	s.Month.OnSubmitted = func(string) { s.load() }
	s.Month.onArrow = func(delta int) { s.shift(-delta) }
	s.Prev = newButton(sh, label("month.prev"), nil, func() { s.shift(-1) })
	s.Next = newButton(sh, label("month.next"), nil, func() { s.shift(1) })
	s.This = newButton(sh, label("month.this"), nil, func() { s.setMonth(skranke.MonthOf(sh.now())); s.load() })
	s.Export = newButton(sh, label("report.export"), theme.DownloadIcon(), s.exportFile)
	s.Save = newSavePanel(sh, s.ExportCSV, func() { sh.focus(s.Month) })
	s.Print = newButton(sh, label("month.print"), theme.DocumentPrintIcon(), s.print)
	s.Totals = container.NewGridWithColumns(6) // Three label and amount pairs a row.
	s.Products = container.NewGridWithColumns(len(productColumns))
	s.Staff = container.NewGridWithColumns(len(staffColumns))
	s.Tabs = container.NewAppTabs(
		container.NewTabItem(label("month.per_product"), container.NewVScroll(s.Products)),
		container.NewTabItem(label("month.per_staff"), container.NewVScroll(s.Staff)))
	s.Chart = newBarChart(nil, nil)
	s.chartBox = container.NewStack(s.Chart)
	title := bigText(28, true)
	title.Text = label("month.title")
	chartTitle := widget.NewLabel(label("month.chart"))
	top := container.NewVBox(title, big(container.NewGridWithColumns(4, s.Prev, s.Month, s.Next, s.This), 16), s.Totals,
		container.NewBorder(nil, nil, chartTitle, nil, s.chartBox))
	s.obj = container.NewBorder(top, s.Save.in(big(container.NewGridWithColumns(2, s.Export, s.Print), 16)), nil, nil,
		minHeight(s.Tabs, linesMinHeight))
	s.setMonth(skranke.MonthOf(sh.now()))
	return s
}

// monthChartHeight is the least height of the chart by day: lower than
// the daily report's, so that totals, chart and tables fit 1024×768.
const monthChartHeight = 96

// The tables' columns: what each cell of a row shows.
var (
	productColumns = []string{"month.col_product", "month.col_units", "month.col_sales", "month.col_credits", "month.col_delivered_units", "month.col_delivered"}
	staffColumns   = []string{"month.col_staff", "month.col_deliveries", "month.col_delivered", "month.col_credits", "month.col_redeemed", "month.col_voided", "month.col_reissued"}
)

func productCells(f skranke.Figures) []string {
	return []string{f.Name, strconv.Itoa(f.SalesUnits), f.Sales.String(), f.Credits.String(), strconv.Itoa(f.DeliveredUnits), f.Delivered.String()}
}

func staffCells(f skranke.Figures) []string {
	name := f.Name
	if name == "" {
		name = f.Key
	}
	return []string{name, strconv.Itoa(f.Deliveries), f.Delivered.String(), f.Credits.String(), f.Redeemed.String(), f.Voided.String(), f.Reissued.String()}
}

// fmtMonth writes a month as staff type it: 03.2026.
func fmtMonth(m skranke.Month) string { return m.String()[5:] + "." + m.String()[:4] }

// parseMonth reads mm.yyyy (also m.yyyy and yyyy-mm).
func parseMonth(s string) (skranke.Month, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"01.2006", "1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return skranke.Month{Year: t.Year(), Month: t.Month()}, nil
		}
	}
	return skranke.ParseMonth(s)
}

func (s *monthScreen) setMonth(m skranke.Month) {
	s.month = m
	s.Month.SetText(fmtMonth(m))
}

func (s *monthScreen) shift(n int) {
	m := s.month
	for ; n < 0; n++ {
		m = m.Prev()
	}
	for ; n > 0; n-- {
		m = m.Next()
	}
	s.setMonth(m)
	s.load()
}

// Shown returns the month shown, or nil.
func (s *monthScreen) Shown() *skranke.MonthReport { return s.report }

func (s *monthScreen) load() {
	mon, err := parseMonth(s.Month.Text)
	if err != nil {
		s.sh.sayErr(label("month.bad_month"))
		return
	}
	s.month = mon
	s.seq++
	seq := s.seq
	s.sh.async(func(ctx context.Context) func() {
		r, err := s.svc.Month(ctx, mon)
		return func() {
			if seq != s.seq {
				return
			}
			if err != nil {
				slog.Info("the month failed", "month", mon, "err", err)
				s.sh.sayErr(label("month.failed", m{"Err": errText(err)}))
				return
			}
			s.show(r)
		}
	})
}

func (s *monthScreen) show(r skranke.MonthReport) {
	s.report = &r
	t := r.Total
	s.Totals.RemoveAll()
	for _, kv := range s.totalsRows() {
		// Labels wrap rather than widen the window past a desk screen.
		s.Totals.Add(rowLabel(kv[0]))
		s.Totals.Add(widget.NewLabelWithStyle(kv[1], fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
	}
	fill := func(c *fyne.Container, cols []string, rows [][]string) {
		c.RemoveAll()
		for _, k := range cols {
			h := widget.NewLabelWithStyle(label(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			h.Truncation = fyne.TextTruncateEllipsis
			c.Add(h)
		}
		for _, cells := range rows {
			for i, v := range cells {
				l := widget.NewLabel(v)
				l.Truncation = fyne.TextTruncateEllipsis
				if i > 0 {
					l.Alignment = fyne.TextAlignTrailing
				}
				c.Add(l)
			}
		}
	}
	var products, staff [][]string
	for _, f := range r.Products {
		if f.Key != "" { // Gift cards issued without a product: in the totals.
			products = append(products, productCells(f))
		}
	}
	for _, f := range r.Staff {
		staff = append(staff, staffCells(f))
	}
	fill(s.Products, productColumns, products)
	fill(s.Staff, staffColumns, staff)
	labels := make([]string, len(r.Days))
	values := make([]int, len(r.Days))
	for i, d := range r.Days {
		labels[i] = strconv.Itoa(i + 1)
		values[i] = int(d.Sales / 100)
	}
	s.Chart = newBarChart(labels, nil)
	s.Chart.minHeight = monthChartHeight
	s.Chart.SetValues(values)
	s.chartBox.Objects = []fyne.CanvasObject{s.Chart}
	s.chartBox.Refresh()
	if t.SalesCount == 0 && t.Deliveries == 0 && t.CreditCount == 0 && t.Redemptions == 0 && t.CardsSoldCount == 0 {
		s.sh.say(label("month.empty", m{"Month": fmtMonth(s.month)}))
	}
}

// totalsRows are the month's totals as label and amount.
func (s *monthScreen) totalsRows() [][2]string {
	if s.report == nil {
		return nil
	}
	t := s.report.Total
	return [][2]string{
		{label("month.t_sales", m{"N": t.SalesCount}), t.Sales.String()},
		{label("month.t_credits", m{"N": t.CreditCount}), t.Credits.String()},
		{label("month.t_net"), t.Net().String()},
		{label("month.t_delivered", m{"N": t.Deliveries, "U": t.DeliveredUnits}), t.Delivered.String()},
		{label("month.t_cards_sold", m{"N": t.CardsSoldCount}), t.CardsSold.String()},
		{label("month.t_redeemed", m{"N": t.Redemptions}), t.Redeemed.String()},
		{label("month.t_voided", m{"N": t.VoidedCount}), t.Voided.String()},
		{label("month.t_reissued", m{"N": t.ReissuedCount}), t.Reissued.String()},
		{label("month.t_liability", m{"N": s.report.LiabilityCards}), s.report.Liability.String()},
	}
}

func (s *monthScreen) print() {
	if s.report == nil {
		return
	}
	s.paper.print(label("print.month"), s.paper.letterhead().month(*s.report, fmtMonth(s.month), s.totalsRows()))
}

func (s *monthScreen) content() fyne.CanvasObject  { return s.obj }
func (s *monthScreen) focusTarget() fyne.Focusable { return s.Month }
func (s *monthScreen) runeTarget() fyne.Focusable  { return nil }
func (s *monthScreen) actionKeys() map[fyne.KeyName]*button {
	return map[fyne.KeyName]*button{fyne.KeyF6: s.Export, fyne.KeyF8: s.Print}
}

// escape cancels the save panel if it is open, and otherwise leaves.
func (s *monthScreen) escape() bool { return !s.Save.escape() }

// lock forgets the month shown: the next person may not see figures.
func (s *monthScreen) lock() {
	s.seq++
	s.report = nil
	s.Totals.RemoveAll()
	s.Products.RemoveAll()
	s.Staff.RemoveAll()
	s.Chart = newBarChart(nil, nil)
	s.chartBox.Objects = []fyne.CanvasObject{s.Chart}
	s.chartBox.Refresh()
	s.setMonth(skranke.MonthOf(s.sh.now()))
}
