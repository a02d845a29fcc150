package app

import (
	"context"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/skranke/skranke"

	desksync "github.com/skranke/skranke/sync"
)

// creditService credits purchases and finds out what became of a credit
// whose answer was lost.
type creditService interface {
	Credit(ctx context.Context, code string, amount skranke.Money, reason string, staff skranke.Staff) (skranke.Credit, error)
	outcomeService
}

// outcomeService tells whether the shop took an action whose answer was lost.
type outcomeService interface {
	Outcome(ctx context.Context, id string) (desksync.Outcome, error)
}

func (s *scanScreen) openCredit() {
	if s.Purchase() == nil {
		return
	}
	if !isManager(s.sh.currentStaff()) {
		s.sh.sayErr(label("credit.manager_only"))
		return
	}
	p := s.Purchase()
	rest := p.Creditable()
	s.CreditAmount.SetText(strings.TrimPrefix(rest.String(), "kr "))
	s.CreditReason.SetText("")
	s.creditInfo.SetText(label("credit.info",
		m{"Total": p.Total().String(), "Credited": p.CreditedAmount().String(), "Max": rest.String()}))
	s.crediting = true
	s.arrange()
	s.sh.focus(s.CreditAmount)
}

func (s *scanScreen) confirmCredit() {
	p := s.Purchase()
	if p == nil || !s.crediting || s.CreditConfirm.Disabled() {
		return
	}
	if !isManager(s.sh.currentStaff()) {
		s.sh.sayErr(label("credit.manager_only"))
		return
	}
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
	reason := strings.TrimSpace(s.CreditReason.Text)
	if reason == "" {
		s.sh.sayErr(label("credit.need_reason"))
		s.sh.focus(s.CreditReason)
		return
	}
	staff := *s.sh.currentStaff()
	code := p.Code
	seq := s.seq
	setEnabled(s.CreditConfirm, false)
	s.sh.async(func(ctx context.Context) func() {
		c, err := s.svc.Credit(ctx, code, amt, reason, staff)
		var lk desksync.Lookup
		var lerr error
		if err == nil {
			lk, lerr = s.svc.Lookup(ctx, code)
		}
		return func() {
			setEnabled(s.CreditConfirm, true)
			if skranke.KindOf(err) == skranke.Unknown {
				slog.Info("credit unanswered", "code", code, "staff", staff.ID, "err", err)
				s.crediting = false // No blind second try: the sync settles it.
				s.arrange()
				s.sh.focusDefault() // Off the hidden credit fields, back to scanning.
				s.sh.sayErr(label("credit.checking"))
				s.awaitCreditOutcome(c, code)
				return
			}
			if err != nil {
				slog.Info("credit refused", "code", code, "staff", staff.ID, "err", err)
				s.sh.sayErr(label("credit.failed", m{"Err": errText(err)}))
				return
			}
			slog.Info("credited", "code", code, "credit", c.ID, "amount", int64(c.Amount), "staff", staff.ID)
			if seq == s.seq {
				s.crediting = false
				s.arrange()
				if lerr == nil {
					s.showLookup(lk)
				}
				s.sh.focusDefault()
			}
			s.sh.sayOK(label("credit.done", m{"Amount": c.Amount.String(), "Code": skranke.GroupCode(code)}))
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

// newCreditPanel builds the credit panel (managers): the amount, with the
// rest of the purchase proposed, and the reason, which is required.
func (s *scanScreen) newCreditPanel() fyne.CanvasObject {
	s.CreditAmount = newEntry(s.sh, label("credit.amount"))
	s.CreditAmount.selectAll = true
	s.CreditReason = newEntry(s.sh, label("credit.reason"))
	s.CreditAmount.OnSubmitted = scanGuard(s.rd, s.CreditAmount, func() { s.sh.focus(s.CreditReason) })
	s.CreditReason.OnSubmitted = func(string) { s.confirmCredit() }
	s.CreditConfirm = newButton(s.sh, label("credit.confirm"), theme.ConfirmIcon(), s.confirmCredit)
	s.CreditConfirm.Importance = widget.DangerImportance
	s.CreditCancel = newButton(s.sh, label("credit.cancel"), theme.CancelIcon(), s.cancel)
	creditTitle := bigText(24, true)
	creditTitle.Room = 300
	creditTitle.Text = label("credit.title")
	s.creditInfo = widget.NewLabel("")
	s.creditInfo.Wrapping = fyne.TextWrapWord
	panel := container.NewVBox(
		container.NewBorder(nil, nil, container.NewCenter(creditTitle), nil, s.creditInfo),
		formGrid(
			label("credit.amount_label"), s.CreditAmount,
			label("credit.reason_label"), s.CreditReason),
		big(container.NewGridWithColumns(2, s.CreditCancel, s.CreditConfirm), 16))
	panel.Hide()
	return panel
}
