package app

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/skranke/skranke"

	desksync "github.com/skranke/skranke/sync"
)

// creditService credits purchases, takes a manager's approval for staff
// who are not managers, and finds out what became of a credit whose answer
// was lost.
type creditService interface {
	Credit(ctx context.Context, code string, o desksync.CreditOrder, staff skranke.Staff) (skranke.Credit, error)
	// Approve checks a manager's PIN at the shop (counted like a login).
	Approve(ctx context.Context, managerID, pin string) (*desksync.Approval, error)
	// EndApproval withdraws an approval that will not be used.
	EndApproval(ctx context.Context, a *desksync.Approval)
	// Staff lists the centre's staff, to choose the approving manager.
	Staff(ctx context.Context) ([]skranke.Staff, error)
	outcomeService
}

// outcomeService tells whether the shop took an action whose answer was lost.
type outcomeService interface {
	Outcome(ctx context.Context, id string) (desksync.Outcome, error)
}

// canCredit reports whether the shop can credit the purchase shown: paid,
// something left to credit, and the shop there to confirm it (followSync
// keeps that true as the connection comes and goes).
func (s *scanScreen) canCredit() bool {
	p := s.Purchase()
	return p != nil && p.Status.Deliverable() && p.Creditable() > 0 && !s.offline() && !s.shopGone
}

// offline reports whether the purchase shown is the cache's copy because
// the shop could not be reached (not the copy shown while the shop is
// asked, which the shop's answer replaces or confirms).
func (s *scanScreen) offline() bool { return s.confirmed && s.lookup.FromCache }

// openCredit opens the credit panel: for a manager at once, for other staff
// with the approval step first, where a manager gives their PIN.
func (s *scanScreen) openCredit() {
	if s.Purchase() == nil || s.sh.currentStaff() == nil {
		return
	}
	if !s.canCredit() {
		if s.offline() || s.shopGone {
			s.sh.sayErr(label("credit.needs_shop"))
		}
		return
	}
	p := s.Purchase()
	s.dropApproval()
	rest := p.Creditable()
	s.CreditAmount.SetText(strings.TrimPrefix(rest.String(), "kr "))
	s.CreditReason.SetText("")
	s.CreditPIN.SetText("")
	s.CreditMode.SetSelected(label("credit.by_amount"))
	s.renderCreditLines()
	s.crediting = true
	s.approving = !isManager(s.sh.currentStaff())
	s.showCreditInfo()
	if s.approving {
		s.loadManagers()
	}
	s.arrange()
	if s.approving {
		s.sh.focus(s.CreditPIN)
	} else {
		s.sh.focus(s.CreditAmount)
	}
}

// showCreditInfo says what can be credited, and who approved.
func (s *scanScreen) showCreditInfo() {
	p := s.Purchase()
	if p == nil {
		return
	}
	info := label("credit.info", m{"Total": p.Total().String(), "Credited": p.CreditedAmount().String(), "Max": p.Creditable().String()})
	if s.approval != nil {
		info += " " + label("credit.approved", m{"Name": s.approval.Manager.Name})
	}
	s.creditInfo.SetText(info)
}

// loadManagers fills the approval step's list of managers.
func (s *scanScreen) loadManagers() {
	s.sh.async(func(ctx context.Context) func() {
		staff, err := s.svc.Staff(ctx)
		return func() {
			s.managers = s.managers[:0]
			for _, st := range staff {
				if st.Role == skranke.RoleManager {
					s.managers = append(s.managers, st)
				}
			}
			sort.SliceStable(s.managers, func(i, j int) bool { return s.managers[i].Name < s.managers[j].Name })
			names := make([]string, len(s.managers))
			for i, st := range s.managers {
				names[i] = st.Name
			}
			s.CreditManager.SetOptions(names)
			switch {
			case err != nil && len(names) == 0:
				s.sh.sayErr(label("credit.approve_failed", m{"Err": errText(err)}))
			case len(names) == 0:
				s.sh.sayErr(label("credit.no_managers"))
			case len(names) == 1 || s.CreditManager.SelectedIndex() < 0:
				s.CreditManager.SetSelectedIndex(0)
			}
		}
	})
}

