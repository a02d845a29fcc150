package app

import (
	"bytes"
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

// rasterInk counts the set bits of the GS v 0 raster images in ESC/POS data.
func rasterInk(data []byte) (images, ink int) {
	for i := 0; i+8 <= len(data); i++ {
		if data[i] != 0x1d || data[i+1] != 'v' || data[i+2] != '0' {
			continue
		}
		xb := int(data[i+4]) | int(data[i+5])<<8
		rows := int(data[i+6]) | int(data[i+7])<<8
		end := min(i+8+xb*rows, len(data))
		images++
		for _, b := range data[i+8 : end] {
			for ; b != 0; b &= b - 1 {
				ink++
			}
		}
		i = end - 1
	}
	return images, ink
}

func sign(p *signaturePad) {
	// A few strokes across the pad, as a finger would draw them.
	for s := 0; s < 3; s++ {
		y := float32(40 + 30*s)
		for x := float32(20); x < 400; x += 20 {
			p.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y+float32(int(x)%40))}, Dragged: fyne.NewDelta(20, 0)})
		}
		p.DragEnd()
	}
}

func TestSignatureRequiredForPhysicalGoods(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-physical")
	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)

	f.key(fyne.KeyReturn) // Deliver all: physical goods, so the pad opens.
	require.True(t, s.SignatureOpen(), "physical goods ask for a signature")
	assert.Equal(t, s.Pad, f.d.window.Canvas().Focused(), "Enter and Esc go to the pad")

	// A blank pad is refused, and nothing is handed over.
	test.Tap(s.SignAccept)
	f.idle()
	assert.True(t, s.SignatureOpen())
	assert.Contains(t, s.SignMessage.Text, "blank")
	// A tap is not a signature either.
	test.Tap(s.Pad)
	f.key(fyne.KeyReturn)
	assert.True(t, s.SignatureOpen())
	assert.Empty(t, f.shop.Deliveries(code))
	assert.Empty(t, f.printed())

	test.Tap(s.SignClear)
	sign(s.Pad)
	f.key(fyne.KeyReturn) // Enter accepts.
	require.False(t, s.SignatureOpen())
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)

	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "delivery not at the shop")
	dl := f.shop.Deliveries(code)[0]
	require.NotEmpty(t, dl.SignatureID, "the delivery carries the signature")
	png, err := f.desk.Signature(t.Context(), dl.SignatureID)
	require.NoError(t, err)
	img, _, err := image.Decode(bytes.NewReader(png))
	require.NoError(t, err)
	assert.LessOrEqual(t, img.Bounds().Dx(), signatureWidth)
	assert.Greater(t, img.Bounds().Dx(), 100, "the signature keeps its size, cropped to the ink")

	// The note carries the signature as a raster image with ink in it.
	f.eventually(func() bool { return len(f.printed()) > 0 }, "nothing printed: %s", f.d.message.Text)
	images, ink := rasterInk(f.printed())
	assert.GreaterOrEqual(t, images, 1, "the signature is printed as a raster image")
	assert.Greater(t, ink, 200, "the printed signature has ink")
	rendered, err := printer.Render(f.printed(), mustProfile(t))
	require.NoError(t, err)
	assert.Greater(t, rendered.Bounds().Dy(), 300)

	// The history shows the delivery with its signature thumbnail.
	f.scan(code)
	assert.Contains(t, s.State.Text, "ALREADY DELIVERED")
	require.NotEmpty(t, s.History.Objects)

	// A reprint is marked as a copy.
	n := len(f.printed())
	test.Tap(s.Reprint)
	f.idle()
	f.eventually(func() bool { return len(f.printed()) > n }, "reprint not printed")
	assert.True(t, bytes.Contains(f.printed()[n:], []byte("COPY")))
}

func TestSignatureCancelHandsOverNothing(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-physical")
	f.scan(code)
	test.Tap(f.d.scan.DeliverAll)
	require.True(t, f.d.scan.SignatureOpen())
	sign(f.d.scan.Pad)
	f.key(fyne.KeyEscape)
	assert.False(t, f.d.scan.SignatureOpen())
	assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused(), "focus returns to the scan field")
	assert.Empty(t, f.shop.Deliveries(code))
}

