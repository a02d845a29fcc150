package app

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
	desksync "github.com/skranke/skranke/sync"
)

// ScanState is what the scan screen shows about the last scan.
type ScanState int

// The scan screen's states.
const (
	StateReady       ScanState = iota // Waiting for a scan.
	StateLooking                      // Asking the shop.
	StateDeliverable                  // Paid, with something left to hand over.
	StateDelivered                    // Everything was handed over (now or before).
	StateNotPayable                   // Not paid, pending, failed, credited or cancelled.
	StateUnknown                      // No such code, or not a code at all.
	StateOffline                      // Offline and not in the cache.
)

// String names the state in logs, where the end-to-end tests read it.
func (st ScanState) String() string {
	switch st {
	case StateReady:
		return "ready"
	case StateLooking:
		return "looking"
	case StateDeliverable:
		return "deliverable"
	case StateDelivered:
		return "delivered"
	case StateNotPayable:
		return "not_payable"
	case StateUnknown:
		return "unknown"
	case StateOffline:
		return "offline"
	}
	return fmt.Sprintf("state(%d)", int(st))
}

// ScanScreen is the main screen: the scan field, the state of the scanned
// purchase, its lines, and the delivery, signature and credit panels.
type ScanScreen struct {
	// Entry is the scan field. It keeps the focus; Enter submits.
	Entry *ScanEntry
	// State is the large state text ("READY TO DELIVER", "NOT PAID", ...).
	State *canvas.Text
	// Code is the scanned code, grouped for reading.
	Code *canvas.Text
	// Cache is shown when the purchase came from the cache, with its age.
	Cache *canvas.Text
	// Detail says why, or when and by whom it was delivered.
	Detail *widget.Label
	// Buyer is the buyer's name and contact.
	Buyer *widget.Label
	// Lines lists the purchase's lines with ordered, delivered and remaining.
	Lines *fyne.Container
	// Qty holds the quantity fields of partial delivery, by line ID.
	Qty map[string]*Entry
	// History lists earlier deliveries and credits.
	History *fyne.Container

	DeliverAll    *Button // Hand over everything that remains.
	ChooseQty     *Button // Open the quantity fields for partial delivery.
	DeliverChosen *Button // Hand over the chosen quantities.
	CreditButton  *Button // Open the credit panel (managers).
	Reprint       *Button // Print the last delivery note again, marked KOPI.

	// Pad is the signature pad, shown when physical goods are handed over.
	Pad         *SignaturePad
	SignAccept  *Button       // Accept the signature and hand over.
	SignClear   *Button       // Wipe the pad for another try.
	SignCancel  *Button       // Close the pad; nothing is handed over.
	SignMessage *widget.Label // What the buyer signs for, or why it was refused.

	// The credit panel (managers): the amount, with the rest of the
	// purchase proposed, and the reason, which is required.
	CreditAmount  *Entry
	CreditReason  *Entry
	CreditConfirm *Button
	CreditCancel  *Button

	d        *Desk
	seq      int // Bumped on every reset, so late answers to an old scan are dropped.
	state    ScanState
	lookup   desksync.Lookup          // The purchase shown (Purchase) and where it came from.
	pending  *desksync.DeliverRequest // Waiting for a signature.
	lastNote *printer.DeliveryNote

	banner      *banner // Holds State.
	qtyMode     bool
	crediting   bool // The credit panel is open (unless a signature is pending, which takes precedence).
	header      fyne.CanvasObject
	linesArea   fyne.CanvasObject // The scrolled buyer, lines and history.
	scanRow     fyne.CanvasObject // The scan field and its label.
	actions     fyne.CanvasObject
	signPanel   fyne.CanvasObject
	creditPanel fyne.CanvasObject
	creditInfo  *widget.Label
	obj         fyne.CanvasObject
}

