package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/skranke/skranke/scanner"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
	desksync "github.com/skranke/skranke/sync"
)

// scanState is what the scan screen shows about the last scan.
type scanState int

// The scan screen's states.
const (
	stateReady       scanState = iota // Waiting for a scan.
	stateLooking                      // Asking the shop.
	stateDeliverable                  // Paid, with something left to hand over.
	stateDelivered                    // Everything was handed over (now or before).
	stateNotPayable                   // Not paid, pending, failed, credited or cancelled.
	stateUnknown                      // No such code, or not a code at all.
	stateOffline                      // Offline and not in the cache.
	stateUndone                       // The delivery just made was undone (undo.go).
	stateElsewhere                    // Bought at another centre of the chain.
)

// String names the state in logs, where the end-to-end tests read it.
func (st scanState) String() string {
	switch st {
	case stateReady:
		return "ready"
	case stateLooking:
		return "looking"
	case stateDeliverable:
		return "deliverable"
	case stateDelivered:
		return "delivered"
	case stateNotPayable:
		return "not_payable"
	case stateUnknown:
		return "unknown"
	case stateOffline:
		return "offline"
	case stateUndone:
		return "undone"
	case stateElsewhere:
		return "elsewhere"
	}
	return fmt.Sprintf("state(%d)", int(st))
}