func mustProfile(t *testing.T) printer.Profile {
	p, ok := printer.ProfileByID("generic-80")
	require.True(t, ok)
	return p
}

func TestGiftCardPartialUsePrintsRemainder(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("card-1000")
	f.scan(code)
	c := f.d.cards
	require.Equal(t, idCards, f.d.currentScreen(), "a gift card code opens the gift card screen")
	require.NotNil(t, c.Card(), "%q %q", c.State.Text, c.Detail.Text)
	assert.Equal(t, "kr 1 000,00", c.Balance.Text)
	assert.Contains(t, c.State.Text, "VALID")
	assert.Equal(t, c.Amount, f.d.window.Canvas().Focused(), "the amount field is ready")

	test.Type(c.Amount, "250")
	c.Amount.Submit()
	f.idle()
	old := f.shop.Card(code)
	assert.Equal(t, desksync.CardVoided, old.Status, "the used card is voided")
	require.NotEmpty(t, old.RemainderCode)
	rem := f.shop.Card(old.RemainderCode)
	assert.Equal(t, desksync.Money(75000), rem.Balance)
	assert.Contains(t, f.d.message.Text, "kr 750,00")
	// The screen now shows the remainder card, with its chain.
	require.NotNil(t, c.Card())
	assert.Equal(t, rem.Code, c.Card().Code)
	assert.Equal(t, "kr 750,00", c.Balance.Text)

	// The void slip and the new card were printed at once.
	f.eventually(func() bool {
		out := f.printed()
		return bytes.Contains(out, []byte(printer.GroupCode(rem.Code))) && bytes.Contains(out, []byte(printer.GroupCode(code)))
	}, "remainder card and void slip not printed: %s", f.d.message.Text)
	out := f.printed()
	assert.True(t, bytes.Contains(out, []byte("750,00")), "the new card shows its amount")
	assert.True(t, bytes.Contains(out, []byte(rem.Code)), "the new card carries its code as barcode data")

	// Using more than the balance is refused before asking the shop.
	test.Type(c.Amount, "5000")
	c.Amount.Submit()
	f.idle()
	assert.Contains(t, f.d.message.Text, "only kr 750,00")
	assert.Equal(t, desksync.Money(75000), f.shop.Card(rem.Code).Balance)

	// Whole use spends it.
	test.Tap(c.RedeemAll)
	f.idle()
	assert.Equal(t, desksync.CardSpent, f.shop.Card(rem.Code).Status)
	assert.Contains(t, c.State.Text, "USED UP")
}

func TestOfflineRefusesGiftCardsButDelivers(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	card := f.shop.Code("card-2000")
	purchase := f.shop.Code("authorized")
	f.scan(card) // Online: the card and purchase are now in the cache.
	require.NotNil(t, f.d.cards.Card())
	f.key(fyne.KeyF1)
	f.scan(purchase)
	require.Equal(t, stateDeliverable, f.d.scan.StateNow())

	f.shop.Stop()
	f.scan(card)
	c := f.d.cards
	require.NotNil(t, c.Card(), "the cached card is shown: %q", c.Detail.Text)
	assert.Contains(t, c.Cache.Text, "OFFLINE")
	assert.Contains(t, c.Cache.Text, "old")
	assert.Equal(t, "kr 2 000,00", c.Balance.Text, "cached balance")
	assert.True(t, c.Redeem.Disabled(), "redemption is refused offline")
	assert.True(t, c.RedeemAll.Disabled())
	test.Type(c.Amount, "100")
	c.Amount.Submit()
	f.idle()
	assert.Contains(t, f.d.message.Text, "Offline")
	assert.Contains(t, f.d.message.Text, "kr 2 000,00")

	// Purchases still deliver offline, from the cache, and sync later.
	f.key(fyne.KeyF1)
	f.scan(purchase)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
	assert.Contains(t, s.Cache.Text, "OFFLINE")
	test.Tap(s.DeliverAll)
	f.idle()
	if s.SignatureOpen() {
		sign(s.Pad)
		test.Tap(s.SignAccept)
		f.idle()
	}
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.online.Text, "Offline") }, "the indicator says offline: %q", f.d.online.Text)

	f.shop.Restart()
	f.desk.SyncNow()
	f.eventually(func() bool { return len(f.shop.Deliveries(purchase)) == 1 }, "the offline delivery reached the shop when it came back")
}

