package app

import (
	"context"
	"log/slog"
	"strings"

	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

func (s *ScanScreen) openCredit() {
	if s.Purchase() == nil {
		return
	}
	if !s.d.isManager() {
		s.d.sayErr(tr("credit.manager_only", "Only a manager can credit a purchase."))
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
	amt, err := desksync.ParseMoney(s.CreditAmount.Text)
	if err != nil || amt <= 0 {
		s.d.sayErr(tr("credit.bad_amount", "Type the amount to credit, such as 299,00."))
		s.d.focus(s.CreditAmount)
		return
	}
	if max := p.Total() - p.CreditedAmount(); amt > max {
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
			if desksync.Is(err, desksync.Unknown) {
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
			s.d.sayOK(tr("credit.done", "Credited {{.Amount}} on {{.Code}}.", m{"Amount": c.Amount.String(), "Code": scanner.Group(code)}))
		}
	})
}

// awaitCreditOutcome waits for the sync to find out whether the shop took a
// credit whose answer was lost, and says so.
func (s *ScanScreen) awaitCreditOutcome(c desksync.Credit, code string) {
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
			args := m{"Amount": c.Amount.String(), "Code": scanner.Group(code)}
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