// scanScreen is the main screen: the scan field, the state of the scanned
// purchase, its lines, and the delivery, signature and credit panels.
type scanScreen struct {
	// Entry is the scan field. It keeps the focus; Enter submits.
	Entry *scanEntry
	// State is the large state text ("READY TO DELIVER", "NOT PAID", ...).
	State *fitText
	// Code is the scanned code, grouped for reading.
	Code *fitText
	// Cache is shown when the purchase came from the cache, with its age.
	Cache *fitText
	// SyncMark says a delivery made offline waits to sync, and then that
	// it is synced (syncmark.go).
	SyncMark *fitText
	// Detail says why, or when and by whom it was delivered.
	Detail *widget.Label
	// Buyer is the buyer's name and contact.
	Buyer *widget.Label
	// Lines lists the purchase's lines with ordered, delivered and remaining.
	Lines *fyne.Container
	rows  []*lineRow // Kept for Lines, filled again for each purchase.
	// Qty holds the quantity fields of partial delivery, by line ID.
	Qty map[string]*entry
	// History lists earlier deliveries and credits.
	History *fyne.Container

	DeliverAll    *button // Hand over everything that remains.
	ChooseQty     *button // Open the quantity fields for partial delivery.
	DeliverChosen *button // Hand over the chosen quantities.
	CreditButton  *button // Open the credit panel (staff other than managers with a manager's approval).
	Reprint       *button // Print the last delivery note again, marked KOPI.
	// Undo undoes the delivery just made, shown for skranke.UndoWindow
	// after it (undo.go); Ctrl+Z in the scan field does the same.
	Undo *button

	// Pad is the signature pad, shown when physical goods are handed over.
	Pad         *signaturePad
	SignAccept  *button       // Accept the signature and hand over.
	SignClear   *button       // Wipe the pad for another try.
	SignCancel  *button       // Close the pad; nothing is handed over.
	SignMessage *widget.Label // What the buyer signs for, or why it was refused.
	NextWaiting *widget.Label // The next customer's code, scanned while the buyer signs.

	// The credit panel: for staff who are not managers first the approval
	// step, where a manager chooses their name and types their PIN; then
	// an amount, with the rest of the purchase proposed, or a quantity per
	// line (CreditMode), and the reason, which is required.
	CreditManager *widget.Select
	CreditPIN     *entry
	CreditApprove *button
	CreditMode    *widget.RadioGroup
	CreditAmount  *entry
	CreditQty     map[string]*entry // By line ID: units to credit.
	CreditReason  *entry
	CreditConfirm *button
	CreditCancel  *button

	// IDCheck is ticked by staff once they checked the buyer's identity: a
	// purchase opened from a list, without its receipt, needs it (scan_found.go).
	IDCheck *widget.Check
	// PickupCount says how many purchases wait to be fetched and opens
	// the pickup list; FindButton opens the search (scan_found.go).
	PickupCount, FindButton *button
	found                   bool // Opened from a list, not scanned.

	sh       shell
	svc      scanService
	paper    printing
	rd       reader
	seq      int // Bumped on every reset, so late answers to an old scan are dropped.
	state    scanState
	lookup   desksync.Lookup          // The purchase shown (Purchase) and where it came from.
	pending  *desksync.DeliverRequest // Waiting for a signature.
	lastNote *printer.DeliveryNote
	// noteUnprinted is lastNote when its original put nothing on paper
	// (the printer out of paper, away): F8 prints it as the original.
	noteUnprinted *printer.DeliveryNote
	// unprinted are the gift cards sold with purchases that did not
	// print, by purchase code, for F8 while the purchase is on screen: a
	// second purchase's failure must not lose the first's.
	unprinted map[string][]*unprintedCards
	shownAt   time.Time  // When the purchase shown was put on screen; delivery waits armDelay after it.
	steps     *scanSteps // The timing of the scan being shown, until it is painted.
	attended  func()     // Ends the sync's giving way to the scan (Attend), once its purchase is painted.
	// confirmed: the shop has answered the lookup (or the cache, the shop
	// out of reach), and the purchase shown, if any, is that answer, not
	// the cache's copy shown while the shop is asked. Only a confirmed
	// purchase can be handed over.
	confirmed bool
	view      purchaseView // What present showed of the purchase.
	hushed    bool         // setState sounds no refusal: the cache's copy is shown.
	// cacheWait and shopWait: see the constants; tests wait as long as a
	// loaded machine needs.
	cacheWait, shopWait time.Duration

	next        *queuedScan // Scanned while the buyer signed; opened after.
	padWedge    *burst      // Keys typed on the signature pad: a scanner's.
	padLastScan time.Time   // When a scan typed on the pad ended.

	// delivering holds the codes whose delivery is being recorded or sent
	// (deliver.go): their delivery buttons stay off until it is done.
	delivering map[string]bool
	// shopGone: the shop was lost after the purchase shown was looked up
	// (syncmark.go), so nothing that needs the shop (a credit) is offered.
	shopGone bool

	undo                 *undoOffer // The delivery that may be undone now, if any.
	doneText, doneDetail string     // The banner and detail of the delivery just made.
	syncChecking         bool       // checkSynced asks the cache.
	syncAgain            bool       // The outbox changed meanwhile: ask again.
	refreshing           bool       // refreshShown asks the shop.
	refreshAgain         bool       // The sync reported meanwhile: ask again.
	presented            int        // Counts present: what is shown was replaced.
	ageGen               int        // Ends the age ticks of the cached copy shown before (tickAge).

	banner      *banner // Holds State.
	qtyMode     bool
	crediting   bool // The credit panel is open (unless a signature is pending, which takes precedence).
	header      fyne.CanvasObject
	top         *fyne.Container   // The scan field, the banner, the code and the marks (syncmark.go).
	linesArea   fyne.CanvasObject // The scrolled buyer, lines and history.
	readArea    fyne.CanvasObject // Their text at readText.
	scanRow     fyne.CanvasObject // The scan field and its label.
	actions     fyne.CanvasObject
	signPanel   fyne.CanvasObject
	creditPanel fyne.CanvasObject
	creditInfo  *widget.Label

	approving      bool               // The credit waits for a manager's PIN.
	approval       *desksync.Approval // The manager's approval of the open credit.
	managers       []skranke.Staff    // Who can approve, as listed in CreditManager.
	approvePane    fyne.CanvasObject  // The approval step.
	approveButtons fyne.CanvasObject  // Its Cancel and Approve.
	creditForm     fyne.CanvasObject  // What to credit and why.
	creditButtons  fyne.CanvasObject  // Its Cancel and Credit.
	amountForm     fyne.CanvasObject  // The amount field.
	creditLines    *fyne.Container    // The quantity fields.
	linesSum       *widget.Label      // What the chosen lines give back.
	obj            fyne.CanvasObject
}

