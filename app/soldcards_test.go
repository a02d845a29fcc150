package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeliveringGiftCardLine(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("giftcard-purchase")
	card := f.shop.Code("card-fresh") // The card this purchase sold.
	f.scan(code)
	require.Equal(t, stateDeliverable, f.d.scan.StateNow(), f.d.scan.State.Text)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow(), f.d.message.Text)
	f.eventually(func() bool { return !f.d.isBusy() && bytes.Contains(f.printed(), []byte(card)) }, "the gift card is not printed: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "Hand over the 1 gift card(s) that are printing: "+skranke.GroupCode(card))
	text := printedText(t, f.printed())
	assert.Contains(t, text, "[barcode "+card+"]", "the card's code in a barcode")
	assert.Contains(t, text, "[qr "+card+"]")
	assert.Contains(t, text, "kr 500,00")
	assert.Contains(t, text, "DELIVERY NOTE", "with the note")
	assert.Equal(t, 1, strings.Count(text, "[barcode "+card+"]"))
}

// Offline, the card prints from the cache: the shop issued it at payment
// and the desk's sync brought it before the line went down.
func TestDeliveringGiftCardLineOffline(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("giftcard-purchase")
	card := f.shop.Code("card-fresh")
	f.scan(code)
	f.eventually(func() bool { return !f.desk.Status().LastSync.IsZero() }, "the desk never synced")
	f.cutOff.Store(true)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow(), f.d.message.Text)
	f.eventually(func() bool { return !f.d.isBusy() && bytes.Contains(f.printed(), []byte(card)) }, "the gift card is not printed: %q", f.d.message.Text)
	assert.Contains(t, printedText(t, f.printed()), "[barcode "+card+"]")
	assert.Empty(t, f.shop.Deliveries(code), "the delivery waits in the outbox")
}

// A gift card purchase handed over offline before the desk has its cards:
// staff are told, and the cards print by themselves once the delivery is
// sent and the shop's answer brings them.
func TestGiftCardsPrintWhenSyncBringsThem(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.blockFeed.Store(true) // The desk learns of the new purchase only by scanning it.
	p := f.shop.CreatePurchase(skranke.Purchase{
		Buyer:  skranke.Buyer{Name: "Ola Berg"},
		Status: skranke.Captured, Acquirer: "nets",
		Lines: []skranke.Line{{ProductID: "gavekort-500", Quantity: 1}},
	})
	f.scan(p.Code)
	require.Equal(t, stateDeliverable, f.d.scan.StateNow(), f.d.scan.State.Text)
	f.cutOff.Store(true)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow(), f.d.message.Text)
	f.idle()
	require.Contains(t, f.d.message.Text, "they print by themselves as soon as the shop is reachable")
	cardCodes := func() []string {
		var out []string
		for _, c := range barcodes(printedText(t, f.printed())) {
			if c != p.Code {
				out = append(out, c)
			}
		}
		return out
	}
	require.Empty(t, cardCodes(), "only the note so far")
	require.Equal(t, 1, f.d.waiting())

	f.cutOff.Store(false)
	f.eventually(func() bool { return !f.d.isBusy() && len(cardCodes()) > 0 }, "the card never printed: %q", f.d.message.Text)
	require.Len(t, cardCodes(), 1)
	card := cardCodes()[0]
	onShop := f.shop.Card(card)
	require.NotNil(t, onShop, "printed code %q is a card of the shop", card)
	assert.Equal(t, p.Code, onShop.PurchaseCode)
	assert.Contains(t, f.d.message.Text, "The shop sent the gift cards")
	assert.Equal(t, 0, f.d.waiting())
	assert.Len(t, f.shop.Deliveries(p.Code), 1)
}

