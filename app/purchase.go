package app

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
)

func lastDeliveryText(p *skranke.Purchase) string {
	last, ok := p.LastDelivery()
	if !ok {
		return ""
	}
	who := last.StaffName
	if who == "" {
		who = last.StaffID
	}
	return label("scan.delivered_by", m{"When": fmtDateTime(last.At), "Staff": who})
}

func statusName(st skranke.PaymentStatus) string {
	switch st {
	case skranke.Pending:
		return label("pay.pending")
	case skranke.Authorized:
		return label("pay.authorized")
	case skranke.Captured:
		return label("pay.captured")
	case skranke.Credited:
		return label("pay.credited")
	case skranke.Failed:
		return label("pay.failed")
	case skranke.Cancelled:
		return label("pay.cancelled")
	}
	return string(st)
}

func notPayableTitle(st skranke.PaymentStatus) string {
	switch st {
	case skranke.Pending:
		return label("scan.np_pending")
	case skranke.Failed:
		return label("scan.np_failed")
	case skranke.Credited:
		return label("scan.np_credited")
	case skranke.Cancelled:
		return label("scan.np_cancelled")
	}
	return label("scan.np")
}

func notPayableReason(st skranke.PaymentStatus) string {
	switch st {
	case skranke.Pending:
		return label("scan.np_pending_why")
	case skranke.Failed:
		return label("scan.np_failed_why")
	case skranke.Credited:
		return label("scan.np_credited_why")
	case skranke.Cancelled:
		return label("scan.np_cancelled_why")
	}
	return label("scan.np_why")
}

func kindName(k skranke.LineKind) string {
	switch k {
	case skranke.Physical:
		return label("kind.physical")
	case skranke.GiftCard:
		return label("kind.giftcard")
	}
	return label("kind.service")
}

// lineTexts are the texts of a line in the scan screen's line table.
type lineTexts struct {
	name, kind, ordered, delivered, remaining, amount string
	open                                              bool // Something remains: the remainder is bold.
}

func lineTextsOf(l skranke.Line) lineTexts {
	name := l.Name
	if l.Credited > 0 {
		name += " (" + label("line.credited", m{"N": l.Credited}) + ")"
	}
	return lineTexts{name: name, kind: kindName(l.Kind), ordered: strconv.Itoa(l.Quantity),
		delivered: strconv.Itoa(l.Delivered), remaining: strconv.Itoa(l.Remaining()),
		amount: l.Total().String(), open: l.Remaining() > 0}
}

// historyTexts are the rows of the scan screen's history: the deliveries,
// then the credits.
func historyTexts(p *skranke.Purchase) []string {
	names := map[string]string{}
	for _, l := range p.Lines {
		names[l.ID] = l.Name
	}
	var rows []string
	for _, dl := range p.Deliveries {
		var parts []string
		for _, x := range dl.Lines {
			parts = append(parts, fmt.Sprintf("%d× %s", x.Quantity, names[x.LineID]))
		}
		who := dl.StaffName
		if who == "" {
			who = dl.StaffID
		}
		rows = append(rows, fmtDateTime(dl.At)+" · "+who+" · "+strings.Join(parts, ", "))
	}
	for _, c := range p.Credits {
		who := c.StaffName
		if who == "" {
			who = c.StaffID
		}
		var parts []string
		for _, x := range c.Lines {
			parts = append(parts, fmt.Sprintf("%d× %s", x.Quantity, names[x.LineID]))
		}
		reason := strings.Join(append(parts, c.Reason), " · ")
		args := m{"Amount": c.Amount.String(), "When": fmtDateTime(c.At), "Staff": who, "Reason": reason}
		key := "scan.credit_row"
		if c.ApprovedBy != "" && c.ApprovedBy != c.StaffID {
			key, args["Approver"] = "scan.credit_row_approved", c.ApproverName
		}
		rows = append(rows, label(key, args))
	}
	return rows
}

// lineRow is a row of the line table. The rows are kept and filled again
// for the next purchase: a row made anew gets its size while the next frame
// is painted, and the labels it resizes then have that frame painted again,
// at tens of milliseconds a frame in software rendering.
type lineRow struct {
	obj                                                    *fyne.Container
	name, kind, ordered, delivered, remaining, amount, now *widget.Label
}

func newLineRow() *lineRow {
	r := &lineRow{name: widget.NewLabel(""), kind: widget.NewLabel(""), ordered: widget.NewLabel(""),
		delivered: widget.NewLabel(""), remaining: widget.NewLabel(""), amount: widget.NewLabel(""), now: widget.NewLabel("")}
	r.name.Wrapping = fyne.TextWrapWord
	r.kind.Wrapping = fyne.TextWrapWord // "goods (signature)" in two rows rather than a wider window.
	// The counts and the amount ask for the same least width whatever
	// they say (their columns are wide enough): a row whose least size
	// changes with the next purchase is laid out again while the frame is
	// painted, which then is painted again.
	for _, l := range []*widget.Label{r.ordered, r.delivered, r.remaining, r.amount} {
		l.Truncation = fyne.TextTruncateEllipsis
	}
	r.obj = container.New(lineColumns, r.name, r.kind, r.ordered, r.delivered, r.remaining, r.amount, r.now)
	readSized(r.obj)
	return r
}

