package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// A purchase of two gift cards handed over one at a time while the roll is
// out: neither card prints. F8 prints both, the first hand-over's too (the
// second failure once replaced the first, which then never printed).
func TestEveryUnprintedCardOfAPurchasePrintsOnF8(t *testing.T) {
	sp := startStatusPrinter(t)
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "tcp://" + sp.ln.Addr().String() })
	f.login("kari", "1234")
	p := f.shop.CreatePurchase(skranke.Purchase{
		Buyer:  skranke.Buyer{Name: "Ola Berg"},
		Status: skranke.Captured, Acquirer: "nets",
		Lines: []skranke.Line{{ProductID: "gavekort-500", Quantity: 2}},
	})
	s := f.d.scan
	deliverOne := func() {
		t.Helper()
		f.scan(p.Code)
		require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
		f.key(fyne.KeyF6)
		line := s.Purchase().Lines[0].ID
		require.NotNil(t, s.Qty[line])
		s.Qty[line].SetText("1")
		s.Qty[line].Submit()
		f.idle()
		require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	}
	sp.set(false, map[byte]byte{1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x72}) // Out of paper.
	deliverOne()
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "F8") }, "first card not kept: %q", f.d.message.Text)
	deliverOne()
	cards, err := f.desk.CardsOfPurchase(context.Background(), p.Code)
	require.NoError(t, err)
	require.Len(t, cards, 2)
	first, second := cards[0].Code, cards[1].Code
	f.eventually(func() bool {
		return !f.d.isBusy() && strings.Contains(f.d.message.Text, skranke.GroupCode(second))
	}, "second card not kept: %q", f.d.message.Text)

	sp.set(false, map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}) // A new roll.
	f.key(fyne.KeyF8)
	f.eventually(func() bool { return !f.d.isBusy() && sp.jobCount() >= 2 }, "F8 printed nothing: %q", f.d.message.Text)
	f.idle()
	sp.mu.Lock()
	text := printedText(t, sp.all)
	sp.mu.Unlock()
	assert.Equal(t, 1, strings.Count(text, "[barcode "+second+"]"), "second card: %s", text)
	assert.Equal(t, 1, strings.Count(text, "[barcode "+first+"]"), "the first hand-over's card, which never printed, is lost for F8")
}

// deliverLineElsewhere hands over n of line lineID of code at another desk.
func deliverLineElsewhere(t *testing.T, f *fixture, code, lineID string, n int) {
	t.Helper()
	body, _ := json.Marshal(shop.DeliveryRequest{ID: "elsewhere-line-" + code, Lines: []skranke.DeliveredLine{{LineID: lineID, Quantity: n}},
		At: time.Now(), RecordedOffline: true, StatedBy: shop.DemoStaff2ID})
	req, _ := http.NewRequest("POST", f.shop.URL+shop.APIPrefix+"/purchases/"+code+"/deliveries", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+shop.DemoDesk2Token)
	req.Header.Set("Idempotency-Key", "elsewhere-line-"+code)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
}

// Staff hand over one line offline and press Ctrl+Z: the banner asks "UNDO
// THE DELIVERY?". Before they answer, the shop is back and its copy differs
// (another desk handed over part of another line): the refresh replaces the
// banner with the purchase's state, and the question is withdrawn with it:
// Enter hands over what remains instead of undoing the first hand-over.
func TestRefreshWithdrawsTheUndoQuestion(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	p := f.shop.CreatePurchase(skranke.Purchase{
		Buyer:  skranke.Buyer{Name: "Ola Berg"},
		Status: skranke.Captured, Acquirer: "nets",
		Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 1}, {ProductID: "dropin-sal", Quantity: 2}},
	})
	code := p.Code
	f.scan(code) // Online: the desk keeps a copy.
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
	offlineScan(t, f, code)
	f.key(fyne.KeyF6)
	require.True(t, s.qtyMode)
	l1, l2 := s.Purchase().Lines[0].ID, s.Purchase().Lines[1].ID
	s.Qty[l1].SetText("1")
	s.Qty[l2].SetText("0")
	s.Qty[l2].Submit()
	f.idle()
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	require.True(t, s.Undo.Visible())
	f.ctrlZ()
	require.True(t, s.UndoAsked())

	deliverLineElsewhere(t, f, code, l2, 1)
	backOnline(f)
	f.eventually(func() bool { return !s.refreshing && !s.lookup.FromCache }, "never refreshed: %q", s.Cache.Text)
	f.look()
	require.NotEqual(t, label("scan.undo_ask"), s.State.Text, "the screen still asks (then Enter undoing would be expected)")
	f.key(fyne.KeyReturn) // Hand over what the screen says remains.
	f.eventually(func() bool { return !f.d.isBusy() }, "busy")
	f.idle()
	assert.NotEqual(t, stateUndone, s.StateNow(), "Enter on a screen that no longer asked undid the hand-over: %q", s.State.Text)
}

// The buyer signs for a purchase shown from the cache, and the next
// customer's code waits. The shop comes back with a copy that differs
// (another desk handed the goods over): the refresh closes the signature
// pad and opens the waiting scan, as Esc and a delivery's outcome do.
func TestRefreshClosingThePadOpensTheWaitingScan(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	s := f.d.scan
	p := f.shop.CreatePurchase(skranke.Purchase{
		Buyer:  skranke.Buyer{Name: "Ola Berg"},
		Status: skranke.Captured, Acquirer: "nets",
		Lines: []skranke.Line{{ProductID: "shaker", Quantity: 1}, {ProductID: "kurs-spinning-10", Quantity: 1}},
	})
	code := p.Code
	next := f.shop.Code("paid-course")
	f.scan(code)
	offlineScan(t, f, code)
	f.key(fyne.KeyReturn)
	require.True(t, s.SignatureOpen())
	service := s.Purchase().Lines[1].ID
	f.d.submit(next, "serial:/dev/ttyUSB0")
	f.idle()
	require.True(t, s.NextWaiting.Visible())

	deliverLineElsewhere(t, f, code, service, 1)
	backOnline(f)
	f.eventually(func() bool { return !s.refreshing && !s.lookup.FromCache && !s.SignatureOpen() }, "never refreshed: %q", s.Cache.Text)
	f.idle()
	f.eventually(func() bool { return s.Purchase() != nil && s.Purchase().Code == next }, "the waiting scan never opened: shown %q, next waiting %v",
		s.Code.Text, s.NextWaiting.Visible())
}

// An undo made online shows the shop's answer: the purchase is not marked
// as the cache's copy (OFFLINE), and Credit stays possible.
func TestOnlineUndoIsNotMarkedAsCached(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	s := f.d.scan
	f.deliverNow(code)
	f.ctrlZ()
	f.key(fyne.KeyReturn)
	f.eventually(func() bool { return !f.d.isBusy() && s.StateNow() == stateUndone }, "not undone: %q", s.State.Text)
	f.idle()
	require.True(t, f.d.lastStatus.Online)
	assert.False(t, s.Cache.Visible(), "marked as the cache's copy after an online undo: %q", s.Cache.Text)
}