func TestCreditIsForManagers(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	s := f.d.scan
	assert.False(t, s.CreditButton.Visible(), "staff do not see Credit")
	assert.True(t, s.CreditButton.Disabled())
	test.Tap(s.CreditButton)
	f.idle()
	assert.False(t, s.CreditOpen(), "the credit panel stays closed for staff")
	assert.Empty(t, f.shop.Purchase(code).Credits)

	f.key(fyne.KeyF12)
	require.Nil(t, f.d.currentStaff())
	f.login("ingrid", "9999")
	f.scan(code)
	require.True(t, s.CreditButton.Visible())
	test.Tap(s.CreditButton)
	require.True(t, s.CreditOpen())
	assert.Equal(t, s.CreditAmount, f.d.window.Canvas().Focused())
	total := f.shop.Purchase(code).Total()
	assert.Equal(t, strings.TrimPrefix(total.String(), "kr "), s.CreditAmount.Text, "the whole rest is proposed")

	// A reason is required.
	test.Tap(s.CreditConfirm)
	f.idle()
	assert.Contains(t, f.d.message.Text, "Write why")
	assert.Empty(t, f.shop.Purchase(code).Credits)

	s.CreditAmount.SetText("100")
	test.Type(s.CreditReason, "Kurset ble flyttet")
	s.CreditReason.Submit()
	f.idle()
	p := f.shop.Purchase(code)
	require.Len(t, p.Credits, 1, f.d.message.Text)
	assert.Equal(t, desksync.Money(10000), p.Credits[0].Amount)
	assert.Equal(t, "ingrid", p.Credits[0].StaffID)
	assert.Equal(t, "Kurset ble flyttet", p.Credits[0].Reason)
	assert.Contains(t, s.Buyer.Text, "Credited: kr 100,00")

	// Crediting the rest credits the purchase: it can no longer be delivered.
	test.Tap(s.CreditButton)
	test.Type(s.CreditReason, "Kunden angret")
	test.Tap(s.CreditConfirm)
	f.idle()
	assert.Equal(t, desksync.Credited, f.shop.Purchase(code).Status)
	assert.Equal(t, stateNotPayable, s.StateNow())
}

func TestDailyReportWorksOffline(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow())

	// Staff cannot open the report.
	f.key(fyne.KeyF3)
	assert.Equal(t, idScan, f.d.currentScreen())
	assert.Contains(t, f.d.message.Text, "Only a manager")

	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "delivery not synced")
	f.shop.Stop()
	f.key(fyne.KeyF12)
	f.login("ingrid", "9999") // Offline login from the cached staff list.
	f.key(fyne.KeyF3)
	require.Equal(t, idReport, f.d.currentScreen())
	r := f.d.report
	assert.Equal(t, time.Now().Format("02.01.2006"), r.Date.Text)
	var found *desksync.Activity
	for i, a := range r.Shown() {
		if a.Code == code && a.Kind == "delivery" {
			found = &r.Shown()[i]
		}
	}
	require.NotNil(t, found, "today's delivery is in the report: %v", r.Shown())
	assert.Equal(t, "kari", found.StaffID)
	assert.Contains(t, r.Totals.Text, "deliveries")
	sum := 0
	for _, n := range r.Chart.Counts() {
		sum += n
	}
	assert.Equal(t, len(r.Shown()), sum, "the chart counts every row")
	assert.GreaterOrEqual(t, r.Chart.Counts()[found.At.Local().Hour()], 1, "the delivery's hour has a bar")

	// Filter by staff: only Kari's rows.
	for i, o := range r.Staff.Options {
		if o == found.StaffName || o == found.StaffID {
			r.Staff.SetSelectedIndex(i)
		}
	}
	for _, a := range r.Shown() {
		assert.Equal(t, "kari", a.StaffID)
	}

	// Filter by product: only deliveries of it.
	r.Staff.SetSelectedIndex(0)
	product := ""
	for _, o := range r.Product.Options[1:] {
		if strings.Contains(o, "Spinning") {
			product = o
		}
	}
	require.NotEmpty(t, product, "the course is a product choice: %v", r.Product.Options)
	assert.NotContains(t, product, "×", "products are listed without quantities")
	r.Product.SetSelected(product)
	require.NotEmpty(t, r.Shown())
	for _, a := range r.Shown() {
		assert.Equal(t, "delivery", a.Kind)
		assert.Contains(t, strings.Join(a.Products, ","), product)
	}
	r.Product.SetSelectedIndex(0)

	var csv bytes.Buffer
	require.NoError(t, r.ExportCSV(&csv))
	assert.Contains(t, csv.String(), code)
	assert.True(t, strings.HasPrefix(csv.String(), "date,time,kind"))
	test.Tap(r.Export)
	f.idle()
	assert.Contains(t, f.d.message.Text, r.ExportPath())

	test.Tap(r.Print)
	f.idle()
	f.eventually(func() bool { return bytes.Contains(f.printed(), []byte(printer.GroupCode(code))) }, "report not printed")

	// The day before has none of today's rows.
	test.Tap(r.Prev)
	f.idle()
	for _, a := range r.Shown() {
		assert.NotEqual(t, code, a.Code)
	}
}