// set fills the row with lt.
func (r *lineRow) set(lt lineTexts) {
	relabel(r.name, lt.name)
	relabel(r.kind, lt.kind)
	relabel(r.ordered, lt.ordered)
	relabel(r.delivered, lt.delivered)
	relabel(r.remaining, lt.remaining)
	if r.remaining.TextStyle.Bold != lt.open {
		r.remaining.TextStyle.Bold = lt.open
		r.remaining.Refresh()
	}
	relabel(r.amount, lt.amount)
}

// keptRows is how many rows the line table has at least while a purchase
// is shown; see renderLines.
const keptRows = 3

// showRows puts the first n kept rows, made as needed, in the line table,
// and nothing else.
func (s *scanScreen) showRows(n int) {
	for len(s.rows) < n {
		s.rows = append(s.rows, newLineRow())
	}
	objs := s.Lines.Objects
	same := len(objs) == n
	for i := 0; same && i < n; i++ {
		same = objs[i] == s.rows[i].obj
	}
	if same {
		return
	}
	s.Lines.RemoveAll()
	for _, r := range s.rows[:n] {
		s.Lines.Add(r.obj)
	}
}

// renderLines draws the line table; in quantity mode with an entry per line.
func (s *scanScreen) renderLines() {
	s.Qty = map[string]*entry{}
	p := s.Purchase()
	if p == nil {
		s.showRows(0)
		return
	}
	if !s.qtyMode {
		// At least keptRows rows, blank ones after the lines: the table's
		// height then stays the same from one purchase to the next (most
		// have one to three lines), and nothing below it moves.
		s.showRows(max(len(p.Lines), keptRows))
		for i, r := range s.rows[:max(len(p.Lines), keptRows)] {
			if i < len(p.Lines) {
				r.set(lineTextsOf(p.Lines[i]))
			} else {
				r.set(lineTexts{})
			}
		}
		return
	}
	// Quantity mode, seldom used: rows of its own.
	s.Lines.RemoveAll()
	var qtys []*entry
	for _, l := range p.Lines {
		var now fyne.CanvasObject = widget.NewLabel("")
		if l.Remaining() > 0 {
			e := newEntry(s.sh, "0")
			e.selectAll = true
			// Nothing is chosen until staff choose it: a quantity left
			// at full would hand over what nobody meant to.
			e.SetText("0")
			e.OnSubmitted = scanGuard(s.rd, e, s.deliverChosen)
			s.Qty[l.ID] = e
			qtys = append(qtys, e)
			// An entry has no size of its own: an override of its own,
			// made only in quantity mode (see readable).
			now = readable(e)
		}
		lt := lineTextsOf(l)
		name := widget.NewLabel(lt.name)
		name.Wrapping = fyne.TextWrapWord
		rem := widget.NewLabelWithStyle(lt.remaining, fyne.TextAlignLeading, fyne.TextStyle{Bold: lt.open})
		kind := widget.NewLabel(lt.kind)
		kind.Wrapping = fyne.TextWrapWord
		s.Lines.Add(container.New(lineColumns, name, kind,
			widget.NewLabel(lt.ordered), widget.NewLabel(lt.delivered),
			rem, widget.NewLabel(lt.amount), now))
	}
	// Up and Down move between the quantity fields.
	for i, e := range qtys {
		e.onArrow = func(delta int) {
			j := (i + delta + len(qtys)) % len(qtys)
			s.sh.focus(qtys[j])
		}
	}
	readSized(s.Lines) // The new rows take the readable text size.
}

func (s *scanScreen) renderHistory() {
	s.History.RemoveAll()
	p := s.Purchase()
	if p == nil {
		return
	}
	if len(p.Deliveries) > 0 {
		s.History.Add(boldLabel(label("scan.history")))
	}
	rows := historyTexts(p)
	for i, text := range rows {
		if i < len(p.Deliveries) {
			var right []fyne.CanvasObject
			if id := p.Deliveries[i].SignatureID; id != "" {
				right = append(right, signatureThumb(s.sh, s.svc, id))
			}
			s.History.Add(row(text, right...))
			continue
		}
		s.History.Add(rowLabel(text))
	}
	readSized(s.History) // The new rows take the readable text size.
}

// signatureService returns the signatures stored with deliveries.
type signatureService interface {
	Signature(ctx context.Context, id string) ([]byte, error)
}

// signatureThumb returns a small image of a stored signature, loaded in the background.
func signatureThumb(sh shell, sigs signatureService, id string) fyne.CanvasObject {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(120, 40))
	sh.async(func(ctx context.Context) func() {
		b, err := sigs.Signature(ctx, id)
		if err != nil {
			slog.Info("signature not available", "id", id, "err", err)
			return nil
		}
		im := decodePNG(b)
		if im == nil {
			return nil
		}
		return func() {
			img.Image = im
			img.Refresh()
		}
	})
	return img
}
