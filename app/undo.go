package app

import (
	"context"
	"image/color"
	"log/slog"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
	desksync "github.com/skranke/skranke/sync"
)

// undoService undoes a delivery made a moment ago (offline too).
type undoService interface {
	Undo(ctx context.Context, req desksync.UndoRequest) (skranke.Reversal, *skranke.Purchase, error)
}

// colUndone marks a delivery undone: apart from every delivered colour, so
// that no one takes the goods for handed over.
var colUndone = color.NRGBA{R: 0x5d, G: 0x40, B: 0x37, A: 0xff}

// undoOffer is the delivery the screen offers to undo, until a moment
// (skranke.UndoWindow on the desk's clock) after it was made.
type undoOffer struct {
	delivery skranke.Delivery
	code     string
	until    time.Time
	asked    bool // Staff pressed Undo once: the banner asks to confirm.
}

// newUndoButton is the Undo button, shown only while an undo is offered.
func (s *scanScreen) newUndoButton() *button {
	b := newButton(s.sh, label("scan.undo"), theme.ContentUndoIcon(), s.askUndo)
	b.Importance = widget.DangerImportance
	b.Hide()
	return b
}

// offerUndo offers to undo delivery dl of the purchase shown for
// skranke.UndoWindow, unless it cannot be undone at all (it handed over
// gift cards, which are valid once printed).
func (s *scanScreen) offerUndo(p *skranke.Purchase, dl skranke.Delivery) {
	s.undo = nil
	if err := p.CheckReversal(dl.ID, dl.At, skranke.UndoWindow); err != nil {
		slog.Info("undo not offered", "code", p.Code, "delivery", dl.ID, "err", err)
		s.showUndo()
		return
	}
	offer := &undoOffer{delivery: dl, code: p.Code, until: s.sh.now().Add(skranke.UndoWindow)}
	s.undo = offer
	s.showUndo()
	slog.Info("undo offered", "code", p.Code, "delivery", dl.ID)
	s.sh.after(skranke.UndoWindow, func() {
		if s.undo != offer {
			return
		}
		s.undo = nil
		if offer.asked {
			s.restoreDelivered(offer)
		}
		s.showUndo()
		slog.Info("undo window over", "code", offer.code, "delivery", offer.delivery.ID)
	})
}

// undoOpen reports whether an undo is offered now.
func (s *scanScreen) undoOpen() bool {
	return s.undo != nil && !s.sh.now().After(s.undo.until) && s.pending == nil && !s.crediting
}

// UndoAsked reports whether the banner asks to confirm an undo.
func (s *scanScreen) UndoAsked() bool { return s.undo != nil && s.undo.asked }

func (s *scanScreen) showUndo() {
	show(s.Undo, s.undo != nil)
	setEnabled(s.Undo, s.undo != nil)
}

// askUndo is the Undo button and Ctrl+Z: the first press asks in the
// banner, the second (or Enter) undoes; Esc says no.
func (s *scanScreen) askUndo() {
	if !s.undoOpen() {
		return
	}
	if s.undo.asked {
		s.confirmUndo()
		return
	}
	s.undo.asked = true
	slog.Info("undo asked", "code", s.undo.code, "delivery", s.undo.delivery.ID)
	s.banner.set(label("scan.undo_ask"), colWarn)
	s.Detail.SetText(label("scan.undo_ask_detail"))
	s.sh.focus(s.Entry) // Where Enter says yes.
}

// cancelUndo withdraws the question; the offer stays until it runs out.
func (s *scanScreen) cancelUndo() {
	if s.undo == nil || !s.undo.asked {
		return
	}
	s.restoreDelivered(s.undo)
}

// restoreDelivered shows the delivery as made again, after a question.
func (s *scanScreen) restoreDelivered(o *undoOffer) {
	o.asked = false
	s.banner.set(s.doneText, colJustDone)
	s.Detail.SetText(s.doneDetail)
}