// A purchase of two gift cards handed over one at a time, the first card
// used in part in between: the second hand-over prints the second card.
// The desk took the purchase's cards in the order of their last change, so
// the used card (voided, changed last) came second, and the second
// hand-over printed it again, void, while the customer's other card was
// never printed; the remainder card of the first counted as sold by the
// purchase too.
func TestSecondGiftCardPrintsAfterTheFirstWasUsed(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	p := f.shop.CreatePurchase(skranke.Purchase{
		Buyer:  skranke.Buyer{Name: "Ola Berg"},
		Status: skranke.Captured, Acquirer: "nets",
		Lines: []skranke.Line{{ProductID: "gavekort-500", Quantity: 2}},
	})
	cardCodes := func() []string {
		var out []string
		for _, c := range barcodes(printedText(t, f.printed())) {
			if c != p.Code {
				out = append(out, c)
			}
		}
		return out
	}
	deliverOne := func() {
		t.Helper()
		f.scan(p.Code)
		s := f.d.scan
		require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
		f.key(fyne.KeyF6)
		line := s.Purchase().Lines[0].ID
		require.NotNil(t, s.Qty[line])
		s.Qty[line].SetText("1")
		s.Qty[line].Submit()
		f.idle()
		require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	}

	deliverOne()
	f.eventually(func() bool { return !f.d.isBusy() && len(cardCodes()) == 1 }, "the first card never printed: %q", f.d.message.Text)
	first := cardCodes()[0]
	require.Equal(t, p.Code, f.shop.Card(first).PurchaseCode)

	// The customer uses part of the first card at the desk.
	f.scan(first)
	c := f.d.screenCards()
	require.NotNil(t, c.Card(), "%q %q", c.State.Text, c.Detail.Text)
	test.Type(c.Amount, "100")
	c.Amount.Submit()
	f.idle()
	f.key(fyne.KeyReturn)
	used := f.shop.Card(first)
	require.Equal(t, skranke.CardVoided, used.Status, "%q", f.d.message.Text)
	f.eventually(func() bool {
		return !f.d.isBusy() && bytes.Contains(f.printed(), []byte(used.RemainderCode))
	}, "the remainder card never printed: %q", f.d.message.Text)
	// The desk files the card's change as the feed brings it.
	require.NoError(t, f.desk.Sync(context.Background()))
	printedBefore := len(cardCodes())

	f.key(fyne.KeyF1)
	deliverOne()
	f.eventually(func() bool { return !f.d.isBusy() && len(cardCodes()) > printedBefore }, "the second card never printed: %q", f.d.message.Text)
	second := cardCodes()[printedBefore]
	assert.NotEqual(t, first, second, "the used card was printed again for the second hand-over")
	assert.NotEqual(t, used.RemainderCode, second, "the remainder card was printed as the purchase's")
	onShop := f.shop.Card(second)
	require.NotNil(t, onShop)
	assert.Equal(t, p.Code, onShop.PurchaseCode)
	assert.Empty(t, onShop.ParentCode)
	assert.Equal(t, skranke.CardActive, onShop.Status)
}

// cardsFailAfter is a printing that puts the first printed documents of a
// job on paper and then fails with paper out, as a roll running out in the
// middle of a purchase's gift cards does; it records what each job held.
type cardsFailAfter struct {
	printing
	printed int
	fail    error // Why the job after them fails; paper out when nil.
	jobs    [][]*printer.Document
}

func (p *cardsFailAfter) printThen(what string, failed func(err error), docs ...*printer.Document) {
	p.jobs = append(p.jobs, docs)
	if p.printed >= len(docs) {
		return
	}
	err := p.fail
	if err == nil {
		err = printer.E("test", printer.KindPaperOut, "out of paper")
	}
	if failed != nil {
		failed(&printFailure{err: err, printed: p.printed})
	}
}

func (p *cardsFailAfter) print(what string, docs ...*printer.Document) {
	p.printThen(what, nil, docs...)
}

// TestGiftCardsPrintedBeforeThePaperRanOutAreNotPrintedAgain holds that
// when the roll runs out after the first of two gift cards, F8 prints the
// second only, as an original, and staff are told only its code: a card
// printed twice as an original is a second bearer card with the same code.
func TestGiftCardsPrintedBeforeThePaperRanOutAreNotPrintedAgain(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("giftcard-purchase")
	f.scan(code)
	require.NotNil(t, f.d.scan.Purchase())
	first, second := skranke.Card{Code: f.shop.Code("card-fresh"), InitialAmount: 50000, Balance: 50000, Currency: "NOK", Status: skranke.CardActive},
		skranke.Card{Code: f.shop.Code("card-chain"), InitialAmount: 50000, Balance: 50000, Currency: "NOK", Status: skranke.CardActive}
	paper := &cardsFailAfter{printing: f.d.scan.paper, printed: 1}
	f.d.scan.paper = paper
	f.d.scan.printCards(code, []skranke.Card{first, second}, false)
	require.NotNil(t, f.d.scan.unprinted[code], "the card that did not print is not kept for F8")
	assert.Equal(t, []skranke.Card{second}, f.d.scan.unprinted[code][0].cards, "a card that printed is kept to print again")
	assert.False(t, f.d.scan.unprinted[code][0].copy, "the card that never went out would print as a copy")
	assert.Contains(t, f.d.message.Text, skranke.GroupCode(second.Code))
	assert.NotContains(t, f.d.message.Text, skranke.GroupCode(first.Code), "staff are told a printed card did not print")

	paper.printed = 1 // F8, on a new roll.
	require.True(t, f.d.scan.reprintCards())
	require.Len(t, paper.jobs, 2)
	assert.Len(t, paper.jobs[1], 1, "F8 prints again a card that printed")
}