// scanService is what the scan screen asks of the desk's sync: looking up,
// handing over and crediting.
type scanService interface {
	lookupService
	deliverService
	creditService
	undoService
}

// lookupService finds purchases, from the shop or the cache.
type lookupService interface {
	Lookup(ctx context.Context, code string) (desksync.Lookup, error)
	// Cached returns the purchase as this desk last saw it, without asking the shop.
	Cached(ctx context.Context, code string) (desksync.Lookup, error)
	// Attend has the sync give way while staff wait for a scan; done ends it.
	Attend() (done func())
}

func newScanScreen(sh shell, svc scanService, paper printing, rd reader) *scanScreen {
	s := &scanScreen{sh: sh, svc: svc, paper: paper, rd: rd, Qty: map[string]*entry{}, cacheWait: cacheWait, shopWait: shopWait}
	s.Entry = newScanEntry(sh, s.submit)
	s.Entry.shortcut = s.undoShortcut
	s.banner = newBanner(40)
	s.State = s.banner.Text
	s.Code = bigText(48, true)
	s.Code.Room = 520 // Beside the detail: the code keeps its size.
	s.Code.TextStyle = fyne.TextStyle{Monospace: true}
	s.Code.Alignment = fyne.TextAlignLeading
	s.Cache = bigText(22, true)
	s.Cache.Color = colWarn
	s.Cache.Alignment = fyne.TextAlignCenter
	s.SyncMark = bigText(22, true)
	s.SyncMark.Alignment = fyne.TextAlignCenter
	s.Detail = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.Detail.Wrapping = fyne.TextWrapWord
	s.Buyer = widget.NewLabel("")
	s.Buyer.Wrapping = fyne.TextWrapWord
	s.Lines = container.NewVBox()
	s.History = container.NewVBox()

	s.DeliverAll = newButton(sh, label("scan.deliver_all"), theme.ConfirmIcon(), s.deliverAll)
	s.DeliverAll.Importance = widget.SuccessImportance
	s.ChooseQty = newButton(sh, label("scan.choose_qty"), theme.ListIcon(), s.toggleQty)
	s.DeliverChosen = newButton(sh, label("scan.deliver_chosen"), theme.ConfirmIcon(), s.deliverChosen)
	s.DeliverChosen.Importance = widget.SuccessImportance
	s.CreditButton = newButton(sh, label("scan.credit"), theme.ContentUndoIcon(), s.openCredit)
	s.CreditButton.Importance = widget.WarningImportance
	s.CreditQty = map[string]*entry{}
	s.Reprint = newButton(sh, label("scan.reprint"), theme.DocumentPrintIcon(), s.reprint)
	s.Undo = s.newUndoButton()

	s.IDCheck = s.newIDCheck()
	s.PickupCount, s.FindButton = s.newListButtons()
	s.signPanel = s.newSignPanel()
	s.creditPanel = s.newCreditPanel()

	// One grid: Credit is as large as Deliver, right under it, and stays
	// in its place whoever is logged in.
	s.actions = big(container.NewVBox(s.IDCheck,
		container.NewGridWithColumns(3, s.DeliverAll, s.ChooseQty, s.DeliverChosen,
			s.CreditButton, s.Reprint, s.Undo)), 16)
	// The column heads wrap: at the readable size a long head ("Remaining",
	// "Utlever nå") must not widen the window.
	var heads []fyne.CanvasObject
	for _, k := range []string{"line.product", "line.kind", "line.ordered", "line.delivered", "line.remaining", "line.amount", "line.now"} {
		h := boldLabel(label(k))
		h.Wrapping = fyne.TextWrapWord
		heads = append(heads, h)
	}
	s.header = container.New(lineColumns, heads...)
	// The lines and history may be long (many lines, many deliveries):
	// they scroll, while the state, the code and the buttons stay put.
	s.readArea = readSized(container.NewVBox(s.Buyer, s.header, s.Lines, widget.NewSeparator(), s.History))
	s.linesArea = minHeight(container.NewVScroll(s.readArea), linesMinHeight)

	scanLabel := widget.NewLabelWithStyle(label("scan.label"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.scanRow = container.NewBorder(nil, nil, container.NewCenter(scanLabel), container.NewCenter(container.NewHBox(s.FindButton, s.PickupCount)), big(s.Entry, 34))
	// The code and what it means side by side: the code as large as
	// before, in one row less of the screen's height.
	codeRow := container.NewBorder(nil, nil, container.NewPadded(s.Code), nil,
		container.NewVBox(layout.NewSpacer(), s.Detail, layout.NewSpacer()))
	s.top = container.NewVBox(s.scanRow, s.banner.obj, codeRow, s.Cache, s.SyncMark)
	centre := container.NewStack(s.linesArea, s.signPanel, container.NewVBox(s.creditPanel))
	s.obj = container.NewBorder(s.top, s.actions, nil, nil, centre)
	s.reset()
	return s
}

func boldLabel(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// StateNow returns the screen's current state.
func (s *scanScreen) StateNow() scanState { return s.state }

// Purchase returns the purchase shown, or nil.
func (s *scanScreen) Purchase() *skranke.Purchase { return s.lookup.Purchase }

// SignatureOpen reports whether the signature pad is waiting for the buyer.
func (s *scanScreen) SignatureOpen() bool { return s.pending != nil }

// CreditOpen reports whether the credit panel is open.
func (s *scanScreen) CreditOpen() bool { return s.crediting }

func (s *scanScreen) panelOpen() bool { return s.pending != nil || s.crediting }

// arrange shows the part of the screen the state calls for: the scan
// field, the lines and the action bar, or, while one is open, the signature
// or credit panel in their place with its own buttons, so that the panel has
// room on a small screen and nothing falls off its bottom.
func (s *scanScreen) arrange() {
	sign := s.pending != nil
	credit := s.crediting && !sign
	show(s.signPanel, sign)
	show(s.creditPanel, credit)
	s.arrangeCredit()
	show(s.linesArea, !sign && !credit)
	show(s.actions, !sign && !credit)
	// The scan field rests while a panel waits for the buyer or the
	// manager (its keys go to the panel), and gives the panel its room.
	show(s.scanRow, !sign && !credit)
	show(s.header, s.Purchase() != nil)
}

// focusTarget is where the keyboard goes on this screen.
func (s *scanScreen) focusTarget() fyne.Focusable {
	switch {
	case s.pending != nil:
		return s.Pad
	case s.crediting:
		return s.creditFocus()
	case s.qtyMode && s.Purchase() != nil:
		for _, l := range s.Purchase().Lines {
			if e := s.Qty[l.ID]; e != nil {
				return e
			}
		}
	}
	return s.Entry
}

func (s *scanScreen) setState(st scanState, text string) {
	s.state = st
	c := colReady
	switch st {
	case stateDeliverable:
		c = colOK
	case stateDelivered:
		c = colDone
	case stateNotPayable, stateUnknown:
		c = colBad
	case stateOffline:
		c = colWarn
	case stateUndone:
		c = colUndone
	case stateElsewhere:
		c = colElsewhere
	}
	s.banner.set(text, c)
	if !s.hushed {
		// Nothing to hand over: staff hear it without looking.
		s.refuseShown()
	}
}

// reset clears the screen, ready for the next scan.
func (s *scanScreen) reset() {
	s.seq++
	if done := s.attended; done != nil {
		s.attended = nil
		done()
	}
	s.lookup = desksync.Lookup{}
	s.view = purchaseView{}
	s.confirmed, s.hushed = false, false
	s.shownAt = time.Time{}
	// The undo is for the purchase on screen: the next scan ends it.
	s.undo = nil
	if s.Undo != nil {
		s.showUndo()
	}
	s.pending = nil
	s.shopGone = false
	s.next = nil
	if s.NextWaiting != nil {
		s.NextWaiting.Hide()
	}
	s.crediting, s.approving = false, false
	s.dropApproval()
	s.qtyMode = false
	s.forgetFound()
	s.setState(stateReady, label("scan.ready"))
	s.Code.Text = ""
	s.Code.Refresh()
	s.setMark(s.Cache, "")
	s.setMark(s.SyncMark, "")
	s.Detail.SetText("")
	s.Buyer.SetText("")
	s.showRows(0)
	s.History.RemoveAll()
	s.Qty = map[string]*entry{}
	s.arrange()
	s.updateActions()
}

// cancel closes an open panel, or clears the purchase.
func (s *scanScreen) cancel() {
	switch {
	case s.UndoAsked():
		s.cancelUndo()
	case s.pending != nil:
		s.pending = nil
		s.Pad.Clear()
		s.arrange()
		s.sh.say(label("sign.cancelled"))
		defer s.openNext()
	case s.crediting:
		s.crediting, s.approving = false, false
		s.dropApproval()
		s.arrange()
	case s.qtyMode:
		s.qtyMode = false
		s.renderLines()
	case s.deliveringShown():
		// The outcome of the delivery under way shows on this purchase.
	default:
		s.reset()
	}
	s.updateActions()
	s.sh.focusDefault()
}

func (s *scanScreen) updateActions() {
	p := s.Purchase()
	canDeliver := p != nil && p.Status.Deliverable() && p.Remaining() && s.pending == nil && s.armed() && !s.deliveringShown()
	setEnabled(s.DeliverAll, canDeliver)
	setEnabled(s.ChooseQty, canDeliver)
	setEnabled(s.DeliverChosen, canDeliver && s.qtyMode)
	// Credit is offered only where the shop can do it: a paid purchase with
	// something left to credit, and the shop there to confirm it. Staff
	// who are not managers credit with a manager's approval.
	setEnabled(s.CreditButton, s.canCredit() && s.pending == nil)
	delivered := false
	if p != nil {
		_, delivered = p.LastDelivery()
	}
	setEnabled(s.Reprint, delivered)
}

func setEnabled(b *button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// armDelay is how long a purchase is on screen before it can be handed
// over: long enough for staff to see what they hand over, and far longer
// than the gap between a scan's Enter and a second Enter that follows it
// (a scanner's CR+LF suffix, a double tap), so that a scan alone never
// delivers.
const armDelay = 500 * time.Millisecond

// arm starts the wait before the purchase just shown can be delivered: the
// delivery buttons light up when it is over.
func (s *scanScreen) arm() { s.armAt(s.sh.now()) }

// armAt is arm for a purchase in sight since shown (the cache's copy that
// the shop's answer confirmed).
func (s *scanScreen) armAt(shown time.Time) {
	s.shownAt = shown
	p, seq := s.Purchase(), s.seq
	if p == nil || !p.Status.Deliverable() || !p.Remaining() {
		return
	}
	fire := func() {
		if seq != s.seq || s.Purchase() == nil {
			return
		}
		s.updateActions()
		slog.Info("delivery armed", "code", p.Code)
	}
	if left := armDelay - s.sh.now().Sub(shown); left > 0 {
		s.sh.after(left, fire)
		return
	}
	fire()
}

// armed reports whether the purchase shown has been on screen for armDelay.
func (s *scanScreen) armed() bool {
	return s.Purchase() != nil && s.confirmed && !s.shownAt.IsZero() && s.sh.now().Sub(s.shownAt) >= armDelay
}

// submit handles Enter in the scan field.
func (s *scanScreen) submit(e scanner.Entry) {
	if strings.TrimSpace(e.Text) == "" {
		// Enter on an empty field confirms: deliver what remains, once the
		// purchase has been on screen long enough to be seen.
		switch {
		case s.UndoAsked():
			s.confirmUndo()
		case s.Purchase() == nil:
			slog.Info("enter ignored", "reason", "nothing shown")
		case !s.armed():
			slog.Info("enter ignored", "reason", "not armed", "code", s.Purchase().Code)
		case !s.DeliverAll.Disabled():
			s.deliverAll()
		}
		return
	}
	s.rd.handleEntry(e)
}

// showInvalid shows a reading that is not a code.
func (s *scanScreen) showInvalid(raw, reason string) {
	s.reset()
	s.setState(stateUnknown, label("scan.invalid"))
	s.Code.Text = shorten(raw, maxCodeRunes)
	s.Code.Refresh()
	s.Detail.SetText(label("scan.invalid_detail", m{"Raw": shorten(raw, maxDetailRunes), "Reason": reason}))
	s.sh.focusDefault()
}

// cacheWait is how long a scan holds the UI goroutine for this desk's copy
// of the purchase: read within it, the purchase is in the first frame
// painted after the scan. A frame of the "looking" state painted first
// (tens of milliseconds in software rendering) would come before it,
// however fast the answer. A read takes a millisecond or less; a slower
// one (a disk busy elsewhere) shows "looking" and the purchase after.
const cacheWait = 20 * time.Millisecond

// shopWait is how long a scan of a purchase this desk has not cached holds
// the UI goroutine for the shop's answer, for the same reason: the frame of
// "looking" it saves takes as long, and the purchase waits for it.
const shopWait = 30 * time.Millisecond

// checkingHint is how long the shop may take to confirm a purchase shown
// from the cache before the screen says it is still asking, and sounds
// the refusal tone a refused purchase held back until then.
const checkingHint = 300 * time.Millisecond

// Lookup shows the purchase with code: at once as this desk's cache has
// it, when it has it, and then as the shop has it now (confirm). Nothing
// can be handed over before the shop answered (or could not be reached,
// when the cache is all there is): a cached copy may be behind the shop.
func (s *scanScreen) Lookup(code, raw string) {
	steps := newScanSteps(code)
	s.reset()
	s.attended = s.svc.Attend()
	s.Code.Text = skranke.GroupCode(code)
	s.Code.Refresh()
	seq := s.seq
	steps.asked = time.Now()
	shop := steps.from("shop")
	shopAnswer := s.sh.begin(func(ctx context.Context) func() {
		lk, err := s.svc.Lookup(ctx, code)
		shop.answered = time.Now()
		return func() {
			if seq != s.seq {
				return // Something newer was scanned meanwhile.
			}
			shop.applied = time.Now()
			s.confirm(code, raw, lk, err, shop)
		}
	})
	cached := steps.from("cache")
	s.sh.begin(func(ctx context.Context) func() {
		lk, err := s.svc.Cached(ctx, code)
		cached.answered = time.Now()
		return func() {
			if seq != s.seq || s.confirmed || err != nil || lk.Purchase == nil {
				return // Newer, answered by the shop already, or not on this desk.
			}
			cached.applied = time.Now()
			s.steps = cached
			s.present(lk, false)
		}
	})(s.cacheWait)
	wait := s.shopWait
	if s.lookup.Purchase != nil {
		wait = 0 // Shown: the shop's answer comes when it comes.
	}
	if !shopAnswer(wait) && s.lookup.Purchase == nil && !s.confirmed {
		s.setState(stateLooking, label("scan.looking"))
		s.sh.painted(func(_, at time.Time) { shop.between = at })
	}
}

// attendedOnScreen ends the sync's giving way to the scan once the next
// frame, which shows its answer, is painted, or after a second at most
// (a window not painted, minimised, paints no frame).
func (s *scanScreen) attendedOnScreen() {
	if done := s.attended; done != nil {
		s.attended = nil
		s.sh.painted(func(_, _ time.Time) { done() })
		time.AfterFunc(time.Second, done) // done does its work once.
	}
}

// confirm shows the shop's answer to a lookup (or the cache's, when the
// shop could not be reached), replacing what the cache showed meanwhile.
func (s *scanScreen) confirm(code, raw string, lk desksync.Lookup, err error, steps *scanSteps) {
	early := s.lookup.Purchase != nil && !s.confirmed
	if err != nil {
		// The shop's word: a cache's copy read later must not show.
		s.confirmed = true
		if early {
			// The shop knows better than the copy shown: not this purchase.
			slog.Info("purchase withdrawn", "code", code, "err", err)
			s.clearPurchase()
		}
		s.showLookupError(code, raw, err)
		s.attendedOnScreen()
		return
	}
	if early && lk.Purchase != nil && reflect.DeepEqual(s.viewOf(lk, true), s.view) {
		// As shown: nothing on screen changes, and the purchase has been
		// in sight since the cache showed it.
		s.lookup = lk
		s.confirmed = true
		if s.Cache.Text != s.view.cache {
			s.setMark(s.Cache, s.view.cache) // Takes "still checking" away.
		}
		if s.hushed {
			s.hushed = false
			s.refuseShown()
		}
		slog.Info("purchase confirmed", "code", code, "state", s.state,
			"shop_ms", float64(steps.answered.Sub(steps.asked).Microseconds())/1e3)
		s.armAt(s.shownAt)
		s.updateActions()
		return
	}
	s.steps = steps
	s.showLookup(lk)
	if early && lk.Purchase != nil && !lk.FromCache {
		// Staff may have seen the cache's copy: say why the screen changed.
		s.setMark(s.Cache, label("scan.refreshed"))
		slog.Info("purchase refreshed", "code", code, "state", s.state)
	}
}

// clearPurchase takes the purchase off the screen, as reset does, but for
// the same scan: its code stays, and its answers still count.
func (s *scanScreen) clearPurchase() {
	s.lookup = desksync.Lookup{}
	s.view = purchaseView{}
	s.shownAt = time.Time{}
	s.hushed = false
	s.setMark(s.Cache, "")
	s.setMark(s.SyncMark, "")
	s.Detail.SetText("")
	s.Buyer.SetText("")
	s.showRows(0)
	s.History.RemoveAll()
	s.Qty = map[string]*entry{}
	s.arrange()
	s.updateActions()
}

func (s *scanScreen) showLookupError(code, raw string, err error) {
	slog.Info("lookup failed", "code", code, "err", err)
	var ee *skranke.ElsewhereError
	switch skranke.KindOf(err) {
	case skranke.NotFound:
		if errors.As(err, &ee) {
			s.setState(stateElsewhere, label("scan.elsewhere"))
			s.Detail.SetText(elsewhereText("scan.elsewhere_detail", skranke.GroupCode(code), ee.Centre))
			break
		}
		s.setState(stateUnknown, label("scan.unknown"))
		s.Detail.SetText(label("scan.unknown_detail", m{"Code": skranke.GroupCode(code), "Raw": raw}))
	case skranke.Unavailable:
		s.setState(stateOffline, label("scan.offline"))
		s.Detail.SetText(label("scan.offline_detail", m{"Code": skranke.GroupCode(code)}))
	default:
		s.setState(stateUnknown, label("scan.error"))
		s.Detail.SetText(errText(err))
	}
	s.sh.focusDefault()
}

// showLookup shows a purchase and its state, as the shop has it (or the
// cache, with the shop out of reach), and arms its delivery.
func (s *scanScreen) showLookup(lk desksync.Lookup) { s.present(lk, true) }

// present shows a purchase and its state. Confirmed, it is the shop's
// answer, or the cache's when the shop is out of reach, and its delivery
// is armed; else it is the cache's copy, shown while the shop is asked: it
// is not armed, and a refusal it shows sounds only once the shop confirms
// it, or asks for longer than checkingHint.
func (s *scanScreen) present(lk desksync.Lookup, confirmed bool) {
	s.presented++
	s.lookup = lk
	s.confirmed = confirmed
	s.pending = nil
	s.crediting, s.approving = false, false
	s.dropApproval()
	s.qtyMode = false
	s.arrange()
	p := lk.Purchase
	if p == nil {
		s.reset()
		return
	}
	v := s.viewOf(lk, confirmed)
	s.view = v
	s.Code.Text = skranke.GroupCode(p.Code)
	s.Code.Refresh()
	s.setMark(s.Cache, v.cache)
	if v.cache != "" {
		s.tickAge()
	}
	s.Buyer.SetText(v.buyer)
	s.showSyncMark(lk)
	s.hushed = !confirmed
	s.setState(v.state, v.title)
	s.Detail.SetText(v.detail)
	slog.Info("purchase shown", "code", p.Code, "status", p.Status, "state", s.state, "from_cache", lk.FromCache, "confirmed", confirmed)
	if confirmed {
		s.arm()
	} else {
		s.shownAt = s.sh.now()
		seq := s.seq
		s.sh.after(checkingHint, func() {
			if seq != s.seq || s.confirmed || s.Purchase() == nil {
				return
			}
			s.setMark(s.Cache, label("scan.checking"))
			if s.hushed {
				s.hushed = false
				s.refuseShown()
			}
			slog.Info("shop slow to confirm", "code", p.Code)
		})
	}
	s.renderLines()
	s.renderHistory()
	s.updateActions()
	s.sh.focusDefault()
	if st := s.steps; st != nil {
		s.steps = nil
		st.shown = time.Now()
		s.sh.painted(st.log)
	}
	s.attendedOnScreen()
}

// refuseShown sounds the refusal tone for the state shown, if it refuses.
func (s *scanScreen) refuseShown() {
	switch s.state {
	case stateNotPayable, stateUnknown, stateOffline, stateElsewhere:
		s.sh.refuse()
	}
}

// purchaseView is every text the scan screen shows of a purchase looked
// up, so that the shop's answer can be told from the cache's copy shown
// before it as staff would: by what they read.
type purchaseView struct {
	state   scanState
	title   string // The banner.
	detail  string
	cache   string // The "cached data" warning.
	buyer   string
	sync    string // The "waiting to sync" mark.
	lines   []lineTexts
	history []string
}

// viewOf is what the screen shows of lk; confirmed as in present.
func (s *scanScreen) viewOf(lk desksync.Lookup, confirmed bool) purchaseView {
	p := lk.Purchase
	v := purchaseView{buyer: buyerInfo(lk)}
	if lk.FromCache && confirmed {
		v.cache = label("scan.cached", m{"Age": fmtAge(s.sh.now(), lk.CachedAt)})
	}
	if len(lk.Pending) > 0 {
		v.sync = label("scan.sync_waiting", m{"N": len(lk.Pending)})
	}
	switch {
	case !p.Status.Deliverable():
		v.state, v.title, v.detail = stateNotPayable, notPayableTitle(p.Status), notPayableReason(p.Status)
	case p.FullyDelivered():
		v.state, v.title, v.detail = stateDelivered, label("scan.already"), lastDeliveryText(p)
	case len(p.Deliveries) > 0:
		v.state, v.title, v.detail = stateDeliverable, label("scan.partly", m{"N": p.RemainingUnits()}), lastDeliveryText(p)
	default:
		v.state, v.title, v.detail = stateDeliverable, label("scan.deliverable"), label("scan.deliverable_detail", m{"N": p.RemainingUnits()})
	}
	for _, l := range p.Lines {
		v.lines = append(v.lines, lineTextsOf(l))
	}
	v.history = historyTexts(p)
	return v
}

func (s *scanScreen) content() fyne.CanvasObject { return s.obj }

func (s *scanScreen) load() {}

func (s *scanScreen) runeTarget() fyne.Focusable {
	if s.panelOpen() {
		return nil
	}
	return s.Entry
}

func (s *scanScreen) actionKeys() map[fyne.KeyName]*button {
	return map[fyne.KeyName]*button{fyne.KeyF6: s.ChooseQty, fyne.KeyF7: s.CreditButton, fyne.KeyF8: s.Reprint}
}

// escape closes an open panel, or clears the purchase; the scan screen stays.
func (s *scanScreen) escape() bool {
	s.cancel()
	return false
}

func (s *scanScreen) lock() { s.reset() }

// buyerInfo is the buyer and payment lines of the purchase looked up, with
// how many of this desk's deliveries of it still wait in the outbox.
func buyerInfo(lk desksync.Lookup) string {
	p := lk.Purchase
	buyer := p.Buyer.Name
	if p.Buyer.Email != "" {
		buyer += " · " + p.Buyer.Email
	}
	if p.Buyer.Phone != "" {
		buyer += " · " + p.Buyer.Phone
	}
	info := label("scan.buyer", m{"Buyer": buyer}) + "\n" +
		label("scan.payment",
			m{"Status": statusName(p.Status), "Total": p.Total().String(), "When": fmtDateTime(p.CreatedAt)})
	if c := p.CreditedAmount(); c > 0 {
		info += "\n" + label("scan.credited_amount", m{"Amount": c.String()})
	}
	if n := len(lk.Pending); n > 0 {
		info += "\n" + label("scan.pending", m{"N": n})
	}
	return info
}