// approve asks the shop to check the manager's PIN.
func (s *scanScreen) approve() {
	if !s.crediting || !s.approving || s.CreditApprove.Disabled() {
		return
	}
	i := s.CreditManager.SelectedIndex()
	pin := s.CreditPIN.Text
	if i < 0 || i >= len(s.managers) || pin == "" {
		s.sh.sayErr(label("credit.type_pin"))
		s.sh.focus(s.CreditPIN)
		return
	}
	manager := s.managers[i]
	staffID := s.sh.currentStaff().ID
	seq := s.seq
	setEnabled(s.CreditApprove, false)
	s.sh.async(func(ctx context.Context) func() {
		a, err := s.svc.Approve(ctx, manager.ID, pin)
		return func() {
			setEnabled(s.CreditApprove, true)
			s.CreditPIN.SetText("")
			if seq != s.seq || !s.crediting {
				// Nobody waits for it any more (the screen was cleared or locked).
				s.approval = a
				s.dropApproval()
				return
			}
			if err != nil {
				slog.Info("credit approval refused", "manager", manager.ID, "staff", staffID, "err", err)
				switch skranke.KindOf(err) {
				case skranke.Unauthorized:
					s.sh.sayErr(label("credit.wrong_pin", m{"Name": manager.Name}))
				case skranke.Locked:
					s.sh.sayErr(errText(err))
				case skranke.Unavailable:
					s.sh.sayErr(label("credit.needs_shop"))
				default:
					s.sh.sayErr(label("credit.approve_failed", m{"Err": errText(err)}))
				}
				s.sh.focus(s.CreditPIN)
				return
			}
			slog.Info("credit approved", "manager", manager.ID, "staff", staffID)
			s.approval = a
			s.approving = false
			s.showCreditInfo()
			s.arrange()
			s.sh.say(label("credit.approved", m{"Name": a.Manager.Name}))
			s.sh.focus(s.CreditAmount)
		}
	})
}

// dropApproval withdraws an approval that will not be used.
func (s *scanScreen) dropApproval() {
	if a := s.approval; a != nil {
		s.approval = nil
		s.sh.async(func(ctx context.Context) func() {
			s.svc.EndApproval(ctx, a)
			return nil
		})
	}
}

// byLines reports whether the credit panel credits lines rather than an amount.
func (s *scanScreen) byLines() bool { return s.CreditMode.Selected == label("credit.by_lines") }

// renderCreditLines builds a quantity field for each line with units left
// to credit, starting at 0.
func (s *scanScreen) renderCreditLines() {
	s.creditLines.RemoveAll()
	s.CreditQty = map[string]*entry{}
	p := s.Purchase()
	if p == nil {
		return
	}
	var pairs []any
	var qtys []*entry
	for _, l := range p.Lines {
		if l.Creditable() == 0 {
			continue
		}
		e := newEntry(s.sh, label("credit.qty_max", m{"Max": l.Creditable()}))
		e.selectAll = true
		e.SetText("0")
		e.OnChanged = func(string) { s.showLinesSum() }
		e.OnSubmitted = scanGuard(s.rd, e, s.confirmCredit)
		s.CreditQty[l.ID] = e
		qtys = append(qtys, e)
		pairs = append(pairs, l.Name+" · "+l.Total().String()+" ("+label("credit.qty_max", m{"Max": l.Creditable()})+")", e)
	}
	for i, e := range qtys {
		e.onArrow = func(delta int) { s.sh.focus(qtys[(i+delta+len(qtys))%len(qtys)]) }
	}
	// Many lines scroll, so that the panel's buttons stay on screen.
	grid := formGrid(pairs...)
	var lines fyne.CanvasObject = grid
	if h := grid.MinSize().Height; h > creditLinesHeight {
		lines = minHeight(container.NewVScroll(grid), creditLinesHeight)
	}
	s.creditLines.Add(lines)
	s.creditLines.Add(s.linesSum)
	s.showLinesSum()
}

// creditLinesHeight is the most height the quantity fields take before they
// scroll.
const creditLinesHeight = 150

// chosenUnits reads the quantity fields; bad names the first bad field.
func (s *scanScreen) chosenUnits() (units map[string]int, bad *skranke.Line) {
	units = map[string]int{}
	for _, l := range s.Purchase().Lines {
		e := s.CreditQty[l.ID]
		if e == nil {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(e.Text))
		if strings.TrimSpace(e.Text) == "" {
			n, err = 0, nil
		}
		if err != nil || n < 0 || n > l.Creditable() {
			l := l
			return nil, &l
		}
		if n > 0 {
			units[l.ID] = n
		}
	}
	return units, nil
}

// showLinesSum says what the chosen lines give back.
func (s *scanScreen) showLinesSum() {
	p := s.Purchase()
	if p == nil {
		return
	}
	units, bad := s.chosenUnits()
	sum := skranke.Money(0)
	if bad == nil && len(units) > 0 {
		if _, total, err := p.CreditLines(units); err == nil {
			sum = total
		}
	}
	s.linesSum.SetText(label("credit.lines_sum", m{"Amount": sum.String()}))
}

// setCreditMode shows the amount field or the line quantities.
func (s *scanScreen) setCreditMode(string) {
	show(s.amountForm, !s.byLines())
	show(s.creditLines, s.byLines())
	if s.crediting && !s.approving {
		s.sh.focus(s.focusTarget())
	}
}

