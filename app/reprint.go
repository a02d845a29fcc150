package app

import (
	"context"
	"image"
	"log/slog"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
	desksync "github.com/skranke/skranke/sync"
)

// printNote prints the delivery note n, the original, and remembers when
// it put nothing on paper (noteUnprinted): printed again with F8, it is
// then the original, not a copy marked KOPI.
func (s *scanScreen) printNote(n *printer.DeliveryNote) {
	s.noteUnprinted = nil
	s.paper.printThen(label("print.note"), func(err error) {
		if neverPrinted(err) && s.lastNote == n {
			s.noteUnprinted = n
		}
	}, n.Document())
}

// reprint prints the note of the purchase's last delivery again, marked
// KOPI, with the signature taken then.
func (s *scanScreen) reprint() {
	p := s.Purchase()
	if p == nil {
		return
	}
	s.reprintCards()
	last, ok := p.LastDelivery() // An undone delivery's note does not hold.
	if !ok {
		return
	}
	if n := s.lastNote; n != nil && n.Reference == p.Code {
		if s.noteUnprinted == n {
			// The original never reached the paper: this is it.
			s.printNote(n)
			return
		}
		c := *n
		c.Copy = true
		s.paper.print(label("print.note"), c.Document())
		return
	}
	// A delivery made before (here or at another desk): rebuild its note.
	before := p.Before(last.ID)
	staff := skranke.Staff{ID: last.StaffID, Name: last.StaffName}
	if staff.Name == "" {
		staff.Name = last.StaffID
	}
	req := desksync.DeliverRequest{Code: p.Code, Lines: last.Lines, Staff: staff}
	s.sh.async(func(ctx context.Context) func() {
		var sig image.Image
		if last.SignatureID != "" {
			if b, err := s.svc.Signature(ctx, last.SignatureID); err == nil {
				sig = decodePNG(b)
			} else {
				slog.Info("signature for reprint not available", "id", last.SignatureID, "err", err)
			}
		}
		return func() {
			n := s.paper.letterhead().deliveryNote(before, p, last, req, sig)
			n.Copy = true
			s.paper.print(label("print.note"), n.Document())
		}
	})
}
