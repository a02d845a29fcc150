package app

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// reportScreen is the manager's daily report: the day's deliveries,
// redemptions and credits from the cache, so it works offline.
type reportScreen struct {
	// Date is the day shown, dd.mm.yyyy; Enter loads it.
	Date *entry
	// Staff and Product filter the rows; the first option means all.
	Staff   *selectField
	Product *selectField
	// Rows lists the activities shown.
	Rows *fyne.Container
	// Totals sums the rows.
	Totals *widget.Label
	// Chart shows activities by hour.
	Chart *hourChart

	Prev, Next, Today *button
	Export            *button // Opens the save panel for a CSV file.
	// Save asks where to save the CSV file (savepanel.go).
	Save  *savePanel
	Print *button // Prints the report on the receipt printer.
	Month *button // Opens the month (month.go), which the navigation bar has no room for.

	sh        shell
	svc       reportService
	paper     printing
	exportDir string // Where Export writes; empty means the temporary directory.
	openMonth func() // What Month does; set by the desk.
	day       time.Time
	all       []desksync.Activity
	shown     []desksync.Activity
	obj       fyne.CanvasObject
}

// reportService is what the daily report asks of the desk's sync.
type reportService interface {
	Activities(ctx context.Context, from, to time.Time) ([]desksync.Activity, error)
	signatureService
}

func newReportScreen(sh shell, svc reportService, paper printing, exportDir string) *reportScreen {
	r := &reportScreen{sh: sh, svc: svc, paper: paper, exportDir: exportDir}
	r.Date = newEntry(sh, label("report.date_hint"))
	r.Date.OnSubmitted = func(string) { r.load() }
	r.Staff = newSelect(sh, nil, func(string) { r.filter() })
	r.Product = newSelect(sh, nil, func(string) { r.filter() })
	r.Rows = container.NewVBox()
	r.Totals = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.Totals.Wrapping = fyne.TextWrapWord
	r.Chart = newHourChart()
	r.Prev = newButton(sh, label("report.prev"), nil, func() { r.shift(-1) })
	r.Next = newButton(sh, label("report.next"), nil, func() { r.shift(1) })
	r.Today = newButton(sh, label("report.today"), nil, func() { r.setDay(sh.now()); r.load() })
	r.Export = newButton(sh, label("report.export"), theme.DownloadIcon(), r.exportFile)
	r.Print = newButton(sh, label("report.print"), theme.DocumentPrintIcon(), r.print)
	r.Month = newButton(sh, label("report.month"), theme.GridIcon(), func() {
		if r.openMonth != nil {
			r.openMonth()
		}
	})
	r.Save = newSavePanel(sh, r.ExportCSV, func() { sh.focus(r.Date) })
	r.Date.onArrow = func(delta int) { r.shift(-delta) }
	title := bigText(28, true)
	title.Text = label("report.title")
	filters := container.NewVBox(big(container.NewGridWithColumns(4, r.Prev, r.Date, r.Next, r.Today), 16),
		container.NewGridWithColumns(2, r.Staff, r.Product))
	top := container.NewVBox(title, filters, r.Totals, r.Chart)
	// A busy day has many rows: they scroll, while the filters, totals and
	// buttons stay put.
	r.obj = container.NewBorder(top, r.Save.in(big(container.NewGridWithColumns(3, r.Export, r.Print, r.Month), 16)), nil, nil,
		minHeight(container.NewVScroll(r.Rows), linesMinHeight))
	r.setDay(sh.now())
	return r
}

func (r *reportScreen) setDay(t time.Time) {
	t = t.Local()
	r.day = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)
	r.Date.SetText(fmtDate(r.day))
}

func (r *reportScreen) shift(days int) {
	r.setDay(r.day.AddDate(0, 0, days))
	r.load()
}

// Shown returns the activities shown after filtering.
func (r *reportScreen) Shown() []desksync.Activity { return r.shown }

// load reads the day's activities from the cache.
func (r *reportScreen) load() {
	day, err := parseDate(r.Date.Text)
	if err != nil {
		r.sh.sayErr(label("report.bad_date"))
		return
	}
	r.day = day
	from, to := day, day.AddDate(0, 0, 1)
	r.sh.async(func(ctx context.Context) func() {
		acts, err := r.svc.Activities(ctx, from, to)
		return func() {
			if err != nil {
				r.sh.sayErr(label("report.failed", m{"Err": errText(err)}))
				return
			}
			sort.SliceStable(acts, func(i, j int) bool { return acts[i].At.Before(acts[j].At) })
			r.all = acts
			r.fillFilters()
			r.filter()
		}
	})
}

func (r *reportScreen) fillFilters() {
	allStaff, allProducts := label("report.all_staff"), label("report.all_products")
	staff, products := []string{allStaff}, []string{allProducts}
	for _, a := range r.all {
		name := staffLabel(a)
		if !slices.Contains(staff, name) {
			staff = append(staff, name)
		}
		if a.Kind != "delivery" {
			continue // A credit's "product" is its reason, a redemption's the remainder card.
		}
		for _, p := range a.Products {
			if name := productName(p); !slices.Contains(products, name) {
				products = append(products, name)
			}
		}
	}
	sort.Strings(staff[1:])
	sort.Strings(products[1:])
	keep := func(s *selectField, opts []string) {
		cur := s.Selected
		s.Options = opts
		if !slices.Contains(opts, cur) {
			cur = opts[0]
		}
		s.Selected = cur
		s.Refresh()
	}
	keep(r.Staff, staff)
	keep(r.Product, products)
}

