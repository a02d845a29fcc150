package app

import (
	"context"
	"errors"
	"github.com/skranke/skranke/scanner"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// cardScreen shows a gift card: balance, expiry, status and chain, and
// redeems it in whole or in part.
type cardScreen struct {
	// Entry takes a gift card code, scanned or typed.
	Entry *scanEntry
	// State is the large state text.
	State *fitText
	// Balance is the card's balance, large.
	Balance *fitText
	// Code is the card's code, grouped.
	Code *fitText
	// Cache is shown when the card came from the cache, with its age.
	Cache *fitText
	// Detail has expiry, status and the initial amount.
	Detail *widget.Label
	// Chain lists the parent and remainder cards.
	Chain *fyne.Container
	// Amount is the amount to use; Enter redeems it.
	Amount *entry

	RedeemAll *button // Use the whole balance.
	Redeem    *button // Use the amount typed.
	Reprint   *button // Print the card again, marked KOPI.

	sh        shell
	svc       cardService
	paper     printing
	seq       int  // Bumped on every clear, so late answers to an old scan are dropped.
	redeeming bool // A redemption is on its way to the shop.
	// confirm is the amount staff were asked to confirm ("Use kr 500,00?"),
	// or 0: nothing is taken from a card without a yes.
	confirm skranke.Money
	// unsettled holds the cards whose last redemption's outcome is not
	// known yet; they cannot be used again until it is.
	unsettled map[string]bool
	// unprinted is the remainder card shown because it did not print
	// (remainderUnprinted): F8 prints it as the original.
	unprinted string
	lookup    desksync.CardLookup
	banner    *banner           // Holds State.
	readArea  fyne.CanvasObject // The chain at readText.
	obj       fyne.CanvasObject
}

// cardService is what the gift card screen asks of the desk's sync.
type cardService interface {
	Card(ctx context.Context, code string) (desksync.CardLookup, error)
	Redeem(ctx context.Context, code string, amount skranke.Money, staff skranke.Staff) (desksync.RedeemResult, error)
	outcomeService
}

func newCardScreen(sh shell, svc cardService, paper printing, rd reader) *cardScreen {
	c := &cardScreen{sh: sh, svc: svc, paper: paper}
	c.Entry = newScanEntry(sh, func(e scanner.Entry) {
		if strings.TrimSpace(e.Text) == "" {
			switch {
			case c.confirm > 0:
				c.redeem(c.confirm) // Enter: yes.
			case c.Card() != nil:
				sh.focus(c.Amount)
			}
			return
		}
		rd.handleEntry(e)
	})
	c.Entry.SetPlaceHolder(label("cards.placeholder"))
	c.banner = newBanner(36)
	c.State = c.banner.Text
	c.Balance = bigText(56, true)
	c.Balance.Alignment = fyne.TextAlignCenter
	c.Code = bigText(30, true)
	c.Code.Room = 480 // Centred in its half: the code keeps its size.
	c.Code.TextStyle = fyne.TextStyle{Monospace: true}
	c.Code.Alignment = fyne.TextAlignCenter
	c.Cache = bigText(22, true)
	c.Cache.Color = colWarn
	c.Cache.Alignment = fyne.TextAlignCenter
	c.Detail = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	c.Detail.Wrapping = fyne.TextWrapWord
	c.Chain = container.NewVBox()
	c.Amount = newEntry(sh, label("cards.amount"))
	c.Amount.OnSubmitted = scanGuard(rd, c.Amount, c.redeemTyped)
	c.RedeemAll = newButton(sh, label("cards.use_all"), theme.ConfirmIcon(), c.redeemAll)
	c.RedeemAll.Importance = widget.SuccessImportance
	c.Redeem = newButton(sh, label("cards.use"), theme.ConfirmIcon(), c.redeemTyped)
	c.Redeem.Importance = widget.HighImportance
	c.Reprint = newButton(sh, label("cards.reprint"), theme.DocumentPrintIcon(), c.reprint)

	c.readArea = readSized(c.Chain)
	prompt := widget.NewLabelWithStyle(label("cards.label"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// The balance and the code side by side: both large, in less height.
	top := container.NewVBox(container.NewBorder(nil, nil, container.NewCenter(prompt), nil, big(c.Entry, 30)),
		c.banner.obj, container.NewGridWithColumns(2, c.Balance, container.NewCenter(c.Code)), c.Cache, c.Detail)
	redeem := container.NewVBox(
		formGrid(label("cards.amount_label"), big(c.Amount, 24)),
		big(container.NewGridWithColumns(3, c.RedeemAll, c.Redeem, c.Reprint), 16))
	// The chain and its redemptions grow with every partial use: they
	// scroll, while the balance and the buttons stay put.
	c.obj = container.NewBorder(top, redeem, nil, nil, minHeight(container.NewVScroll(c.readArea), linesMinHeight))
	c.clear()
	return c
}

// Card returns the card shown, or nil.
func (c *cardScreen) Card() *skranke.Card { return c.lookup.Card }

func (c *cardScreen) focusTarget() fyne.Focusable { return c.Entry }

func (c *cardScreen) clear() {
	c.seq++
	c.unprinted = ""
	c.lookup = desksync.CardLookup{}
	c.confirm = 0
	c.banner.set(label("cards.ready"), colReady)
	for _, t := range []*fitText{c.Balance, c.Code} {
		t.Text = ""
		t.Refresh()
	}
	setText(c.Cache, "")
	c.Detail.SetText("")
	c.Chain.RemoveAll()
	c.Amount.SetText("")
	c.updateActions()
}

func (c *cardScreen) updateActions() {
	card := c.Card()
	usable := card != nil && !c.lookup.FromCache && card.Usable(c.sh.now()) && c.sh.currentStaff() != nil && !c.unsettled[card.Code]
	setEnabled(c.RedeemAll, usable)
	setEnabled(c.Redeem, usable)
	setEnabled(c.Reprint, card != nil && card.Status == skranke.CardActive)
}

// Lookup finds the gift card with code and shows it.
func (c *cardScreen) Lookup(code string) {
	c.clear()
	c.banner.set(label("scan.looking"), colReady)
	c.Code.Text = skranke.GroupCode(code)
	c.Code.Refresh()
	seq := c.seq
	c.sh.async(func(ctx context.Context) func() {
		lk, err := c.svc.Card(ctx, code)
		return func() {
			if seq != c.seq {
				return
			}
			if err != nil {
				slog.Info("gift card lookup failed", "code", code, "err", err)
				c.sh.refuse()
				var ee *skranke.ElsewhereError
				switch skranke.KindOf(err) {
				case skranke.NotFound:
					if errors.As(err, &ee) {
						c.banner.set(label("cards.elsewhere"), colElsewhere)
						c.Detail.SetText(elsewhereText("cards.elsewhere_detail", skranke.GroupCode(code), ee.Centre))
						break
					}
					c.banner.set(label("cards.unknown"), colBad)
					c.Detail.SetText(label("cards.unknown_detail", m{"Code": skranke.GroupCode(code)}))
				case skranke.Unavailable:
					c.banner.set(label("cards.offline"), colWarn)
					c.Detail.SetText(label("cards.offline_detail"))
				default:
					c.banner.set(label("scan.error"), colBad)
					c.Detail.SetText(errText(err))
				}
				return
			}
			c.show(lk)
		}
	})
}

func (c *cardScreen) show(lk desksync.CardLookup) {
	c.lookup = lk
	c.Amount.SetText("") // Never leave an amount that a second Enter would use again.
	card := lk.Card
	if card == nil {
		c.clear()
		return
	}
	slog.Info("gift card shown", "code", card.Code, "status", card.Status, "from_cache", lk.FromCache)
	now := c.sh.now()
	c.Code.Text = skranke.GroupCode(card.Code)
	c.Code.Refresh()
	c.Balance.Text = card.Balance.String()
	// A balance that cannot be used is shown faint, never as if it could.
	c.Balance.Color = theme.Color(theme.ColorNameForeground)
	if !card.Usable(now) {
		c.Balance.Color = theme.Color(theme.ColorNameDisabled)
	}
	c.Balance.Refresh()
	switch {
	case card.Status == skranke.CardVoided:
		c.banner.set(label("cards.voided"), colBad)
		c.sh.refuse()
	case card.Status == skranke.CardSpent || card.Balance <= 0:
		c.banner.set(label("cards.spent"), colSpent)
		c.sh.refuse()
	case !now.Before(card.ExpiresAt):
		c.banner.set(label("cards.expired"), colExpired)
		c.sh.refuse()
	case lk.FromCache:
		c.banner.set(label("cards.offline_valid"), colWarn)
	default:
		c.banner.set(label("cards.valid"), colOK)
	}
	detail := label("cards.detail",
		m{"Status": cardStatusName(card.Status), "Expires": fmtDate(card.ExpiresAt), "Issued": fmtDate(card.IssuedAt), "Initial": card.InitialAmount.String()})
	if lk.FromCache {
		// The large text stays short enough for a small screen; the
		// consequence goes with the details, which wrap.
		setText(c.Cache, label("cards.cached_short", m{"Age": fmtAge(now, lk.CachedAt)}))
		detail = label("cards.offline_note") + "\n" + detail
	} else {
		setText(c.Cache, "")
	}
	c.Detail.SetText(detail)
	c.Chain.RemoveAll()
	if len(lk.Chain) > 1 {
		c.Chain.Add(boldLabel(label("cards.chain")))
		for _, k := range lk.Chain {
			line := skranke.GroupCode(k.Code) + " · " + cardStatusName(k.Status) + " · " + k.Balance.String()
			if k.Code == card.Code {
				line = "→ " + line
			}
			if k.ParentCode != "" {
				line += " · " + label("cards.parent", m{"Code": skranke.GroupCode(k.ParentCode)})
			}
			c.Chain.Add(rowLabel(line))
		}
	}
	if len(lk.Redemptions) > 0 {
		c.Chain.Add(boldLabel(label("cards.redemptions")))
		for _, r := range lk.Redemptions {
			who := r.StaffName
			if who == "" {
				who = r.StaffID
			}
			c.Chain.Add(rowLabel(fmtDateTime(r.At) + " · " + skranke.GroupCode(r.CardCode) + " · " + r.Amount.String() + " · " + who))
		}
	}
	readSized(c.Chain) // The new rows take the readable text size.
	c.updateActions()
	if c.Redeem.Disabled() {
		c.sh.focus(c.Entry) // Nothing to redeem: ready for the next card.
	} else {
		c.sh.focus(c.Amount)
	}
}

func cardStatusName(s skranke.GiftCardStatus) string {
	switch s {
	case skranke.CardActive:
		return label("cards.st_active")
	case skranke.CardVoided:
		return label("cards.st_voided")
	case skranke.CardSpent:
		return label("cards.st_spent")
	}
	return string(s)
}

func (c *cardScreen) redeemAll() {
	if card := c.Card(); card != nil {
		c.ask(card.Balance)
	}
}

// ask puts the amount to use to staff, large: "Use kr 500,00?". Enter (or
// the same button or F-key again) says yes, Esc no. A scan in between
// opens the next card and forgets the question.
func (c *cardScreen) ask(amt skranke.Money) {
	if c.confirm == amt && amt > 0 {
		c.redeem(amt)
		return
	}
	if !c.mayRedeem() {
		return
	}
	c.confirm = amt
	slog.Info("gift card use asked", "code", c.Card().Code, "amount", int64(amt))
	c.banner.set(label("cards.confirm", m{"Amount": amt.String()}), colWarn)
	c.Detail.SetText(label("cards.confirm_detail"))
	c.sh.focus(c.Entry) // Where Enter says yes.
}

// cancelAsk withdraws the question; the card stays on screen.
func (c *cardScreen) cancelAsk() {
	c.confirm = 0
	c.show(c.lookup)
	c.sh.focus(c.Amount)
}

// mayRedeem reports whether the card shown can be used now, and says why
// not when it cannot.
func (c *cardScreen) mayRedeem() bool {
	card := c.Card()
	if card == nil || c.sh.currentStaff() == nil || c.redeeming {
		return false
	}
	if c.unsettled[card.Code] {
		c.sh.sayErr(label("cards.still_checking"))
		return false
	}
	if c.lookup.FromCache {
		c.sh.sayErr(label("cards.offline_refused",
			m{"Balance": card.Balance.String(), "Age": fmtAge(c.sh.now(), c.lookup.CachedAt)}))
		return false
	}
	return true
}

func (c *cardScreen) redeemTyped() {
	card := c.Card()
	if card == nil {
		return
	}
	amt, err := skranke.ParseMoney(c.Amount.Text)
	if err != nil || amt <= 0 {
		c.sh.sayErr(label("cards.bad_amount"))
		c.sh.focus(c.Amount)
		return
	}
	if amt > card.Balance {
		c.sh.sayErr(label("cards.too_much", m{"Balance": card.Balance.String()}))
		c.sh.focus(c.Amount)
		return
	}
	c.ask(amt)
}

func (c *cardScreen) redeem(amt skranke.Money) {
	c.confirm = 0
	if !c.mayRedeem() {
		return
	}
	card := c.Card()
	staff := *c.sh.currentStaff()
	code := card.Code
	seq := c.seq
	c.redeeming = true // One redemption at a time: a second Enter must not use the card twice.
	setEnabled(c.Redeem, false)
	setEnabled(c.RedeemAll, false)
	c.sh.async(func(ctx context.Context) func() {
		res, err := c.svc.Redeem(ctx, code, amt, staff)
		return func() {
			c.redeeming = false
			if err != nil {
				slog.Info("redemption refused", "code", code, "staff", staff.ID, "err", err)
				switch {
				case skranke.KindOf(err) == skranke.Unknown:
					// The shop may have taken it before the line went down:
					// no blind second try; the sync settles it.
					c.sh.sayErr(label("cards.checking"))
					c.awaitOutcome(res.Redemption.ID, code, amt, staff)
					if seq == c.seq {
						c.Lookup(code)
					}
				case desksync.ShopBusy(err):
					// Not charged: the shop asked the desk to wait.
					c.sh.sayErr(label("cards.failed", m{"Err": errText(err)}))
				case skranke.KindOf(err) == skranke.Unavailable:
					c.sh.sayErr(label("cards.no_answer"))
					if seq == c.seq {
						c.Lookup(code)
					}
				default:
					c.sh.sayErr(label("cards.failed", m{"Err": errText(err)}))
				}
				c.updateActions()
				return
			}
			slog.Info("gift card redeemed", "code", code, "amount", int64(amt), "staff", staff.ID, "remainder", res.Remainder != nil)
			// The card is cleared after use, unless another was scanned
			// meanwhile: the next customer never finds this one armed.
			if seq == c.seq {
				c.clear()
				c.usedBanner(res)
			}
			c.redeemed(res, staff)
			c.sh.focus(c.Entry)
		}
	})
}

// usedBanner says in the banner what the redemption asks of staff: to hand
// over the new card that is printing, or that the card is used up.
func (c *cardScreen) usedBanner(res desksync.RedeemResult) {
	if res.Remainder != nil {
		c.banner.set(label("cards.banner_partial", m{"Rest": res.Remainder.Balance.String()}), colOK)
		return
	}
	c.banner.set(label("cards.banner_whole", m{"Amount": res.Redemption.Amount.String()}), colDone)
}

// redeemed tells staff what a redemption did and prints the void slip and,
// on partial use, the new card.
func (c *cardScreen) redeemed(res desksync.RedeemResult, staff skranke.Staff) {
	amt := res.Redemption.Amount
	if res.Remainder != nil {
		rem := *res.Remainder
		c.sh.sayOK(label("cards.partial_done",
			m{"Amount": amt.String(), "Rest": rem.Balance.String()}))
		// The new card is the customer's money: when it did not print,
		// its code must not be lost with the paper.
		c.paper.printThen(label("print.void_and_card"), func(err error) {
			// The void slip goes first: the card may be on paper in part
			// only when the slip went out whole and the card's job broke
			// off after its first bytes. F8 then prints it as a copy: two
			// originals would be two bearer cards with one code.
			c.remainderUnprinted(rem, printedBefore(err) == 1 && !neverPrinted(err))
		},
			c.paper.letterhead().voidSlip(res.Card, res.Remainder, res.Redemption, staff), c.paper.letterhead().giftCard(rem, false))
	} else {
		c.sh.sayOK(label("cards.whole_done", m{"Amount": amt.String()}))
		c.paper.print(label("print.void"), c.paper.letterhead().voidSlip(res.Card, nil, res.Redemption, staff))
	}
}

// awaitOutcome waits for the sync to find out whether the shop took a
// redemption whose answer was lost, and then says so (and prints what a
// redemption prints). Until then the card cannot be used again here.
func (c *cardScreen) awaitOutcome(id, code string, amt skranke.Money, staff skranke.Staff) {
	if c.unsettled == nil {
		c.unsettled = map[string]bool{}
	}
	c.unsettled[code] = true
	c.sh.await(func(ctx context.Context) func() {
		o, err := c.svc.Outcome(ctx, id)
		if err != nil || !o.Settled {
			if err != nil {
				slog.Warn("redemption outcome", "id", id, "err", err)
			}
			return nil
		}
		return func() {
			delete(c.unsettled, code)
			grouped := skranke.GroupCode(code)
			if o.Done && o.Redemption != nil {
				slog.Info("lost redemption was taken by the shop", "code", code, "id", id)
				c.redeemed(*o.Redemption, staff)
				c.sh.sayFirst(label("cards.settled_charged", m{"Code": grouped}))
			} else {
				slog.Info("lost redemption never reached the shop", "code", code, "id", id)
				c.sh.sayErr(label("cards.settled_not_charged", m{"Code": grouped, "Amount": amt.String()}))
			}
			if c.Card() != nil && (c.Card().Code == code || c.Card().ParentCode == code) {
				c.Lookup(code)
			}
			c.updateActions()
		}
	})
}

// remainderUnprinted says that the remainder card rem of a partial use did
// not print, with its code, and, when the screen is free (nothing else was
// scanned meanwhile), shows it, so that F8 prints it once the printer is
// fixed: nobody holds a copy of its code to scan or type. F8 prints it as
// the original unless inPart: some of it may be on paper.
func (c *cardScreen) remainderUnprinted(rem skranke.Card, inPart bool) {
	slog.Info("remainder card not printed", "code", rem.Code)
	c.sh.sayFirst(label("cards.remainder_unprinted", m{"Code": skranke.GroupCode(rem.Code), "Rest": rem.Balance.String()}))
	if c.Card() != nil || c.redeeming {
		return
	}
	c.clear()
	c.show(desksync.CardLookup{Card: &rem, CachedAt: c.sh.now()})
	if !inPart {
		c.unprinted = rem.Code
	}
	c.banner.set(label("cards.remainder_banner"), colWarn)
	c.sh.focus(c.Entry)
}

func (c *cardScreen) reprint() {
	card := c.Card()
	if card == nil {
		return
	}
	// A card that never printed is printed as the original, not a copy.
	c.paper.print(label("print.card"), c.paper.letterhead().giftCard(*card, card.Code != c.unprinted))
	c.unprinted = ""
}

func (c *cardScreen) content() fyne.CanvasObject { return c.obj }

func (c *cardScreen) load() {}

func (c *cardScreen) runeTarget() fyne.Focusable { return c.Entry }

func (c *cardScreen) actionKeys() map[fyne.KeyName]*button {
	return map[fyne.KeyName]*button{fyne.KeyF6: c.RedeemAll, fyne.KeyF8: c.Reprint}
}

// escape withdraws a question, or forgets the card shown and goes back to
// scanning.
func (c *cardScreen) escape() bool {
	if c.confirm > 0 {
		c.cancelAsk()
		return false
	}
	c.clear()
	return true
}

func (c *cardScreen) lock() { c.clear() }