func newScanScreen(d *Desk) *ScanScreen {
	s := &ScanScreen{d: d, Qty: map[string]*Entry{}}
	s.Entry = newScanEntry(d, s.submit)
	s.banner = newBanner(40)
	s.State = s.banner.Text
	s.Code = bigText(48, true)
	s.Code.TextStyle = fyne.TextStyle{Monospace: true}
	s.Code.Alignment = fyne.TextAlignLeading
	s.Cache = bigText(22, true)
	s.Cache.Color = colWarn
	s.Cache.Alignment = fyne.TextAlignCenter
	s.Detail = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.Detail.Wrapping = fyne.TextWrapWord
	s.Buyer = widget.NewLabel("")
	s.Buyer.Wrapping = fyne.TextWrapWord
	s.Lines = container.NewVBox()
	s.History = container.NewVBox()

	s.DeliverAll = newButton(d, tr("scan.deliver_all", "Deliver all (Enter)"), theme.ConfirmIcon(), s.deliverAll)
	s.DeliverAll.Importance = widget.SuccessImportance
	s.ChooseQty = newButton(d, tr("scan.choose_qty", "Choose quantities (F6)"), theme.ListIcon(), s.toggleQty)
	s.DeliverChosen = newButton(d, tr("scan.deliver_chosen", "Deliver chosen (Enter)"), theme.ConfirmIcon(), s.deliverChosen)
	s.DeliverChosen.Importance = widget.SuccessImportance
	s.CreditButton = newButton(d, tr("scan.credit", "Credit… (F7)"), theme.ContentUndoIcon(), s.openCredit)
	s.CreditButton.Importance = widget.WarningImportance
	s.Reprint = newButton(d, tr("scan.reprint", "Reprint note (F8)"), theme.DocumentPrintIcon(), s.reprint)

	s.Pad = NewSignaturePad()
	s.Pad.onKey = func(ev *fyne.KeyEvent) {
		d.touch()
		if d.globalKey(ev) {
			return
		}
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			s.acceptSignature()
		case fyne.KeyDelete, fyne.KeyBackspace:
			s.SignClear.OnTapped()
		}
	}
	s.Pad.onDraw = d.touch
	s.SignAccept = newButton(d, tr("sign.accept", "Accept signature (Enter)"), theme.ConfirmIcon(), s.acceptSignature)
	s.SignAccept.Importance = widget.SuccessImportance
	s.SignClear = newButton(d, tr("sign.clear", "Clear (Delete)"), theme.ContentClearIcon(), func() {
		s.Pad.Clear()
		s.SignMessage.SetText(tr("sign.prompt", "The buyer signs for the goods here."))
	})
	s.SignCancel = newButton(d, tr("sign.cancel", "Cancel (Esc)"), theme.CancelIcon(), s.cancel)
	s.SignMessage = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.SignMessage.Wrapping = fyne.TextWrapWord
	signTitle := bigText(24, true)
	signTitle.Text = tr("sign.title", "Signature for physical goods")
	// The panel takes the place of the lines and the action bar, so that
	// the pad gets the height of the screen (at least padMinHeight) and
	// its buttons stand beside it, large, where a hand finds them.
	padBg := canvas.NewRectangle(colWhite)
	padBg.SetMinSize(fyne.NewSize(padMinWidth, padMinHeight))
	s.signPanel = container.NewBorder(
		container.NewBorder(nil, nil, container.NewCenter(signTitle), nil, s.SignMessage), nil,
		nil, big(container.NewGridWithRows(3, s.SignAccept, s.SignClear, s.SignCancel), 16),
		container.NewStack(padBg, s.Pad))
	s.signPanel.Hide()

	s.CreditAmount = newEntry(d, tr("credit.amount", "Amount, e.g. 299,00"))
	s.CreditAmount.selectAll = true
	s.CreditReason = newEntry(d, tr("credit.reason", "Reason (required)"))
	s.CreditAmount.OnSubmitted = d.scanGuard(s.CreditAmount, func() { d.focus(s.CreditReason) })
	s.CreditReason.OnSubmitted = func(string) { s.confirmCredit() }
	s.CreditConfirm = newButton(d, tr("credit.confirm", "Credit (Enter)"), theme.ConfirmIcon(), s.confirmCredit)
	s.CreditConfirm.Importance = widget.DangerImportance
	s.CreditCancel = newButton(d, tr("credit.cancel", "Cancel (Esc)"), theme.CancelIcon(), s.cancel)
	creditTitle := bigText(24, true)
	creditTitle.Text = tr("credit.title", "Credit purchase (manager)")
	s.creditInfo = widget.NewLabel("")
	s.creditInfo.Wrapping = fyne.TextWrapWord
	s.creditPanel = container.NewVBox(
		container.NewBorder(nil, nil, container.NewCenter(creditTitle), nil, s.creditInfo),
		formGrid(
			tr("credit.amount_label", "Amount"), s.CreditAmount,
			tr("credit.reason_label", "Reason"), s.CreditReason),
		big(container.NewGridWithColumns(2, s.CreditCancel, s.CreditConfirm), 16))
	s.creditPanel.Hide()

	s.actions = big(container.NewVBox(
		container.NewGridWithColumns(3, s.DeliverAll, s.ChooseQty, s.DeliverChosen),
		container.NewGridWithColumns(2, s.CreditButton, s.Reprint)), 16)
	s.header = container.New(lineColumns,
		boldLabel(tr("line.product", "Product")), boldLabel(tr("line.kind", "Kind")),
		boldLabel(tr("line.ordered", "Ordered")), boldLabel(tr("line.delivered", "Delivered")),
		boldLabel(tr("line.remaining", "Remaining")), boldLabel(tr("line.amount", "Amount")),
		boldLabel(tr("line.now", "Deliver now")))
	// The lines and history may be long (many lines, many deliveries):
	// they scroll, while the state, the code and the buttons stay put.
	s.linesArea = minHeight(container.NewVScroll(container.NewVBox(s.Buyer, s.header, s.Lines, widget.NewSeparator(), s.History)), linesMinHeight)

	scanLabel := widget.NewLabelWithStyle(tr("scan.label", "Scan the receipt or type the code, then Enter"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.scanRow = container.NewBorder(nil, nil, container.NewCenter(scanLabel), nil, big(s.Entry, 34))
	// The code and what it means side by side: the code as large as
	// before, in one row less of the screen's height.
	codeRow := container.NewBorder(nil, nil, container.NewPadded(s.Code), nil,
		container.NewVBox(layout.NewSpacer(), s.Detail, layout.NewSpacer()))
	top := container.NewVBox(s.scanRow, s.banner.obj, codeRow, s.Cache)
	centre := container.NewStack(s.linesArea, s.signPanel, container.NewVBox(s.creditPanel))
	s.obj = container.NewBorder(top, s.actions, nil, nil, centre)
	s.reset()
	return s
}

func boldLabel(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// StateNow returns the screen's current state.
func (s *ScanScreen) StateNow() ScanState { return s.state }

// Purchase returns the purchase shown, or nil.
func (s *ScanScreen) Purchase() *skranke.Purchase { return s.lookup.Purchase }

// SignatureOpen reports whether the signature pad is waiting for the buyer.
func (s *ScanScreen) SignatureOpen() bool { return s.pending != nil }

// CreditOpen reports whether the credit panel is open.
func (s *ScanScreen) CreditOpen() bool { return s.crediting }

func (s *ScanScreen) panelOpen() bool { return s.pending != nil || s.crediting }

// arrange shows the part of the screen the state calls for: the scan
// field, the lines and the action bar, or, while one is open, the signature
// or credit panel in their place with its own buttons, so that the panel has
// room on a small screen and nothing falls off its bottom.
func (s *ScanScreen) arrange() {
	sign := s.pending != nil
	credit := s.crediting && !sign
	show(s.signPanel, sign)
	show(s.creditPanel, credit)
	show(s.linesArea, !sign && !credit)
	show(s.actions, !sign && !credit)
	// The scan field rests while a panel waits for the buyer or the
	// manager (its keys go to the panel), and gives the panel its room.
	show(s.scanRow, !sign && !credit)
	show(s.header, s.Purchase() != nil)
}

// focusTarget is where the keyboard goes on this screen.
func (s *ScanScreen) focusTarget() fyne.Focusable {
	switch {
	case s.pending != nil:
		return s.Pad
	case s.crediting:
		if s.CreditAmount.Text == "" {
			return s.CreditAmount
		}
		return s.CreditReason
	case s.qtyMode && s.Purchase() != nil:
		for _, l := range s.Purchase().Lines {
			if e := s.Qty[l.ID]; e != nil {
				return e
			}
		}
	}
	return s.Entry
}

func (s *ScanScreen) setState(st ScanState, text string) {
	s.state = st
	c := colReady
	switch st {
	case StateDeliverable:
		c = colOK
	case StateDelivered:
		c = colDone
	case StateNotPayable, StateUnknown:
		c = colBad
	case StateOffline:
		c = colWarn
	}
	s.banner.set(text, c)
}

// reset clears the screen, ready for the next scan.
func (s *ScanScreen) reset() {
	s.seq++
	s.lookup = desksync.Lookup{}
	s.pending = nil
	s.crediting = false
	s.qtyMode = false
	s.setState(StateReady, tr("scan.ready", "Ready – scan a receipt"))
	s.Code.Text = ""
	s.Code.Refresh()
	setText(s.Cache, "")
	s.Detail.SetText("")
	s.Buyer.SetText("")
	s.Lines.RemoveAll()
	s.History.RemoveAll()
	s.Qty = map[string]*Entry{}
	s.arrange()
	s.updateActions()
}

// cancel closes an open panel, or clears the purchase.
func (s *ScanScreen) cancel() {
	switch {
	case s.pending != nil:
		s.pending = nil
		s.Pad.Clear()
		s.arrange()
		s.d.say(tr("sign.cancelled", "Delivery cancelled; nothing was handed over."))
	case s.crediting:
		s.crediting = false
		s.arrange()
	case s.qtyMode:
		s.qtyMode = false
		s.renderLines()
	default:
		s.reset()
	}
	s.updateActions()
	s.d.focusDefault()
}

func (s *ScanScreen) updateActions() {
	p := s.Purchase()
	canDeliver := p != nil && p.Status.Deliverable() && p.Remaining() && s.pending == nil
	setEnabled(s.DeliverAll, canDeliver)
	setEnabled(s.ChooseQty, canDeliver)
	setEnabled(s.DeliverChosen, canDeliver && s.qtyMode)
	setEnabled(s.CreditButton, p != nil && s.d.isManager() && p.Status != skranke.Credited)
	if s.d.isManager() {
		s.CreditButton.Show()
	} else {
		s.CreditButton.Hide()
	}
	setEnabled(s.Reprint, p != nil && len(p.Deliveries) > 0)
}

func setEnabled(b *Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// submit handles Enter in the scan field.
func (s *ScanScreen) submit(raw string, scanned bool) {
	if strings.TrimSpace(raw) == "" {
		// Enter on an empty field confirms: deliver what remains.
		if s.Purchase() != nil && !s.DeliverAll.Disabled() {
			s.deliverAll()
		}
		return
	}
	s.d.handleEntry(raw, scanned)
}

// showInvalid shows a reading that is not a code.
func (s *ScanScreen) showInvalid(raw, reason string) {
	s.reset()
	s.setState(StateUnknown, tr("scan.invalid", "NOT A VALID CODE"))
	s.Code.Text = shorten(raw, maxCodeRunes)
	s.Code.Refresh()
	s.Detail.SetText(tr("scan.invalid_detail", "Read: “{{.Raw}}” – {{.Reason}}. Scan again or type the code.", m{"Raw": raw, "Reason": reason}))
	s.d.focusDefault()
}

// Lookup asks for the purchase with code and shows it.
func (s *ScanScreen) Lookup(code, raw string) {
	s.reset()
	s.setState(StateLooking, tr("scan.looking", "Looking up…"))
	s.Code.Text = skranke.GroupCode(code)
	s.Code.Refresh()
	seq := s.seq
	s.d.async(func(ctx context.Context) func() {
		lk, err := s.d.desk.Lookup(ctx, code)
		return func() {
			if seq != s.seq {
				return // Something newer was scanned meanwhile.
			}
			if err != nil {
				s.showLookupError(code, raw, err)
				return
			}
			s.showLookup(lk)
		}
	})
}

func (s *ScanScreen) showLookupError(code, raw string, err error) {
	slog.Info("lookup failed", "code", code, "err", err)
	switch skranke.KindOf(err) {
	case skranke.NotFound:
		s.setState(StateUnknown, tr("scan.unknown", "UNKNOWN CODE"))
		s.Detail.SetText(tr("scan.unknown_detail", "No purchase has the code {{.Code}} (read: “{{.Raw}}”).", m{"Code": skranke.GroupCode(code), "Raw": raw}))
	case skranke.Unavailable:
		s.setState(StateOffline, tr("scan.offline", "OFFLINE – NOT IN CACHE"))
		s.Detail.SetText(tr("scan.offline_detail", "The shop cannot be reached and this desk has no copy of {{.Code}}. Try again when online.", m{"Code": skranke.GroupCode(code)}))
	default:
		s.setState(StateUnknown, tr("scan.error", "COULD NOT LOOK UP"))
		s.Detail.SetText(errText(err))
	}
	s.d.focusDefault()
}

// showLookup shows a purchase and its state.
func (s *ScanScreen) showLookup(lk desksync.Lookup) {
	s.lookup = lk
	s.pending = nil
	s.crediting = false
	s.qtyMode = false
	s.arrange()
	p := lk.Purchase
	if p == nil {
		s.reset()
		return
	}
	s.Code.Text = skranke.GroupCode(p.Code)
	s.Code.Refresh()
	if lk.FromCache {
		setText(s.Cache, tr("scan.cached", "OFFLINE – cached data, {{.Age}} old", m{"Age": fmtAge(s.d.now(), lk.CachedAt)}))
	} else {
		setText(s.Cache, "")
	}
	buyer := p.Buyer.Name
	if p.Buyer.Email != "" {
		buyer += " · " + p.Buyer.Email
	}
	if p.Buyer.Phone != "" {
		buyer += " · " + p.Buyer.Phone
	}
	info := tr("scan.buyer", "Buyer: {{.Buyer}}", m{"Buyer": buyer}) + "\n" +
		tr("scan.payment", "Payment: {{.Status}} · Total {{.Total}} · Bought {{.When}}",
			m{"Status": statusName(p.Status), "Total": p.Total().String(), "When": fmtDateTime(p.CreatedAt)})
	if c := p.CreditedAmount(); c > 0 {
		info += "\n" + tr("scan.credited_amount", "Credited: {{.Amount}}", m{"Amount": c.String()})
	}
	if n := len(lk.Pending); n > 0 {
		info += "\n" + tr("scan.pending", "{{.N}} delivery(ies) from this desk not yet synced.", m{"N": n})
	}
	s.Buyer.SetText(info)

	switch {
	case !p.Status.Deliverable():
		s.setState(StateNotPayable, notPayableTitle(p.Status))
		s.Detail.SetText(notPayableReason(p.Status))
	case p.FullyDelivered():
		s.setState(StateDelivered, tr("scan.already", "ALREADY DELIVERED"))
		s.Detail.SetText(lastDeliveryText(p))
	case len(p.Deliveries) > 0:
		s.setState(StateDeliverable, tr("scan.partly", "PARTLY DELIVERED – {{.N}} left", m{"N": p.RemainingUnits()}))
		s.Detail.SetText(lastDeliveryText(p))
	default:
		s.setState(StateDeliverable, tr("scan.deliverable", "PAID – READY TO DELIVER"))
		s.Detail.SetText(tr("scan.deliverable_detail", "{{.N}} item(s) to hand over.", m{"N": p.RemainingUnits()}))
	}
	slog.Info("purchase shown", "code", p.Code, "status", p.Status, "state", s.state, "from_cache", lk.FromCache)
	s.renderLines()
	s.renderHistory()
	s.updateActions()
	s.d.focusDefault()
}

func lastDeliveryText(p *skranke.Purchase) string {
	last, ok := p.LastDelivery()
	if !ok {
		return ""
	}
	who := last.StaffName
	if who == "" {
		who = last.StaffID
	}
	return tr("scan.delivered_by", "Delivered {{.When}} by {{.Staff}}.", m{"When": fmtDateTime(last.At), "Staff": who})
}

func statusName(st skranke.PaymentStatus) string {
	switch st {
	case skranke.Pending:
		return tr("pay.pending", "pending")
	case skranke.Authorized:
		return tr("pay.authorized", "paid (authorised)")
	case skranke.Captured:
		return tr("pay.captured", "paid")
	case skranke.Credited:
		return tr("pay.credited", "credited")
	case skranke.Failed:
		return tr("pay.failed", "failed")
	case skranke.Cancelled:
		return tr("pay.cancelled", "cancelled")
	}
	return string(st)
}

func notPayableTitle(st skranke.PaymentStatus) string {
	switch st {
	case skranke.Pending:
		return tr("scan.np_pending", "NOT PAID – PAYMENT PENDING")
	case skranke.Failed:
		return tr("scan.np_failed", "NOT PAID – PAYMENT FAILED")
	case skranke.Credited:
		return tr("scan.np_credited", "CREDITED – DO NOT DELIVER")
	case skranke.Cancelled:
		return tr("scan.np_cancelled", "CANCELLED – DO NOT DELIVER")
	}
	return tr("scan.np", "NOT PAID")
}

func notPayableReason(st skranke.PaymentStatus) string {
	switch st {
	case skranke.Pending:
		return tr("scan.np_pending_why", "The buyer has not finished paying. Nothing can be handed over until the payment is complete.")
	case skranke.Failed:
		return tr("scan.np_failed_why", "The card payment was declined. The buyer must buy again in the web shop.")
	case skranke.Credited:
		return tr("scan.np_credited_why", "The purchase was credited (money returned). Nothing can be handed over.")
	case skranke.Cancelled:
		return tr("scan.np_cancelled_why", "The purchase was cancelled. Nothing can be handed over.")
	}
	return tr("scan.np_why", "The purchase is not paid and cannot be delivered.")
}

func kindName(k skranke.LineKind) string {
	switch k {
	case skranke.Physical:
		return tr("kind.physical", "goods (signature)")
	case skranke.GiftCard:
		return tr("kind.giftcard", "gift card")
	}
	return tr("kind.service", "service")
}

// renderLines draws the line table; in quantity mode with an entry per line.
func (s *ScanScreen) renderLines() {
	s.Lines.RemoveAll()
	s.Qty = map[string]*Entry{}
	if s.Purchase() == nil {
		return
	}
	var qtys []*Entry
	for _, l := range s.Purchase().Lines {
		var now fyne.CanvasObject = widget.NewLabel("")
		if s.qtyMode && l.Remaining() > 0 {
			e := newEntry(s.d, "0")
			e.selectAll = true
			e.SetText(strconv.Itoa(l.Remaining()))
			e.OnSubmitted = s.d.scanGuard(e, s.deliverChosen)
			s.Qty[l.ID] = e
			qtys = append(qtys, e)
			now = e
		}
		name := widget.NewLabel(l.Name)
		name.Wrapping = fyne.TextWrapWord
		rem := widget.NewLabelWithStyle(strconv.Itoa(l.Remaining()), fyne.TextAlignLeading, fyne.TextStyle{Bold: l.Remaining() > 0})
		s.Lines.Add(container.New(lineColumns, name, widget.NewLabel(kindName(l.Kind)),
			widget.NewLabel(strconv.Itoa(l.Quantity)), widget.NewLabel(strconv.Itoa(l.Delivered)),
			rem, widget.NewLabel(l.Total().String()), now))
	}
	// Up and Down move between the quantity fields.
	for i, e := range qtys {
		e.onArrow = func(delta int) {
			j := (i + delta + len(qtys)) % len(qtys)
			s.d.focus(qtys[j])
		}
	}
}

func (s *ScanScreen) renderHistory() {
	s.History.RemoveAll()
	p := s.Purchase()
	if p == nil {
		return
	}
	names := map[string]string{}
	for _, l := range p.Lines {
		names[l.ID] = l.Name
	}
	if len(p.Deliveries) > 0 {
		s.History.Add(boldLabel(tr("scan.history", "Handed over before")))
	}
	for _, dl := range p.Deliveries {
		var parts []string
		for _, x := range dl.Lines {
			parts = append(parts, fmt.Sprintf("%d× %s", x.Quantity, names[x.LineID]))
		}
		who := dl.StaffName
		if who == "" {
			who = dl.StaffID
		}
		var right []fyne.CanvasObject
		if dl.SignatureID != "" {
			right = append(right, s.d.signatureThumb(dl.SignatureID))
		}
		s.History.Add(row(fmtDateTime(dl.At)+" · "+who+" · "+strings.Join(parts, ", "), right...))
	}
	for _, c := range p.Credits {
		who := c.StaffName
		if who == "" {
			who = c.StaffID
		}
		s.History.Add(rowLabel(tr("scan.credit_row", "Credited {{.Amount}} {{.When}} by {{.Staff}}: {{.Reason}}",
			m{"Amount": c.Amount.String(), "When": fmtDateTime(c.At), "Staff": who, "Reason": c.Reason})))
	}
}

// signatureThumb returns a small image of a stored signature, loaded in the background.
func (d *Desk) signatureThumb(id string) fyne.CanvasObject {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(120, 40))
	d.async(func(ctx context.Context) func() {
		b, err := d.desk.Signature(ctx, id)
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

func (s *ScanScreen) toggleQty() {
	if s.Purchase() == nil {
		return
	}
	s.qtyMode = !s.qtyMode
	s.renderLines()
	s.updateActions()
	s.d.focusDefault()
}

func (s *ScanScreen) deliverAll() {
	p := s.Purchase()
	if p == nil {
		return
	}
	q := map[string]int{}
	for _, l := range p.Lines {
		if l.Remaining() > 0 {
			q[l.ID] = l.Remaining()
		}
	}
	s.startDelivery(q, true)
}

func (s *ScanScreen) deliverChosen() {
	p := s.Purchase()
	if p == nil || !s.qtyMode || s.DeliverChosen.Disabled() {
		return
	}
	q := map[string]int{}
	for _, l := range p.Lines {
		e := s.Qty[l.ID]
		if e == nil {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(e.Text))
		if err != nil || n < 0 || n > l.Remaining() {
			s.d.sayErr(tr("scan.bad_qty", "“{{.Line}}”: choose a quantity from 0 to {{.Max}}.", m{"Line": l.Name, "Max": l.Remaining()}))
			s.d.focus(e)
			return
		}
		if n > 0 {
			q[l.ID] = n
		}
	}
	if len(q) == 0 {
		s.d.sayErr(tr("scan.nothing_chosen", "Choose at least one item to hand over."))
		return
	}
	s.startDelivery(q, false)
}

// startDelivery checks the purchase may be handed over and asks for a
// signature when physical goods are part of it.
func (s *ScanScreen) startDelivery(q map[string]int, all bool) {
	p := s.Purchase()
	if s.d.staff == nil {
		return
	}
	if !p.Status.Deliverable() {
		s.d.sayErr(notPayableReason(p.Status))
		return
	}
	req := desksync.DeliverRequest{Code: p.Code, Staff: *s.d.staff}
	for _, l := range p.Lines {
		if n := q[l.ID]; n > 0 {
			req.Lines = append(req.Lines, skranke.DeliveredLine{LineID: l.ID, Quantity: n})
		}
	}
	if p.NeedsSignature(q) {
		s.pending = &req
		s.Pad.Clear()
		var what []string
		for _, l := range p.Lines {
			if n := q[l.ID]; n > 0 {
				what = append(what, fmt.Sprintf("%d × %s", n, l.Name))
			}
		}
		s.SignMessage.SetText(tr("sign.for", "The buyer signs for: {{.What}}", m{"What": strings.Join(what, ", ")}))
		slog.Info("signature requested", "code", p.Code)
		s.arrange()
		s.updateActions()
		s.d.focusDefault()
		return
	}
	s.deliver(req, nil)
}

func (s *ScanScreen) acceptSignature() {
	if s.pending == nil {
		return
	}
	if s.Pad.Empty() {
		s.SignMessage.SetText(tr("sign.blank", "The pad is blank: the buyer must sign before the goods are handed over."))
		s.d.sayErr(s.SignMessage.Text)
		return
	}
	strokes := s.Pad.snapshot()
	req := *s.pending
	s.pending = nil
	s.arrange()
	// The pad is hidden but would keep the focus, swallowing the next scan.
	s.d.focusDefault()
	s.deliver(req, strokes)
}

// deliver records the delivery (offline too) and prints the note. strokes
// are the buyer's signature, if one was taken: it is rendered and stored
// with the delivery.
func (s *ScanScreen) deliver(req desksync.DeliverRequest, strokes [][]fyne.Position) {
	before := s.Purchase()
	lookup := s.lookup
	seq := s.seq
	setEnabled(s.DeliverAll, false)
	setEnabled(s.DeliverChosen, false)
	s.setState(StateLooking, tr("scan.delivering", "Delivering…"))
	s.d.async(func(ctx context.Context) func() {
		var (
			sig image.Image
			dl  skranke.Delivery
			p   *skranke.Purchase
			err error
		)
		if strokes != nil {
			img := renderStrokes(strokes)
			req.Signature, err = encodePNG(img)
			sig = img
		}
		if err == nil {
			dl, p, err = s.d.desk.Deliver(ctx, req)
		}
		return func() {
			current := seq == s.seq // Nothing else was scanned meanwhile.
			if err != nil {
				slog.Info("delivery refused", "code", req.Code, "staff", req.Staff.ID, "err", err)
				if current {
					// The desk returns the purchase as the shop sees it when it refused.
					switch {
					case p != nil:
						s.showLookup(desksync.Lookup{Purchase: p})
					case before != nil:
						s.showLookup(lookup)
					}
				}
				s.d.sayErr(tr("scan.deliver_failed", "Not delivered: {{.Err}}", m{"Err": errText(err)}))
				return
			}
			slog.Info("delivered", "code", req.Code, "delivery", dl.ID, "staff", req.Staff.ID, "lines", len(dl.Lines))
			if p == nil {
				p = before
			}
			note := s.d.deliveryNote(before, p, dl, req, sig)
			s.lastNote = &note
			if current {
				lookup.Purchase = p
				s.showLookup(lookup)
				s.setState(StateDelivered, tr("scan.done", "DELIVERED"))
				s.Detail.SetText(tr("scan.done_detail", "Handed over by {{.Staff}} at {{.When}}. The note is printing.", m{"Staff": req.Staff.Name, "When": fmtTime(dl.At)}))
			}
			s.updateActions()
			s.d.sayOK(tr("scan.delivered_msg", "Delivered {{.Code}}.", m{"Code": skranke.GroupCode(req.Code)}))
			s.d.print(tr("print.note", "delivery note"), note.Document())
			if skip, n := soldGiftCards(before, req.Lines); n > 0 {
				s.d.printSoldCards(req.Code, skip, n)
			}
		}
	})
}

// soldGiftCards counts the gift card units that lines hand over of p, and
// how many gift card units were handed over before (whose cards were
// printed then).
func soldGiftCards(p *skranke.Purchase, lines []skranke.DeliveredLine) (before, now int) {
	if p == nil {
		return 0, 0
	}
	for _, l := range p.Lines {
		if l.Kind != skranke.GiftCard {
			continue
		}
		before += l.Delivered
		for _, dl := range lines {
			if dl.LineID == l.ID && dl.Quantity > 0 {
				now += dl.Quantity
			}
		}
	}
	return before, now
}

// printSoldCards prints the n gift cards purchase code sold that were handed
// over now (the first skip went with earlier deliveries), fit to hand over.
// The shop issues the cards when the purchase is paid, so the desk usually
// has them even offline. When it does not, they print by themselves as soon
// as the sync brings them, which is what staff expect of a card that the
// customer has paid for: no one has to remember to come back to it.
func (d *Desk) printSoldCards(code string, skip, n int) {
	find := func(ctx context.Context) ([]skranke.Card, error) {
		cards, err := d.desk.CardsOfPurchase(ctx, code)
		if err != nil {
			return nil, err
		}
		from := skip
		if from >= len(cards) {
			from = 0 // Cards reissued or counted otherwise: print what there is.
		}
		cards = cards[from:]
		return cards[:min(n, len(cards))], nil
	}
	printCards := func(cards []skranke.Card, later bool) {
		docs := make([]*printer.Document, len(cards))
		codes := make([]string, len(cards))
		for i, c := range cards {
			docs[i] = d.giftCardDoc(c, false)
			codes[i] = skranke.GroupCode(c.Code)
		}
		args := m{"N": len(cards), "Code": skranke.GroupCode(code), "Codes": strings.Join(codes, ", ")}
		if later {
			d.sayOK(tr("scan.cards_arrived", "The shop sent the gift cards of {{.Code}}; hand over the {{.N}} that are printing: {{.Codes}}.", args))
		} else {
			d.sayOK(tr("scan.cards_printing", "Delivered {{.Code}}. Hand over the {{.N}} gift card(s) that are printing: {{.Codes}}.", args))
		}
		d.print(tr("print.cards", "gift cards"), docs...)
	}
	// outcome is the UI update for what find returned, or nil while the
	// shop cannot be reached and the cards are still to come.
	outcome := func(cards []skranke.Card, err error, later bool) func() {
		switch {
		case skranke.KindOf(err) == skranke.Unavailable:
			return nil
		case err != nil:
			return func() {
				d.sayErr(tr("scan.cards_missing", "The gift cards of this purchase were not found: {{.Err}}", m{"Err": errText(err)}))
			}
		case len(cards) == 0:
			return func() {
				d.sayErr(tr("scan.cards_none", "The shop has issued no gift cards for this purchase yet; ask a manager to check it in the shop."))
			}
		}
		return func() { printCards(cards, later) }
	}
	d.async(func(ctx context.Context) func() {
		cards, err := find(ctx)
		if ui := outcome(cards, err, false); ui != nil {
			return ui
		}
		return func() {
			d.sayErr(tr("scan.cards_later", "The gift cards of {{.Code}} are not on this desk yet; they print by themselves as soon as the shop is reachable.", m{"Code": skranke.GroupCode(code)}))
			d.await(func(ctx context.Context) func() {
				cards, err := find(ctx)
				return outcome(cards, err, true)
			})
		}
	})
}

// reprint prints the note of the purchase's last delivery again, marked
// KOPI, with the signature taken then.
func (s *ScanScreen) reprint() {
	p := s.Purchase()
	if p == nil || len(p.Deliveries) == 0 {
		return
	}
	if n := s.lastNote; n != nil && n.Reference == p.Code {
		c := *n
		c.Copy = true
		s.d.print(tr("print.note", "delivery note"), c.Document())
		return
	}
	// A delivery made before (here or at another desk): rebuild its note.
	last := p.Deliveries[len(p.Deliveries)-1]
	before := p.Before(last.ID)
	staff := skranke.Staff{ID: last.StaffID, Name: last.StaffName}
	if staff.Name == "" {
		staff.Name = last.StaffID
	}
	req := desksync.DeliverRequest{Code: p.Code, Lines: last.Lines, Staff: staff}
	s.d.async(func(ctx context.Context) func() {
		var sig image.Image
		if last.SignatureID != "" {
			if b, err := s.d.desk.Signature(ctx, last.SignatureID); err == nil {
				sig = decodePNG(b)
			} else {
				slog.Info("signature for reprint not available", "id", last.SignatureID, "err", err)
			}
		}
		return func() {
			n := s.d.deliveryNote(before, p, last, req, sig)
			n.Copy = true
			s.d.print(tr("print.note", "delivery note"), n.Document())
		}
	})
}

func (s *ScanScreen) openCredit() {
	if s.Purchase() == nil {
		return
	}
	if !s.d.isManager() {
		s.d.sayErr(tr("credit.manager_only", "Only a manager can credit a purchase."))
		return
	}
	p := s.Purchase()
	rest := p.Creditable()
	s.CreditAmount.SetText(strings.TrimPrefix(rest.String(), "kr "))
	s.CreditReason.SetText("")
	s.creditInfo.SetText(tr("credit.info", "Total {{.Total}} · credited before {{.Credited}} · at most {{.Max}} can be credited.",
		m{"Total": p.Total().String(), "Credited": p.CreditedAmount().String(), "Max": rest.String()}))
	s.crediting = true
	s.arrange()
	s.d.focus(s.CreditAmount)
}

func (s *ScanScreen) confirmCredit() {
	p := s.Purchase()
	if p == nil || !s.crediting || s.CreditConfirm.Disabled() {
		return
	}
	if !s.d.isManager() {
		s.d.sayErr(tr("credit.manager_only", "Only a manager can credit a purchase."))
		return
	}
	amt, err := skranke.ParseMoney(s.CreditAmount.Text)
	if err != nil || amt <= 0 {
		s.d.sayErr(tr("credit.bad_amount", "Type the amount to credit, such as 299,00."))
		s.d.focus(s.CreditAmount)
		return
	}
	if max := p.Creditable(); amt > max {
		s.d.sayErr(tr("credit.too_much", "At most {{.Max}} can be credited.", m{"Max": max.String()}))
		return
	}
	reason := strings.TrimSpace(s.CreditReason.Text)
	if reason == "" {
		s.d.sayErr(tr("credit.need_reason", "Write why the purchase is credited."))
		s.d.focus(s.CreditReason)
		return
	}
	staff := *s.d.staff
	code := p.Code
	seq := s.seq
	setEnabled(s.CreditConfirm, false)
	s.d.async(func(ctx context.Context) func() {
		c, err := s.d.desk.Credit(ctx, code, amt, reason, staff)
		var lk desksync.Lookup
		var lerr error
		if err == nil {
			lk, lerr = s.d.desk.Lookup(ctx, code)
		}
		return func() {
			setEnabled(s.CreditConfirm, true)
			if skranke.KindOf(err) == skranke.Unknown {
				slog.Info("credit unanswered", "code", code, "staff", staff.ID, "err", err)
				s.crediting = false // No blind second try: the sync settles it.
				s.arrange()
				s.d.focusDefault() // Off the hidden credit fields, back to scanning.
				s.d.sayErr(tr("credit.checking", "The shop did not answer; checking whether the purchase was credited…"))
				s.awaitCreditOutcome(c, code)
				return
			}
			if err != nil {
				slog.Info("credit refused", "code", code, "staff", staff.ID, "err", err)
				s.d.sayErr(tr("credit.failed", "Not credited: {{.Err}}", m{"Err": errText(err)}))
				return
			}
			slog.Info("credited", "code", code, "credit", c.ID, "amount", int64(c.Amount), "staff", staff.ID)
			if seq == s.seq {
				s.crediting = false
				s.arrange()
				if lerr == nil {
					s.showLookup(lk)
				}
				s.d.focusDefault()
			}
			s.d.sayOK(tr("credit.done", "Credited {{.Amount}} on {{.Code}}.", m{"Amount": c.Amount.String(), "Code": skranke.GroupCode(code)}))
		}
	})
}

// awaitCreditOutcome waits for the sync to find out whether the shop took a
// credit whose answer was lost, and says so.
func (s *ScanScreen) awaitCreditOutcome(c skranke.Credit, code string) {
	s.d.await(func(ctx context.Context) func() {
		o, err := s.d.desk.Outcome(ctx, c.ID)
		if err != nil || !o.Settled {
			if err != nil {
				slog.Warn("credit outcome", "id", c.ID, "err", err)
			}
			return nil
		}
		lk, lerr := s.d.desk.Cached(ctx, code)
		return func() {
			args := m{"Amount": c.Amount.String(), "Code": skranke.GroupCode(code)}
			if o.Done {
				s.d.sayOK(tr("credit.settled_done", "Settled: the shop did credit {{.Amount}} on {{.Code}}.", args))
			} else {
				s.d.sayErr(tr("credit.settled_not_done", "Settled: {{.Code}} was not credited; credit it again if it should be.", args))
			}
			if lerr == nil && lk.Purchase != nil && s.Purchase() != nil && s.Purchase().Code == code {
				s.showLookup(lk)
			}
		}
	})
}
