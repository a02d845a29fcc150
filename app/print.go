package app

import (
	"context"
	"image"
	"log/slog"
	"strings"
	"time"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

// Printer returns the printer in use, or nil.
func (d *Desk) Printer() *printer.Printer {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.printer
}

// applyPrinter replaces the printer with the one cfg describes. It is safe
// to call off the UI goroutine.
func (d *Desk) applyPrinter(cfg config.Config) error {
	p, err := cfg.OpenPrinter()
	d.mu.Lock()
	d.printer = p
	d.mu.Unlock()
	return err
}

// print sends docs to the printer in the background, one after the other,
// and says how it went. what names them for staff ("delivery note").
func (d *Desk) print(what string, docs ...*printer.Document) {
	p := d.Printer()
	if p == nil {
		d.sayErr(tr("print.none", "No printer is set up, so the {{.What}} was not printed. A manager chooses one in Settings (F5).", m{"What": what}))
		return
	}
	preview := d.cfg.Preview
	d.async(func(ctx context.Context) func() {
		var err error
		var jobs []previewJob
		for _, doc := range docs {
			data, eerr := printer.Encode(doc, p.Profile())
			if eerr != nil {
				err = &printer.Error{Op: "print", Kind: printer.KindInvalid, Err: eerr}
				break
			}
			if err = p.PrintRaw(ctx, data); err != nil {
				break
			}
			if preview {
				job, perr := d.renderPreview(data, p)
				if perr != nil {
					slog.Warn("print preview", "what", what, "err", perr)
				}
				if job.img != nil {
					jobs = append(jobs, job)
				}
			}
		}
		return func() {
			d.showPreview(what, jobs)
			if err != nil {
				d.sayErr(tr("print.failed", "The {{.What}} was not printed: {{.Err}}. Fix the printer and reprint.", m{"What": what, "Err": printerErrText(err)}))
				return
			}
			slog.Info("printed", "what", what, "documents", len(docs))
			msg := d.Message.Text
			done := tr("print.done", "Printed the {{.What}}.", m{"What": what})
			if msg != "" && !strings.Contains(msg, done) {
				d.Message.SetText(msg + " " + done)
			} else {
				d.Message.SetText(done)
			}
		}
	})
}

func printerErrText(err error) string {
	switch printer.KindOf(err) {
	case printer.KindUnreachable:
		return tr("print.unreachable", "the printer cannot be reached – is it on and connected?")
	case printer.KindTimeout:
		return tr("print.timeout", "the printer did not answer in time")
	case printer.KindPaperOut:
		return tr("print.paper_out", "the printer is out of paper")
	case printer.KindCoverOpen:
		return tr("print.cover_open", "the printer cover is open")
	case printer.KindOffline:
		return tr("print.offline", "the printer is offline")
	}
	return err.Error()
}

// docLanguage is the language of printouts: the language of the UI.
func (d *Desk) docLanguage() string { return d.lang }

// centreLines are what printouts show under the centre's name: address,
// phone and organisation number, as far as the shop knows them.
func (d *Desk) centreLines() []string {
	var ls []string
	if d.centre.Address != "" {
		ls = append(ls, d.centre.Address)
	}
	if d.centre.Phone != "" {
		ls = append(ls, tr("print.phone", "Phone {{.Phone}}", m{"Phone": d.centre.Phone}))
	}
	if d.centre.OrgNo != "" {
		ls = append(ls, tr("print.org_no", "Org. no. {{.No}}", m{"No": d.centre.OrgNo}))
	}
	return ls
}

// deliveryNote builds the note for a delivery: what was handed over now,
// before, and what remains.
func (d *Desk) deliveryNote(before, after *desksync.Purchase, dl desksync.Delivery, req desksync.DeliverRequest, sig image.Image) printer.DeliveryNote {
	now := map[string]int{}
	lines := dl.Lines
	if len(lines) == 0 {
		lines = req.Lines
	}
	for _, l := range lines {
		now[l.LineID] += l.Quantity
	}
	prev := map[string]int{}
	if before != nil {
		for _, l := range before.Lines {
			prev[l.ID] = l.Delivered
		}
	}
	src := after
	if src == nil {
		src = before
	}
	var nl []printer.NoteLine
	for _, l := range src.Lines {
		nl = append(nl, printer.NoteLine{
			Name:            l.Name,
			Ordered:         l.Quantity,
			DeliveredNow:    now[l.ID],
			DeliveredBefore: prev[l.ID],
			Remaining:       max(l.Quantity-prev[l.ID]-now[l.ID], 0),
			Amount:          l.Total().String(),
		})
	}
	at := dl.At
	if at.IsZero() {
		at = d.now()
	}
	return printer.DeliveryNote{
		CentreName:  d.centreTitle(),
		CentreLines: d.centreLines(),
		Header:      strings.TrimSpace(d.cfg.NoteHeader),
		Footer:      strings.TrimSpace(d.cfg.NoteFooter),
		Reference:   src.Code,
		Buyer:       src.Buyer.Name,
		Lines:       nl,
		Staff:       req.Staff.Name,
		Desk:        d.deskInfo.Name,
		At:          at,
		Signature:   sig,
		Training:    d.cfg.Training,
		Language:    d.docLanguage(),
	}
}

// giftCardDoc is a gift card fit to hand over; copy marks a reprint KOPI.
func (d *Desk) giftCardDoc(c desksync.Card, copy bool) *printer.Document {
	return printer.GiftCard{
		CentreName: d.centreTitle(),
		Logo:       d.logo,
		Amount:     c.Balance.String(),
		Code:       c.Code,
		ExpiresAt:  c.ExpiresAt,
		// In the UI's language, which is the printout's (docLanguage).
		Terms:      tr("print.card_terms", "Use the gift card at reception or in the web shop until it expires. On partial use it is replaced by a new card for the rest. Not exchangeable for cash."),
		ParentCode: c.ParentCode,
		Copy:       copy,
		Training:   d.cfg.Training,
		Language:   d.docLanguage(),
	}.Document()
}

// voidSlip records that a card was used and, on partial use, replaced.
func (d *Desk) voidSlip(old desksync.Card, rem *desksync.Card, r desksync.Redemption, staff desksync.Staff) *printer.Document {
	v := printer.VoidSlip{
		Code:     old.Code,
		Amount:   r.Amount.String(),
		Staff:    staff.Name,
		At:       r.At,
		Training: d.cfg.Training,
		Language: d.docLanguage(),
	}
	if rem != nil {
		v.RemainderCode = rem.Code
		v.Reason = tr("print.void_reason", "Partly used; the rest, {{.Rest}}, is on the new card.", m{"Rest": rem.Balance.String()})
	} else {
		v.Reason = tr("print.void_spent", "Used in full.")
	}
	return v.Document()
}

// reportDoc is the daily report on paper.
func (d *Desk) reportDoc(day time.Time, acts []desksync.Activity, totals [][2]string) *printer.Document {
	rows := make([]printer.ReportRow, 0, len(acts))
	for _, a := range acts {
		what := activityName(a.Kind)
		if len(a.Products) > 0 {
			what += ": " + strings.Join(a.Products, ", ")
		}
		amount := ""
		if a.Amount != 0 {
			amount = a.Amount.String()
		}
		rows = append(rows, printer.ReportRow{Time: fmtTime(a.At), Staff: staffLabel(a), Code: scanner.Group(a.Code), What: what, Amount: amount})
	}
	return printer.DailyReport{
		CentreName: d.centreTitle(),
		Title:      tr("report.title", "Daily deliveries"),
		Period:     fmtDate(day),
		Rows:       rows,
		Totals:     totals,
		Printed:    d.now(),
		Language:   d.docLanguage(),
		Training:   d.cfg.Training,
	}.Document()
}

// testPrint prints the printer's test page.
func (d *Desk) testPrint() {
	p := d.Printer()
	if p == nil {
		d.sayErr(tr("print.none_test", "No printer is set up. A manager chooses one in Settings (F5)."))
		return
	}
	d.print(tr("print.test", "test page"), printer.TestPage(p.Profile()))
}

// showPrinter shows the printer's settings and, if known, its state.
func (s *StatusScreen) showPrinter(state string) {
	p := s.d.Printer()
	if p == nil {
		s.Printer.SetText(tr("status.no_printer", "Printer: none set up (Settings, F5)."))
		return
	}
	text := tr("status.printer", "Printer: {{.Name}} at {{.Target}}", m{"Name": p.Profile().Name, "Target": p.Target().String()})
	if state != "" {
		text += "\n" + state
	}
	s.Printer.SetText(text)
}

func (s *StatusScreen) checkPrinter() {
	p := s.d.Printer()
	if p == nil {
		s.showPrinter("")
		return
	}
	s.showPrinter(tr("status.checking", "Checking…"))
	s.d.async(func(ctx context.Context) func() {
		st, err := p.Status(ctx)
		return func() {
			if err != nil {
				if printer.KindOf(err) == printer.KindUnsupported {
					s.showPrinter(tr("status.no_status", "This connection cannot report the printer's state."))
				} else {
					s.showPrinter(tr("status.printer_err", "Not ready: {{.Err}}", m{"Err": printerErrText(err)}))
				}
				return
			}
			var parts []string
			if st.Online {
				parts = append(parts, tr("status.p_online", "ready"))
			} else {
				parts = append(parts, tr("status.p_offline", "offline"))
			}
			if st.CoverOpen {
				parts = append(parts, tr("status.p_cover", "cover open"))
			}
			if st.PaperOut {
				parts = append(parts, tr("status.p_paper_out", "out of paper"))
			} else if st.PaperNearEnd {
				parts = append(parts, tr("status.p_paper_low", "paper running low"))
			}
			s.showPrinter(strings.Join(parts, ", "))
		}
	})
}