// productName strips the quantity from a delivery's product line: "2 × T-skjorte" is "T-skjorte".
func productName(line string) string {
	if n, name, ok := strings.Cut(line, " × "); ok && strings.Trim(n, "0123456789") == "" && n != "" {
		return name
	}
	return line
}

func hasProduct(a desksync.Activity, name string) bool {
	for _, p := range a.Products {
		if productName(p) == name {
			return true
		}
	}
	return false
}

func staffLabel(a desksync.Activity) string {
	if a.StaffName != "" {
		return a.StaffName
	}
	return a.StaffID
}

// filter applies the staff and product filters and redraws the rows,
// totals and chart.
func (r *reportScreen) filter() {
	r.shown = nil
	for _, a := range r.all {
		if i := r.Staff.SelectedIndex(); i > 0 && staffLabel(a) != r.Staff.Selected {
			continue
		}
		if i := r.Product.SelectedIndex(); i > 0 && ((a.Kind != "delivery" && a.Kind != "reversal") || !hasProduct(a, r.Product.Selected)) {
			continue
		}
		r.shown = append(r.shown, a)
	}
	r.Rows.RemoveAll()
	var hours [24]int
	for _, a := range r.shown {
		hours[a.At.Local().Hour()]++
		badge := label("report.synced")
		if !a.Synced {
			badge = label("report.unsynced")
		}
		parts := []string{fmtTime(a.At), activityName(a.Kind), staffLabel(a), skranke.GroupCode(a.Code), a.Buyer, strings.Join(a.Products, ", ")}
		if a.Amount != 0 {
			parts = append(parts, a.Amount.String())
		}
		text := strings.Join(slices.DeleteFunc(parts, func(s string) bool { return strings.TrimSpace(s) == "" }), " · ")
		right := []fyne.CanvasObject{syncBadge(badge, a.Synced)}
		if a.StatedByDesk {
			// No staff session proved who handed it over.
			right = append([]fyne.CanvasObject{syncBadge(label("report.stated_by_desk"), false)}, right...)
		}
		if a.SignatureID != "" {
			right = append(right, signatureThumb(r.sh, r.svc, a.SignatureID))
		}
		r.Rows.Add(row(text, right...))
	}
	if len(r.shown) == 0 {
		r.Rows.Add(widget.NewLabel(label("report.empty")))
	}
	r.Chart.SetCounts(hours)
	r.Totals.SetText(r.totalsText())
}

func syncBadge(text string, ok bool) fyne.CanvasObject {
	t := canvas.NewText(text, colOK)
	if !ok {
		t.Color = colWarn
	}
	t.TextStyle.Bold = true
	return container.NewCenter(t)
}

func activityName(kind string) string {
	switch kind {
	case "delivery":
		return label("report.delivery")
	case "redemption":
		return label("report.redemption")
	case "credit":
		return label("report.credit")
	case "reversal":
		return label("report.reversal")
	}
	return kind
}

// totals counts and sums the rows shown by kind.
func (r *reportScreen) totals() (deliveries, redemptions, credits int, redeemed, credited skranke.Money, unsynced int) {
	for _, a := range r.shown {
		switch a.Kind {
		case "delivery":
			deliveries++
		case "reversal":
			deliveries-- // Undone: it counts as not handed over.
		case "redemption":
			redemptions++
			redeemed += a.Amount
		case "credit":
			credits++
			credited += a.Amount
		}
		if !a.Synced {
			unsynced++
		}
	}
	return
}

func (r *reportScreen) totalsText() string {
	dl, rd, cr, redeemed, credited, unsynced := r.totals()
	return label("report.totals",
		m{"D": dl, "R": rd, "RA": redeemed.String(), "C": cr, "CA": credited.String(), "U": unsynced})
}

func (r *reportScreen) print() {
	r.paper.print(label("print.report"), r.paper.letterhead().report(r.day, r.shown, r.totalsRows()))
}

func (r *reportScreen) totalsRows() [][2]string {
	dl, rd, cr, redeemed, credited, unsynced := r.totals()
	return [][2]string{
		{label("report.t_deliveries"), strconv.Itoa(dl)},
		{label("report.t_redemptions"), strconv.Itoa(rd)},
		{label("report.t_redeemed"), redeemed.String()},
		{label("report.t_credits"), strconv.Itoa(cr)},
		{label("report.t_credited"), credited.String()},
		{label("report.t_unsynced"), strconv.Itoa(unsynced)},
	}
}

func (r *reportScreen) content() fyne.CanvasObject { return r.obj }

func (r *reportScreen) focusTarget() fyne.Focusable { return r.Date }

func (r *reportScreen) runeTarget() fyne.Focusable { return nil }

func (r *reportScreen) actionKeys() map[fyne.KeyName]*button {
	return map[fyne.KeyName]*button{fyne.KeyF6: r.Export, fyne.KeyF8: r.Print}
}

// escape cancels the save panel if it is open, and otherwise leaves.
func (r *reportScreen) escape() bool { return !r.Save.escape() }

func (r *reportScreen) lock() {}
