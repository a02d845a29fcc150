package app

import (
	"image"
	"strings"
	"time"

	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

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
