package app

import (
	"image"
	"strings"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
	desksync "github.com/skranke/skranke/sync"
)

// letterhead is what every printout says about where it comes from, as the
// desk knows it when the printout is made. Screens build their printouts
// from it and never see the desk's settings.
type letterhead struct {
	centreName     string
	centreLines    []string // Address, phone and organisation number.
	header, footer string   // The delivery note's own lines, from Settings.
	desk           string
	logo           image.Image
	training       bool
	language       string    // The language of printouts: the UI's.
	at             time.Time // When the printout is made.
}

// letterhead returns the letterhead of a printout made now.
func (d *Desk) letterhead() letterhead {
	return letterhead{
		centreName:  d.centreTitle(),
		centreLines: d.centreLines(),
		header:      strings.TrimSpace(d.cfg.NoteHeader),
		footer:      strings.TrimSpace(d.cfg.NoteFooter),
		desk:        d.deskInfo.Name,
		logo:        d.logo,
		training:    d.cfg.Training,
		language:    d.lang,
		at:          d.now(),
	}
}

// centreLines are what printouts show under the centre's name: address,
// phone and organisation number, as far as the shop knows them.
func (d *Desk) centreLines() []string {
	var ls []string
	if d.centre.Address != "" {
		ls = append(ls, d.centre.Address)
	}
	if d.centre.Phone != "" {
		ls = append(ls, label("print.phone", m{"Phone": d.centre.Phone}))
	}
	if d.centre.OrgNo != "" {
		ls = append(ls, label("print.org_no", m{"No": d.centre.OrgNo}))
	}
	return ls
}

// deliveryNote builds the note for a delivery: what was handed over now,
// before, and what remains.
func (h letterhead) deliveryNote(before, after *skranke.Purchase, dl skranke.Delivery, req desksync.DeliverRequest, sig image.Image) printer.DeliveryNote {
	src := after
	if src == nil {
		src = before
	}
	nl := noteLines(before, after, dl, req)
	at := dl.At
	if at.IsZero() {
		at = h.at
	}
	return printer.DeliveryNote{
		CentreName:  h.centreName,
		CentreLines: h.centreLines,
		Header:      h.header,
		Footer:      h.footer,
		Reference:   src.Code,
		Buyer:       src.Buyer.Name,
		Lines:       nl,
		Staff:       req.Staff.Name,
		Desk:        h.desk,
		At:          at,
		Signature:   sig,
		Training:    h.training,
		Language:    h.language,
	}
}

// noteLines are the printed lines of a delivery note: per line, what was
// handed over now, before, and what remains (skranke.NoteLines).
func noteLines(before, after *skranke.Purchase, dl skranke.Delivery, req desksync.DeliverRequest) []printer.NoteLine {
	handed := dl.Lines
	if len(handed) == 0 {
		handed = req.Lines
	}
	var nl []printer.NoteLine
	for _, l := range skranke.NoteLines(before, after, handed) {
		nl = append(nl, printer.NoteLine{
			Name:            l.Line.Name,
			Ordered:         l.Line.Quantity,
			DeliveredNow:    l.Now,
			DeliveredBefore: l.Before,
			Remaining:       l.Remaining,
			Amount:          l.Line.Total().String(),
		})
	}
	return nl
}

// giftCard is a gift card fit to hand over; copy marks a reprint KOPI.
func (h letterhead) giftCard(c skranke.Card, copy bool) *printer.Document {
	return printer.GiftCard{
		CentreName: h.centreName,
		Logo:       h.logo,
		Amount:     c.Balance.String(),
		Code:       c.Code,
		ExpiresAt:  c.ExpiresAt,
		// In the UI's language, which is the printout's (language).
		Terms:      label("print.card_terms"),
		ParentCode: c.ParentCode,
		Copy:       copy,
		Training:   h.training,
		Language:   h.language,
	}.Document()
}

// voidSlip records that a card was used and, on partial use, replaced.
func (h letterhead) voidSlip(old skranke.Card, rem *skranke.Card, r skranke.Redemption, staff skranke.Staff) *printer.Document {
	v := printer.VoidSlip{
		Code:     old.Code,
		Amount:   r.Amount.String(),
		Staff:    staff.Name,
		At:       r.At,
		Training: h.training,
		Language: h.language,
	}
	if rem != nil {
		v.RemainderCode = rem.Code
		v.Reason = label("print.void_reason", m{"Rest": rem.Balance.String()})
	} else {
		v.Reason = label("print.void_spent")
	}
	return v.Document()
}

// creditSlip is the customer's credit note for credit c on purchase p (as
// the shop has it after the credit); staff credited it.
func (h letterhead) creditSlip(p *skranke.Purchase, c skranke.Credit, staff skranke.Staff) *printer.Document {
	var lines []printer.CreditLine
	for _, x := range c.Lines {
		for _, l := range p.Lines {
			if l.ID == x.LineID {
				lines = append(lines, printer.CreditLine{Name: l.Name, Quantity: x.Quantity, Amount: x.Amount.String()})
			}
		}
	}
	who := c.StaffName
	if who == "" {
		who = staff.Name
	}
	at := c.At
	if at.IsZero() {
		at = h.at
	}
	return printer.CreditSlip{
		CentreName:  h.centreName,
		CentreLines: h.centreLines,
		Reference:   p.Code,
		Buyer:       p.Buyer.Name,
		Lines:       lines,
		Amount:      c.Amount.String(),
		Reason:      c.Reason,
		Staff:       who,
		Approver:    c.ApproverName,
		Desk:        h.desk,
		At:          at,
		Training:    h.training,
		Language:    h.language,
	}.Document()
}

// report is the daily report on paper.
func (h letterhead) report(day time.Time, acts []desksync.Activity, totals [][2]string) *printer.Document {
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
		if a.StatedByDesk {
			what += " (" + label("report.stated_by_desk") + ")"
		}
		rows = append(rows, printer.ReportRow{Time: fmtTime(a.At), Staff: staffLabel(a), Code: a.Code, What: what, Amount: amount})
	}
	return h.dailyReport(label("report.title"), fmtDate(day), rows, totals)
}

// dailyReport lays out a report in the daily report's form under the
// letterhead.
func (h letterhead) dailyReport(title, period string, rows []printer.ReportRow, totals [][2]string) *printer.Document {
	return printer.DailyReport{
		CentreName: h.centreName,
		Title:      title,
		Period:     period,
		Rows:       rows,
		Totals:     totals,
		Printed:    h.at,
		Language:   h.language,
		Training:   h.training,
	}.Document()
}

// month is the month on paper, in the daily report's form: a row per
// product (units sold, sales) and per staff member (deliveries, what they
// were worth), then the totals.
func (h letterhead) month(r skranke.MonthReport, period string, totals [][2]string) *printer.Document {
	rows := make([]printer.ReportRow, 0, len(r.Products)+len(r.Staff))
	for _, f := range r.Products {
		if f.Key == "" {
			continue
		}
		rows = append(rows, printer.ReportRow{What: label("month.print_product", m{"Name": f.Name, "N": f.SalesUnits}), Amount: f.Sales.String()})
	}
	for _, f := range r.Staff {
		rows = append(rows, printer.ReportRow{Staff: staffCells(f)[0],
			What: label("month.print_staff", m{"D": f.Deliveries, "C": f.Credits.String(), "R": f.Redeemed.String()}), Amount: f.Delivered.String()})
	}
	return h.dailyReport(label("month.title"), period, rows, totals)
}
