package app

import (
	"context"
	"log/slog"
	"strings"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
)

// printSoldCards prints the n gift cards purchase code sold that were handed
// over now (the first skip went with earlier deliveries), fit to hand over.
// The shop issues the cards when the purchase is paid, so the desk usually
// has them even offline. When it does not, they print by themselves as soon
// as the sync brings them, which is what staff expect of a card that the
// customer has paid for: no one has to remember to come back to it.
func (s *scanScreen) printSoldCards(code string, skip, n int) {
	find := func(ctx context.Context) ([]skranke.Card, error) {
		cards, err := s.svc.CardsOfPurchase(ctx, code)
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
		args := m{"N": len(cards), "Code": skranke.GroupCode(code), "Codes": cardCodes(cards)}
		if later {
			s.sh.sayOK(label("scan.cards_arrived", args))
		} else {
			s.sh.sayOK(label("scan.cards_printing", args))
		}
		s.printCards(code, cards, false)
	}
	// outcome is the UI update for what find returned, or nil while the
	// shop cannot be reached and the cards are still to come.
	outcome := func(cards []skranke.Card, err error, later bool) func() {
		switch {
		case skranke.KindOf(err) == skranke.Unavailable:
			return nil
		case err != nil:
			return func() {
				s.sh.sayErr(label("scan.cards_missing", m{"Err": errText(err)}))
			}
		case len(cards) == 0:
			return func() {
				s.sh.sayErr(label("scan.cards_none"))
			}
		}
		return func() { printCards(cards, later) }
	}
	s.sh.async(func(ctx context.Context) func() {
		cards, err := find(ctx)
		if ui := outcome(cards, err, false); ui != nil {
			return ui
		}
		return func() {
			s.sh.sayErr(label("scan.cards_later", m{"Code": skranke.GroupCode(code)}))
			s.sh.await(func(ctx context.Context) func() {
				cards, err := find(ctx)
				return outcome(cards, err, true)
			})
		}
	})
}

// unprintedCards are gift cards sold with a purchase that did not print.
type unprintedCards struct {
	code  string         // The purchase's.
	cards []skranke.Card // Its cards that did not print.
	copy  bool           // The first of them may be on paper in part: it prints again as a copy.
}

// cardCodes lists the codes of cards, grouped for reading.
func cardCodes(cards []skranke.Card) string {
	codes := make([]string, len(cards))
	for i, c := range cards {
		codes[i] = skranke.GroupCode(c.Code)
	}
	return strings.Join(codes, ", ")
}

// printCards prints the gift cards purchase code sold. When they do not
// print (the roll ran out), staff are told their codes, which nobody else
// holds, and F8 prints them while the purchase is on screen (reprint): as
// the originals when nothing of them reached the paper.
func (s *scanScreen) printCards(code string, cards []skranke.Card, asCopy bool) {
	docs := make([]*printer.Document, len(cards))
	for i, c := range cards {
		// Only the first can be on paper in part (unprintedCards.copy):
		// the others never went out.
		docs[i] = s.paper.letterhead().giftCard(c, asCopy && i == 0)
	}
	s.paper.printThen(label("print.cards"), func(err error) {
		// The cards that went out whole are in the customer's hand: only
		// the rest are kept for F8, or a second original of a bearer card
		// would be in circulation.
		left := cards[min(printedBefore(err), len(cards)):]
		slog.Info("gift cards not printed", "code", code, "cards", len(left), "of", len(cards), "err", err)
		if len(left) == 0 {
			return
		}
		if s.unprinted == nil {
			s.unprinted = map[string][]*unprintedCards{}
		}
		// Added to what an earlier hand-over of the purchase left unprinted.
		s.unprinted[code] = append(s.unprinted[code], &unprintedCards{code: code, cards: left, copy: !neverPrinted(err) || asCopy && len(left) == len(cards)})
		var all []skranke.Card
		for _, u := range s.unprinted[code] {
			all = append(all, u.cards...)
		}
		s.sh.sayFirst(label("scan.cards_unprinted", m{"Code": skranke.GroupCode(code), "Codes": cardCodes(all)}))
	}, docs...)
}

// reprintCards prints the gift cards of the purchase shown that did not
// print, and reports whether there were any.
func (s *scanScreen) reprintCards() bool {
	p := s.Purchase()
	if p == nil || len(s.unprinted[p.Code]) == 0 {
		return false
	}
	us := s.unprinted[p.Code]
	delete(s.unprinted, p.Code)
	for _, u := range us {
		s.printCards(u.code, u.cards, u.copy)
	}
	return true
}
