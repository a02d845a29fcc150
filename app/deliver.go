package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// deliverService records deliveries and finds what goes with them: the
// signatures taken and the gift cards sold.
type deliverService interface {
	Deliver(ctx context.Context, req desksync.DeliverRequest) (skranke.Delivery, *skranke.Purchase, error)
	signatureService
	CardsOfPurchase(ctx context.Context, code string) ([]skranke.Card, error)
}

func (s *scanScreen) toggleQty() {
	if s.Purchase() == nil || s.deliveringShown() {
		return
	}
	s.qtyMode = !s.qtyMode
	s.renderLines()
	s.updateActions()
	s.sh.focusDefault()
}

func (s *scanScreen) deliverAll() {
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

func (s *scanScreen) deliverChosen() {
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
			s.sh.sayErr(label("scan.bad_qty", m{"Line": l.Name, "Max": l.Remaining()}))
			s.sh.focus(e)
			return
		}
		if n > 0 {
			q[l.ID] = n
		}
	}
	if len(q) == 0 {
		s.sh.sayErr(label("scan.nothing_chosen"))
		return
	}
	s.startDelivery(q, false)
}

// startDelivery checks the purchase may be handed over and asks for a
// signature when physical goods are part of it.
func (s *scanScreen) startDelivery(q map[string]int, all bool) {
	p := s.Purchase()
	if s.sh.currentStaff() == nil {
		return
	}
	if s.deliveringShown() {
		// Its delivery is under way: a second one would hand it over twice.
		slog.Info("delivery already under way", "code", p.Code)
		return
	}
	if !s.armed() {
		// Not yet seen: neither a key nor a tap hands it over.
		slog.Info("delivery not armed", "code", p.Code)
		return
	}
	if !p.Status.Deliverable() {
		s.sh.sayErr(notPayableReason(p.Status))
		return
	}
	if s.idCheckMissing() {
		return
	}
	req := desksync.DeliverRequest{Code: p.Code, Staff: *s.sh.currentStaff(), IDChecked: s.found}
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
		s.SignMessage.SetText(label("sign.for", m{"What": strings.Join(what, ", ")}))
		s.padWedge.reset()
		slog.Info("signature requested", "code", p.Code)
		s.arrange()
		s.updateActions()
		s.sh.focusDefault()
		return
	}
	s.deliver(req, nil)
}

// deliver records the delivery (offline too) and prints the note. strokes
// are the buyer's signature, if one was taken: it is rendered and stored
// with the delivery.
func (s *scanScreen) deliver(req desksync.DeliverRequest, strokes [][]fyne.Position) {
	before := s.Purchase()
	lookup := s.lookup
	seq := s.seq
	if s.delivering == nil {
		s.delivering = map[string]bool{}
	}
	s.delivering[req.Code] = true
	s.updateActions()
	s.setState(stateLooking, label("scan.delivering"))
	s.sh.async(func(ctx context.Context) func() {
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
			dl, p, err = s.svc.Deliver(ctx, req)
		}
		// Whether the shop has it yet: a delivery made offline waits in
		// the outbox, and the screen says so.
		var pending []skranke.Delivery
		if err == nil {
			if lk, cerr := s.svc.Cached(ctx, req.Code); cerr == nil {
				pending = lk.Pending
			}
		}
		return func() {
			delete(s.delivering, req.Code)
			// A scan that waited for the signature opens once the
			// outcome of this delivery was shown.
			defer s.openNext()
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
				s.updateActions()
				s.sh.sayErr(label("scan.deliver_failed", m{"Err": deliverErrText(err)}))
				return
			}
			slog.Info("delivered", "code", req.Code, "delivery", dl.ID, "staff", req.Staff.ID, "lines", len(dl.Lines))
			if p == nil {
				p = before
			}
			note := s.paper.letterhead().deliveryNote(before, p, dl, req, sig)
			s.lastNote = &note
			if current {
				lookup.Purchase = p
				lookup.Pending = pending
				// Back online meanwhile (followSync) is not undone.
				lookup.FromCache = lookup.FromCache && s.lookup.FromCache
				s.showLookup(lookup)
				// Just handed over has a colour of its own, apart from
				// "already delivered" (blue): staff see at a glance that
				// this scan did it, and whether something remains.
				done := 0
				for _, l := range dl.Lines {
					done += l.Quantity
				}
				s.setState(stateDelivered, label("scan.done"))
				if p.Remaining() {
					s.setState(stateDelivered, label("scan.done_partial", m{"N": done, "Left": p.RemainingUnits()}))
				}
				s.banner.set(s.State.Text, colJustDone)
				detail := label("scan.done_detail", m{"Staff": req.Staff.Name, "When": fmtTime(dl.At)})
				for _, pd := range pending {
					if pd.ID == dl.ID {
						detail += "\n" + label("scan.waiting_sync")
						slog.Info("delivery waiting to sync", "code", req.Code, "delivery", dl.ID)
						break
					}
				}
				s.Detail.SetText(detail)
				s.doneText, s.doneDetail = s.State.Text, detail
				s.offerUndo(p, dl)
				// The detail may have grown a line and the Undo button
				// appeared with it: see relayout.
				s.relayout()
			}
			s.updateActions()
			s.sh.sayOK(label("scan.delivered_msg", m{"Code": skranke.GroupCode(req.Code)}))
			s.printNote(&note)
			if skip, n := soldGiftCards(before, req.Lines); n > 0 {
				s.printSoldCards(req.Code, skip, n)
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

// deliveringShown reports whether a delivery of the purchase shown is being
// recorded or sent: until its outcome is shown, nothing may deliver it again
// (a second delivery would find nothing left and be refused).
func (s *scanScreen) deliveringShown() bool {
	p := s.Purchase()
	return p != nil && s.delivering[p.Code]
}

// deliverErrText is errText for a refused delivery. A conflict the desk
// raised itself, before asking the shop (its own records say less remains
// than chosen), is this desk's finding: it must not read as the shop's
// refusal. The shop's refusals come with its answer (a StatusError).
func deliverErrText(err error) string {
	var se *desksync.StatusError
	if skranke.KindOf(err) == skranke.Conflict && !errors.As(err, &se) {
		return label("scan.conflict_desk")
	}
	return errText(err)
}