// creditFocus is where the keyboard goes in the credit panel.
func (s *scanScreen) creditFocus() fyne.Focusable {
	switch {
	case s.approving:
		return s.CreditPIN
	case s.byLines():
		for _, l := range s.Purchase().Lines {
			if e := s.CreditQty[l.ID]; e != nil {
				return e
			}
		}
	case s.CreditAmount.Text == "":
		return s.CreditAmount
	}
	return s.CreditReason
}

func (s *scanScreen) confirmCredit() {
	p := s.Purchase()
	if p == nil || !s.crediting || s.approving || s.CreditConfirm.Disabled() {
		return
	}
	if !isManager(s.sh.currentStaff()) && s.approval == nil {
		s.approving = true
		s.arrange()
		s.sh.sayErr(label("credit.type_pin"))
		s.sh.focus(s.CreditPIN)
		return
	}
	o := desksync.CreditOrder{Reason: strings.TrimSpace(s.CreditReason.Text)}
	if s.byLines() {
		units, bad := s.chosenUnits()
		switch {
		case bad != nil:
			s.sh.sayErr(label("credit.bad_qty", m{"Line": bad.Name, "Max": bad.Creditable()}))
			s.sh.focus(s.CreditQty[bad.ID])
			return
		case len(units) == 0:
			s.sh.sayErr(label("credit.choose_units"))
			s.sh.focus(s.creditFocus())
			return
		}
		if _, sum, err := p.CreditLines(units); err != nil {
			s.sh.sayErr(label("credit.too_much", m{"Max": p.Creditable().String()}))
			return
		} else if sum <= 0 {
			s.sh.sayErr(label("credit.choose_units"))
			return
		}
		o.Units = units
	} else {
		amt, err := skranke.ParseMoney(s.CreditAmount.Text)
		if err != nil || amt <= 0 {
			s.sh.sayErr(label("credit.bad_amount"))
			s.sh.focus(s.CreditAmount)
			return
		}
		if max := p.Creditable(); amt > max {
			s.sh.sayErr(label("credit.too_much", m{"Max": max.String()}))
			return
		}
		o.Amount = amt
	}
	if o.Reason == "" {
		s.sh.sayErr(label("credit.need_reason"))
		s.sh.focus(s.CreditReason)
		return
	}
	// The approval serves this one credit, whatever its outcome.
	o.Approval, s.approval = s.approval, nil
	staff := *s.sh.currentStaff()
	code := p.Code
	seq := s.seq
	setEnabled(s.CreditConfirm, false)
	s.sh.async(func(ctx context.Context) func() {
		c, err := s.svc.Credit(ctx, code, o, staff)
		var lk desksync.Lookup
		var lerr error
		if err == nil {
			lk, lerr = s.svc.Lookup(ctx, code)
		}
		return func() {
			setEnabled(s.CreditConfirm, true)
			if skranke.KindOf(err) == skranke.Unknown {
				slog.Info("credit unanswered", "code", code, "staff", staff.ID, "err", err)
				s.crediting, s.approving = false, false // No blind second try: the sync settles it.
				s.arrange()
				s.sh.focusDefault() // Off the hidden credit fields, back to scanning.
				s.sh.sayErr(label("credit.checking"))
				s.awaitCreditOutcome(c, code)
				return
			}
			if err != nil {
				slog.Info("credit refused", "code", code, "staff", staff.ID, "err", err)
				if seq == s.seq && s.crediting && !isManager(&staff) {
					s.approving = true // A new credit needs a new approval.
					s.arrange()
					s.sh.focus(s.CreditPIN)
				}
				if skranke.KindOf(err) == skranke.Unavailable && !desksync.ShopBusy(err) {
					s.sh.sayErr(label("credit.needs_shop"))
					return
				}
				s.sh.sayErr(label("credit.failed", m{"Err": errText(err)}))
				return
			}
			slog.Info("credited", "code", code, "credit", c.ID, "amount", int64(c.Amount), "lines", len(c.Lines),
				"staff", staff.ID, "approved_by", c.ApprovedBy)
			after := p
			if lerr == nil && lk.Purchase != nil {
				after = lk.Purchase
			}
			if seq == s.seq {
				s.crediting, s.approving = false, false
				s.arrange()
				if lerr == nil {
					s.showLookup(lk)
				}
				s.sh.focusDefault()
			}
			s.sh.sayOK(label("credit.done", m{"Amount": c.Amount.String(), "Code": skranke.GroupCode(code)}))
			s.paper.print(label("print.credit"), s.paper.letterhead().creditSlip(after, c, staff))
		}
	})
}