// confirmUndo undoes the delivery offered: the shop (or the outbox) records
// the reversal, the screen shows the goods as not handed over, and a void
// slip prints in place of the delivery note that printed.
func (s *scanScreen) confirmUndo() {
	o := s.undo
	if !s.undoOpen() || s.sh.currentStaff() == nil {
		return
	}
	s.undo = nil
	s.showUndo()
	staff := *s.sh.currentStaff()
	seq := s.seq
	s.setState(stateLooking, label("scan.undoing"))
	s.sh.async(func(ctx context.Context) func() {
		rev, p, err := s.svc.Undo(ctx, desksync.UndoRequest{Code: o.code, DeliveryID: o.delivery.ID, Staff: staff})
		var lk desksync.Lookup
		if err == nil {
			lk, _ = s.svc.Cached(ctx, o.code)
		}
		return func() {
			if err != nil {
				slog.Info("undo refused", "code", o.code, "delivery", o.delivery.ID, "err", err)
				switch {
				case seq != s.seq:
				case p != nil:
					// As the shop (or the cache) sees it now.
					s.showLookup(desksync.Lookup{Purchase: p, FromCache: s.lookup.FromCache, CachedAt: s.lookup.CachedAt})
				default:
					s.restoreDelivered(o)
					s.state = stateDelivered
				}
				msg := errText(err)
				if skranke.KindOf(err) == skranke.Conflict {
					// The shop's reason is in English; the rule is not.
					msg = label("scan.undo_conflict")
				}
				s.sh.sayErr(label("scan.undo_failed", m{"Err": msg}))
				return
			}
			slog.Info("delivery undone", "code", o.code, "delivery", o.delivery.ID, "reversal", rev.ID)
			if s.lastNote != nil && s.lastNote.Reference == o.code {
				s.lastNote = nil // Its note is void: F8 does not print it again.
			}
			if seq == s.seq && p != nil {
				lk.Purchase = p
				// The cache's copy only when the screen showed one: an
				// undo the shop answered is the shop's, and an offline one
				// waits in the outbox, which the mark says anyway.
				lk.FromCache = lk.FromCache && s.lookup.FromCache
				s.showLookup(lk)
				s.setState(stateUndone, label("scan.undone"))
				slog.Info("undo shown", "code", o.code, "state", s.state)
				detail := label("scan.undone_detail", m{"Staff": staff.Name, "When": fmtTime(rev.At)})
				for _, r := range lk.PendingReversals {
					if r.ID == rev.ID {
						detail += "\n" + label("scan.waiting_sync")
					}
				}
				s.Detail.SetText(detail)
			}
			s.sh.sayOK(label("scan.undone_msg", m{"Code": skranke.GroupCode(o.code)}))
			s.paper.print(label("print.undo_slip"), s.paper.letterhead().undoSlip(p, o.delivery, rev))
		}
	})
}

// undoSlip is the short slip printed when a delivery is undone: the
// delivery note printed for it no longer holds.
func (h letterhead) undoSlip(p *skranke.Purchase, dl skranke.Delivery, r skranke.Reversal) *printer.Document {
	d := printer.NewDocument()
	if h.training {
		d.FitText(" "+printer.Label(h.language, "training")+" ", printer.Style{Bold: true, Invert: true, Width: 2, Height: 2}, printer.AlignCenter)
	}
	d.FitText(label("print.undo_title"), printer.Style{Bold: true, Width: 2, Height: 2}, printer.AlignCenter)
	d.Text(label("print.undo_note", m{"When": fmtTime(dl.At)}), printer.Plain, printer.AlignCenter)
	d.Rule('=')
	d.Row(label("print.undo_code"), printer.GroupCode(dl.PurchaseCode), printer.Bold)
	var what []string
	for _, l := range r.Lines {
		name := l.LineID
		if p != nil {
			for _, pl := range p.Lines {
				if pl.ID == l.LineID {
					name = pl.Name
				}
			}
		}
		what = append(what, label("print.undo_line", m{"N": l.Quantity, "Name": name}))
	}
	d.Text(strings.Join(what, "\n"), printer.Plain, printer.AlignLeft)
	d.Rule('-')
	d.Row(label("print.undo_staff"), r.StaffName, printer.Plain)
	d.Row(label("print.undo_time"), fmtDateTime(r.At), printer.Plain)
	d.Cut(true)
	return d
}

// undoShortcut is Ctrl+Z in the scan field: undo the delivery just made
// when one is offered and nothing is typed; otherwise the field's own undo.
func (s *scanScreen) undoShortcut(sc fyne.Shortcut) bool {
	if _, ok := sc.(*fyne.ShortcutUndo); !ok || strings.TrimSpace(s.Entry.Text) != "" || !s.undoOpen() {
		return false
	}
	s.askUndo()
	return true
}
