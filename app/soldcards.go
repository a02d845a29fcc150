package app

import (
	"context"
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
		docs := make([]*printer.Document, len(cards))
		codes := make([]string, len(cards))
		for i, c := range cards {
			docs[i] = s.paper.letterhead().giftCard(c, false)
			codes[i] = skranke.GroupCode(c.Code)
		}
		args := m{"N": len(cards), "Code": skranke.GroupCode(code), "Codes": strings.Join(codes, ", ")}
		if later {
			s.sh.sayOK(label("scan.cards_arrived", args))
		} else {
			s.sh.sayOK(label("scan.cards_printing", args))
		}
		s.paper.print(label("print.cards"), docs...)
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
