package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// salesService reads the centre's sales of a period from the cache.
type salesService interface {
	Sales(ctx context.Context, from, to time.Time) (desksync.SalesOverview, error)
}

// salesScreen is the sales overview for managers and accountants: every
// purchase of a period with its payment status, whether it was handed
// over, its promo code and discounts, and sums by payment status. It reads
// the cache, so it works offline.
type salesScreen struct {
	From, To *entry        // The period, dd.mm.yyyy, both days included.
	Show     *button       // Read the period.
	Totals   *widget.Label // Sums by payment status.
	Rows     *fyne.Container

	sh    shell
	svc   salesService
	shown []desksync.Sale
	seq   int
	obj   fyne.CanvasObject
}

// salesStatuses orders the sums.
var salesStatuses = []skranke.PaymentStatus{skranke.Captured, skranke.Authorized, skranke.Pending, skranke.Failed, skranke.Credited, skranke.Cancelled}

func newSalesScreen(sh shell, svc salesService) *salesScreen {
	s := &salesScreen{sh: sh, svc: svc}
	s.From = newEntry(sh, label("report.date_hint"))
	s.To = newEntry(sh, label("report.date_hint"))
	s.From.OnSubmitted = func(string) { s.load() }
	s.To.OnSubmitted = func(string) { s.load() }
	s.Show = newButton(sh, label("sales.show"), nil, s.load)
	s.Totals = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.Totals.Wrapping = fyne.TextWrapWord
	s.Rows = container.NewVBox()
	title := bigText(28, true)
	title.Text = label("sales.title")
	period := container.NewGridWithColumns(5, widget.NewLabel(label("sales.from")), s.From, widget.NewLabel(label("sales.to")), s.To, s.Show)
	s.obj = container.NewBorder(container.NewVBox(title, period, s.Totals), nil, nil, nil, container.NewVScroll(s.Rows))
	s.thisMonth()
	return s
}

// thisMonth sets the period to the current month up to today.
func (s *salesScreen) thisMonth() {
	now := s.sh.now().Local()
	s.From.SetText(fmtDate(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.Local)))
	s.To.SetText(fmtDate(now))
}

// Shown returns the sales listed.
func (s *salesScreen) Shown() []desksync.Sale { return s.shown }

func (s *salesScreen) load() {
	if s.svc == nil {
		return
	}
	from, err1 := parseDate(s.From.Text)
	to, err2 := parseDate(s.To.Text)
	if err1 != nil || err2 != nil {
		s.sh.sayErr(label("report.bad_date"))
		return
	}
	if to.Before(from) {
		from, to = to, from
	}
	s.seq++
	seq := s.seq
	s.sh.async(func(ctx context.Context) func() {
		ov, err := s.svc.Sales(ctx, from, to.AddDate(0, 0, 1))
		return func() {
			if seq != s.seq {
				return
			}
			if err != nil {
				slog.Info("sales overview failed", "err", err)
				s.sh.sayErr(label("sales.failed", m{"Err": errText(err)}))
				return
			}
			s.show(ov)
		}
	})
}

func (s *salesScreen) show(ov desksync.SalesOverview) {
	s.shown = ov.Sales
	s.Rows.RemoveAll()
	for _, sale := range ov.Sales {
		parts := []string{skranke.GroupCode(sale.Code), fmtDateTime(sale.CreatedAt), sale.Buyer, statusName(sale.Status),
			deliveredName(sale), sale.Total.String()}
		if sale.PromoCode != "" {
			parts = append(parts, label("sales.promo", m{"Code": sale.PromoCode}))
		}
		if sale.Discount > 0 {
			parts = append(parts, label("sales.discount", m{"Amount": sale.Discount.String()}))
		}
		if sale.Credited > 0 {
			parts = append(parts, label("sales.credited", m{"Amount": sale.Credited.String()}))
		}
		s.Rows.Add(widget.NewLabel(strings.Join(parts, " · ")))
	}
	var sums []string
	for _, st := range salesStatuses {
		if t, ok := ov.ByStatus[st]; ok {
			sums = append(sums, label("sales.sum", m{"Status": statusName(st), "N": t.Count, "Amount": t.Amount.String()}))
		}
	}
	if len(sums) == 0 {
		s.Totals.SetText(label("sales.none"))
		return
	}
	s.Totals.SetText(strings.Join(sums, " · "))
}

// deliveredName says how much of a sale was handed over.
func deliveredName(s desksync.Sale) string {
	switch s.DeliveryState() {
	case "none":
		return label("sales.delivered_none")
	case "partly":
		return label("sales.delivered_partly")
	}
	return label("sales.delivered_all")
}

func (s *salesScreen) content() fyne.CanvasObject           { return s.obj }
func (s *salesScreen) focusTarget() fyne.Focusable          { return s.From }
func (s *salesScreen) runeTarget() fyne.Focusable           { return nil }
func (s *salesScreen) escape() bool                         { return true }
func (s *salesScreen) actionKeys() map[fyne.KeyName]*button { return nil }
func (s *salesScreen) lock() {
	s.seq++
	s.shown = nil
	s.Rows.RemoveAll()
	s.Totals.SetText("")
	s.thisMonth()
}