// awaitCreditOutcome waits for the sync to find out whether the shop took a
// credit whose answer was lost, and says so.
func (s *scanScreen) awaitCreditOutcome(c skranke.Credit, code string) {
	s.sh.await(func(ctx context.Context) func() {
		o, err := s.svc.Outcome(ctx, c.ID)
		if err != nil || !o.Settled {
			if err != nil {
				slog.Warn("credit outcome", "id", c.ID, "err", err)
			}
			return nil
		}
		lk, lerr := s.svc.Cached(ctx, code)
		return func() {
			args := m{"Amount": c.Amount.String(), "Code": skranke.GroupCode(code)}
			if o.Done {
				s.sh.sayOK(label("credit.settled_done", args))
			} else {
				s.sh.sayErr(label("credit.settled_not_done", args))
			}
			if lerr == nil && lk.Purchase != nil && s.Purchase() != nil && s.Purchase().Code == code {
				s.showLookup(lk)
			}
		}
	})
}

// newCreditPanel builds the credit panel: for staff who are not managers
// first the approval step (a manager's name and PIN), then what to credit
// (an amount, with the rest of the purchase proposed, or lines and
// quantities) and the reason, which is required.
func (s *scanScreen) newCreditPanel() fyne.CanvasObject {
	s.CreditManager = widget.NewSelect(nil, nil)
	s.CreditManager.PlaceHolder = label("credit.manager_pick")
	s.CreditManager.OnChanged = func(string) { s.sh.focus(s.CreditPIN) }
	s.CreditPIN = newEntry(s.sh, label("credit.pin"))
	s.CreditPIN.Password = true
	s.CreditPIN.OnSubmitted = func(string) { s.approve() }
	s.CreditPIN.onArrow = func(delta int) {
		if n := len(s.managers); n > 0 {
			s.CreditManager.SetSelectedIndex((max(s.CreditManager.SelectedIndex(), 0) + delta + n) % n)
		}
	}
	s.CreditApprove = newButton(s.sh, label("credit.approve"), theme.LoginIcon(), s.approve)
	s.CreditApprove.Importance = widget.HighImportance
	approveTitle := bigText(22, true)
	approveTitle.Text = label("credit.approve_title")
	approveHelp := widget.NewLabel(label("credit.approve_help"))
	approveHelp.Wrapping = fyne.TextWrapWord
	s.approvePane = container.NewVBox(approveTitle, approveHelp,
		formGrid(label("credit.manager_label"), s.CreditManager, label("credit.pin_label"), big(s.CreditPIN, 24)))

	s.CreditAmount = newEntry(s.sh, label("credit.amount"))
	s.CreditAmount.selectAll = true
	s.CreditReason = newEntry(s.sh, label("credit.reason"))
	s.CreditAmount.OnSubmitted = scanGuard(s.rd, s.CreditAmount, func() { s.sh.focus(s.CreditReason) })
	s.CreditReason.OnSubmitted = func(string) { s.confirmCredit() }
	s.CreditMode = widget.NewRadioGroup([]string{label("credit.by_amount"), label("credit.by_lines")}, nil)
	s.CreditMode.Horizontal = true
	s.CreditMode.Required = true
	s.linesSum = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.creditLines = container.NewVBox()
	s.amountForm = formGrid(label("credit.amount_label"), s.CreditAmount)
	s.CreditMode.OnChanged = s.setCreditMode
	s.CreditMode.SetSelected(label("credit.by_amount"))
	s.creditForm = container.NewVBox(
		formGrid(label("credit.mode_label"), s.CreditMode),
		s.amountForm, s.creditLines,
		formGrid(label("credit.reason_label"), s.CreditReason))

	s.CreditConfirm = newButton(s.sh, label("credit.confirm"), theme.ConfirmIcon(), s.confirmCredit)
	s.CreditConfirm.Importance = widget.DangerImportance
	s.CreditCancel = newButton(s.sh, label("credit.cancel"), theme.CancelIcon(), s.cancel)
	creditTitle := bigText(24, true)
	creditTitle.Room = 300
	creditTitle.Text = label("credit.title")
	s.creditInfo = widget.NewLabel("")
	s.creditInfo.Wrapping = fyne.TextWrapWord
	s.creditButtons = container.NewGridWithColumns(2, s.CreditCancel, s.CreditConfirm)
	approveCancel := newButton(s.sh, label("credit.cancel"), theme.CancelIcon(), s.cancel)
	s.approveButtons = container.NewGridWithColumns(2, approveCancel, s.CreditApprove)
	panel := container.NewVBox(
		container.NewBorder(nil, nil, container.NewCenter(creditTitle), nil, s.creditInfo),
		s.approvePane, s.creditForm,
		big(container.NewStack(s.creditButtons, s.approveButtons), 16))
	panel.Hide()
	return panel
}

// arrangeCredit shows the approval step or the credit form.
func (s *scanScreen) arrangeCredit() {
	show(s.approvePane, s.approving)
	show(s.approveButtons, s.approving)
	show(s.creditForm, !s.approving)
	show(s.creditButtons, !s.approving)
}