func TestReprintEarlierDelivery(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("delivered-physical") // Handed over by Jonas nine days ago, signed.
	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDelivered, s.StateNow())
	assert.Contains(t, s.Detail.Text, "Jonas")
	require.False(t, s.Reprint.Disabled())
	f.key(fyne.KeyF8)
	f.eventually(func() bool { return len(f.printed()) > 0 && !f.d.isBusy() }, "reprint not printed: %s", f.d.message.Text)
	out := f.printed()
	assert.True(t, bytes.Contains(out, []byte("COPY")), "a reprint is marked as a copy")
	assert.True(t, bytes.Contains(out, []byte("Jonas")), "with who handed it over")
	images, ink := rasterInk(out)
	assert.GreaterOrEqual(t, images, 1, "with the signature taken then")
	assert.Greater(t, ink, 50)
}

func TestScanIntoAmountFieldOpensTheCard(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	first, second := f.shop.Code("card-1000"), f.shop.Code("card-2000")
	f.scan(first)
	c := f.d.cards
	require.Equal(t, c.Amount, f.d.window.Canvas().Focused())
	// The next customer's card is scanned while the amount field has the focus.
	test.Type(c.Amount, second)
	c.Amount.Submit()
	f.idle()
	require.NotNil(t, c.Card())
	assert.Equal(t, second, c.Card().Code, "the scan opened the other card")
	assert.Equal(t, desksync.Money(100000), f.shop.Card(first).Balance, "nothing was used")
}

