package app

import (
	"context"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

// creditService credits purchases and finds out what became of a credit
// whose answer was lost.
type creditService interface {
	Credit(ctx context.Context, code string, amount desksync.Money, reason string, staff desksync.Staff) (desksync.Credit, error)
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
		s.sh.sayErr(tr("credit.manager_only", "Only a manager can credit a purchase."))
		return
	}
	p := s.Purchase()
	rest := p.Total() - p.CreditedAmount()
	s.CreditAmount.SetText(strings.TrimPrefix(rest.String(), "kr "))
	s.CreditReason.SetText("")
	s.creditInfo.SetText(tr("credit.info", "Total {{.Total}} · credited before {{.Credited}} · at most {{.Max}} can be credited.",
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
		s.sh.sayErr(tr("credit.manager_only", "Only a manager can credit a purchase."))
		return
	}
	amt, err := desksync.ParseMoney(s.CreditAmount.Text)
	if err != nil || amt <= 0 {
		s.sh.sayErr(tr("credit.bad_amount", "Type the amount to credit, such as 299,00."))
		s.sh.focus(s.CreditAmount)
		return
	}
	if max := p.Total() - p.CreditedAmount(); amt > max {
		s.sh.sayErr(tr("credit.too_much", "At most {{.Max}} can be credited.", m{"Max": max.String()}))
		return
	}
	reason := strings.TrimSpace(s.CreditReason.Text)
	if reason == "" {
		s.sh.sayErr(tr("credit.need_reason", "Write why the purchase is credited."))
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
			if desksync.Is(err, desksync.Unknown) {
				slog.Info("credit unanswered", "code", code, "staff", staff.ID, "err", err)
				s.crediting = false // No blind second try: the sync settles it.
				s.arrange()
				s.sh.focusDefault() // Off the hidden credit fields, back to scanning.
				s.sh.sayErr(tr("credit.checking", "The shop did not answer; checking whether the purchase was credited…"))
				s.awaitCreditOutcome(c, code)
				return
			}
			if err != nil {
				slog.Info("credit refused", "code", code, "staff", staff.ID, "err", err)
				s.sh.sayErr(tr("credit.failed", "Not credited: {{.Err}}", m{"Err": errText(err)}))
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
			s.sh.sayOK(tr("credit.done", "Credited {{.Amount}} on {{.Code}}.", m{"Amount": c.Amount.String(), "Code": scanner.Group(code)}))
		}
	})
}

// awaitCreditOutcome waits for the sync to find out whether the shop took a
// credit whose answer was lost, and says so.
func (s *scanScreen) awaitCreditOutcome(c desksync.Credit, code string) {
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
			args := m{"Amount": c.Amount.String(), "Code": scanner.Group(code)}
			if o.Done {
				s.sh.sayOK(tr("credit.settled_done", "Settled: the shop did credit {{.Amount}} on {{.Code}}.", args))
			} else {
				s.sh.sayErr(tr("credit.settled_not_done", "Settled: {{.Code}} was not credited; credit it again if it should be.", args))
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
	s.CreditAmount = newEntry(s.sh, tr("credit.amount", "Amount, e.g. 299,00"))
	s.CreditAmount.selectAll = true
	s.CreditReason = newEntry(s.sh, tr("credit.reason", "Reason (required)"))
	s.CreditAmount.OnSubmitted = scanGuard(s.rd, s.CreditAmount, func() { s.sh.focus(s.CreditReason) })
	s.CreditReason.OnSubmitted = func(string) { s.confirmCredit() }
	s.CreditConfirm = newButton(s.sh, tr("credit.confirm", "Credit (Enter)"), theme.ConfirmIcon(), s.confirmCredit)
	s.CreditConfirm.Importance = widget.DangerImportance
	s.CreditCancel = newButton(s.sh, tr("credit.cancel", "Cancel (Esc)"), theme.CancelIcon(), s.cancel)
	creditTitle := bigText(24, true)
	creditTitle.Text = tr("credit.title", "Credit purchase (manager)")
	s.creditInfo = widget.NewLabel("")
	s.creditInfo.Wrapping = fyne.TextWrapWord
	panel := container.NewVBox(
		container.NewBorder(nil, nil, container.NewCenter(creditTitle), nil, s.creditInfo),
		formGrid(
			tr("credit.amount_label", "Amount"), s.CreditAmount,
			tr("credit.reason_label", "Reason"), s.CreditReason),
		big(container.NewGridWithColumns(2, s.CreditCancel, s.CreditConfirm), 16))
	panel.Hide()
	return panel
}