func TestRedeemWithoutAnswerShowsCurrentState(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("card-2000")
	f.scan(code)
	c := f.d.cards
	require.False(t, c.Redeem.Disabled())
	f.cutOff.Store(true) // The line goes down between the lookup and the redemption.
	test.Type(c.Amount, "100")
	c.Amount.Submit()
	f.idle()
	assert.Contains(t, f.d.message.Text, "The shop did not answer; checking whether the card was charged")
	assert.NotContains(t, f.d.message.Text, "not used", "no false \"not charged\"")
	require.NotNil(t, c.Card(), "the card is shown again, as the desk knows it")
	assert.Contains(t, c.Cache.Text, "OFFLINE")
	assert.True(t, c.Redeem.Disabled(), "no blind second try while offline")

	// The line comes back: the desk asks the shop, which never got it.
	f.cutOff.Store(false)
	f.eventually(func() bool { return strings.Contains(f.d.message.Text, "Settled") }, "the outcome is never shown: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "was not charged")
	assert.Equal(t, desksync.Money(200000), f.shop.Card(code).Balance)
	f.idle()
	assert.Equal(t, 0, f.d.waiting())
}

// The shop takes a redemption but its answer is lost: staff are told it is
// being checked, then that the card was charged, and the new card prints.
func TestRedeemAnswerLostThenSettledCharged(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("card-2000")
	f.scan(code)
	c := f.d.cards
	require.False(t, c.Redeem.Disabled())
	path := "/redemptions"
	f.breakAfter.Store(&path)
	test.Type(c.Amount, "500")
	c.Amount.Submit()
	f.idle()
	require.Contains(t, f.d.message.Text, "The shop did not answer; checking whether the card was charged")
	shopCard := f.shop.Card(code)
	require.Equal(t, desksync.CardVoided, shopCard.Status, "the shop did take it")
	assert.True(t, c.Redeem.Disabled(), "no blind second try")
	assert.NotContains(t, string(f.printed()), shopCard.RemainderCode, "nothing printed before it is known")
	f.breakAfter.Store(nil)
	f.cutOff.Store(false)

	f.eventually(func() bool { return strings.Contains(f.d.message.Text, "Settled") }, "the outcome is never shown: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "the shop did charge")
	assert.Contains(t, f.d.message.Text, "kr 1 500,00", "the new card's balance")
	f.eventually(func() bool { return !f.d.isBusy() && bytes.Contains(f.printed(), []byte(shopCard.RemainderCode)) }, "the new card is not printed")
	text := printedText(t, f.printed())
	assert.Contains(t, text, "[barcode "+shopCard.RemainderCode+"]")
	assert.Equal(t, 1, strings.Count(text, "[barcode "+shopCard.RemainderCode+"]"), "printed once")
}

// printedText is what the customer reads on everything the test printer got.
func printedText(t *testing.T, data []byte) string {
	t.Helper()
	prof, ok := printer.ProfileByID("generic-80")
	require.True(t, ok)
	text, err := printer.Text(data, prof)
	require.NoError(t, err)
	return text
}

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
	assert.Contains(t, f.d.message.Text, "Hand over the 1 gift card(s) that are printing: "+scanner.Group(card))
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

// The shop takes a credit but its answer is lost: the manager hears it is
// being checked, not "not credited", and then what the shop did.
func TestCreditAnswerLostThenSettled(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "9999")
	code := f.shop.Code("paid-course")
	f.scan(code)
	s := f.d.scan
	test.Tap(s.CreditButton)
	require.True(t, s.CreditOpen())
	path := "/credits"
	f.breakAfter.Store(&path)
	s.CreditAmount.SetText("100")
	test.Type(s.CreditReason, "Kurset ble flyttet")
	s.CreditReason.Submit()
	f.idle()
	require.Contains(t, f.d.message.Text, "The shop did not answer; checking whether the purchase was credited")
	assert.NotContains(t, f.d.message.Text, "Not credited")
	assert.False(t, s.CreditOpen(), "no blind second try")
	assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused(), "the next scan goes to the scan field, not to the hidden credit fields")
	require.Len(t, f.shop.Purchase(code).Credits, 1, "the shop did credit")

	f.breakAfter.Store(nil)
	f.cutOff.Store(false)
	f.eventually(func() bool { return strings.Contains(f.d.message.Text, "Settled") }, "the outcome is never shown: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "the shop did credit kr 100,00")
	f.idle()
	assert.Contains(t, s.Buyer.Text, "Credited: kr 100,00", "the purchase is shown as the shop has it")
}

// A gift card purchase handed over offline before the desk has its cards:
// staff are told, and the cards print by themselves once the delivery is
// sent and the shop's answer brings them.
func TestGiftCardsPrintWhenSyncBringsThem(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.blockFeed.Store(true) // The desk learns of the new purchase only by scanning it.
	p := f.shop.CreatePurchase(desksync.Purchase{
		Buyer:  desksync.Buyer{Name: "Ola Berg"},
		Status: desksync.Captured, Acquirer: "nets",
		Lines: []desksync.Line{{ProductID: "gavekort-500", Quantity: 1}},
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

// barcodes lists the data of the barcodes in printed text.
func barcodes(text string) []string {
	var out []string
	for _, part := range strings.Split(text, "[barcode ")[1:] {
		if i := strings.IndexByte(part, ']'); i > 0 {
			out = append(out, part[:i])
		}
	}
	return out
}
