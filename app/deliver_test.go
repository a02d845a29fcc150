package app

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

func TestPartialDelivery(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("many-lines")
	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)

	f.key(fyne.KeyF6) // Choose quantities, from the keyboard.
	require.NotEmpty(t, s.Qty)
	assert.IsType(t, &entry{}, f.d.window.Canvas().Focused(), "the first quantity field has the focus")
	p := s.Purchase()
	var service string
	for _, l := range p.Lines {
		if s.Qty[l.ID] == nil {
			continue
		}
		if l.Kind == "service" && l.Remaining() >= 2 && service == "" {
			service = l.ID
			s.Qty[l.ID].SetText("1")
		} else {
			s.Qty[l.ID].SetText("0")
		}
	}
	require.NotEmpty(t, service, "the demo purchase has a service line with 2 left")
	before := f.shop.Purchase(code)

	// Too many is refused with a message.
	s.Qty[service].SetText("99")
	test.Tap(s.DeliverChosen)
	f.idle()
	assert.Contains(t, f.d.message.Text, "choose a quantity")
	assert.Len(t, f.shop.Deliveries(code), len(before.Deliveries))

	// Typing into a focused quantity field replaces the proposed quantity.
	s.Qty[service].SetText("2")
	f.d.window.Canvas().Focus(s.Qty[service])
	test.Type(s.Qty[service], "1")
	require.Equal(t, "1", s.Qty[service].Text)
	s.Qty[service].Submit() // Enter in a quantity field delivers the chosen quantities.
	f.idle()
	require.False(t, s.SignatureOpen(), "services need no signature")
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	assert.Regexp(t, `^DELIVERED 1 – \d+ REMAIN$`, s.State.Text, "a partial delivery says what remains")
	assert.Equal(t, colJustDone, s.banner.bg.FillColor, "just delivered is not the blue of already delivered")
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == len(before.Deliveries)+1 }, "partial delivery not at the shop")
	after := f.shop.Purchase(code)
	for i, l := range after.Lines {
		want := before.Lines[i].Delivered
		if l.ID == service {
			want++
		}
		assert.Equal(t, want, l.Delivered, "line %s", l.Name)
	}
	assert.True(t, after.Remaining(), "the rest is still to be handed over")
	// The screen shows what remains, and can deliver it once staff have
	// had the moment to see it.
	assert.True(t, s.DeliverAll.Disabled(), "the rest is handed over only once it was seen")
	f.look()
	assert.False(t, s.DeliverAll.Disabled())
}

// blockingDeliveries is the desk's scan service with deliveries that wait
// for the test before they reach the desk, as when the shop does not answer
// yet: it counts the deliveries asked for.
type blockingDeliveries struct {
	scanService
	calls   atomic.Int32
	entered chan struct{} // A delivery was asked for.
	release chan struct{} // Closed: the deliveries go on.
}

func (b *blockingDeliveries) Deliver(ctx context.Context, req desksync.DeliverRequest) (skranke.Delivery, *skranke.Purchase, error) {
	b.calls.Add(1)
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return skranke.Delivery{}, nil, ctx.Err()
	}
	return b.scanService.Deliver(ctx, req)
}

// While a delivery is being sent, nothing turns Deliver all back on:
// neither F6 (quantities) nor Esc nor Enter delivers the purchase again,
// and the delivery under way is the one that is recorded and shown.
func TestDeliveryUnderWayKeepsDeliverOff(t *testing.T) {
	for _, keys := range [][]fyne.KeyName{
		{fyne.KeyF6, fyne.KeyF6},
		{fyne.KeyF6, fyne.KeyEscape},
		{fyne.KeyEscape},
	} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			f := mustOpen(t)
			f.login("kari", "1234")
			code := f.shop.Code("paid-course")
			f.scan(code)
			s := f.d.scan
			require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
			require.False(t, s.DeliverAll.Disabled())
			svc := &blockingDeliveries{scanService: s.svc, entered: make(chan struct{}, 4), release: make(chan struct{})}
			s.svc = svc
			before := len(f.shop.Deliveries(code))

			// Keys pressed while the delivery waits: the test does not
			// wait for the desk to be idle, as it is not until the
			// delivery is through.
			press := func(k fyne.KeyName) {
				t.Helper()
				c := f.d.window.Canvas()
				if foc := c.Focused(); foc != nil {
					foc.TypedKey(&fyne.KeyEvent{Name: k})
				} else {
					c.OnTypedKey()(&fyne.KeyEvent{Name: k})
				}
				f.d.runPending()
			}
			press(fyne.KeyReturn)
			<-svc.entered
			assert.Equal(t, label("scan.delivering"), s.State.Text)
			for _, k := range keys {
				press(k)
				assert.True(t, s.DeliverAll.Disabled(), "Deliver all is on after %s while the delivery is under way", k)
				assert.True(t, s.ChooseQty.Disabled(), "Choose quantities is on after %s while the delivery is under way", k)
				assert.True(t, s.DeliverChosen.Disabled(), "Deliver chosen is on after %s while the delivery is under way", k)
			}
			assert.Equal(t, code, s.Purchase().Code, "the purchase being delivered stays on screen")
			press(fyne.KeyReturn) // Enter again: a second delivery of the same purchase.
			test.Tap(s.DeliverAll)
			f.d.runPending()
			assert.EqualValues(t, 1, svc.calls.Load(), "the purchase was delivered again while its delivery was under way")

			close(svc.release)
			f.idle()
			assert.EqualValues(t, 1, svc.calls.Load())
			assert.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
			assert.Equal(t, "DELIVERED", s.State.Text)
			assert.NotContains(t, f.d.message.Text, "Not delivered")
			assert.Zero(t, f.tones.n.Load(), "no refusal tone")
			assert.Len(t, f.shop.Deliveries(code), before+1)
		})
	}
}

// A delivery the desk refuses by its own records (less remains than asked
// for) says so in the staff's language; only a refusal that came from the
// shop says the shop refused.
func TestDeskConflictDoesNotBlameShop(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	p := f.d.scan.Purchase()
	staff := *f.d.currentStaff()
	ctx := context.Background()

	// Another desk hands the purchase over; this desk does not hear of it.
	f.blockFeed.Store(true)
	other, err := desksync.Open(ctx, desksync.Config{BaseURL: f.shop.URL, Token: f.shop.DeskToken, DataDir: t.TempDir(), Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer other.Close()
	_, _, err = other.Deliver(ctx, desksync.DeliverRequest{Code: code, Staff: staff})
	require.NoError(t, err)

	// This desk still has it as deliverable: the shop refuses.
	_, _, shopErr := f.desk.Deliver(ctx, desksync.DeliverRequest{Code: code, Staff: staff})
	require.Equal(t, skranke.Conflict, skranke.KindOf(shopErr), "%v", shopErr)
	// Now this desk knows: its own check refuses more than remains.
	_, _, deskErr := f.desk.Deliver(ctx, desksync.DeliverRequest{Code: code, Staff: staff,
		Lines: []skranke.DeliveredLine{{LineID: p.Lines[0].ID, Quantity: 1}}})
	require.Equal(t, skranke.Conflict, skranke.KindOf(deskErr), "%v", deskErr)

	for _, lang := range []string{"en", "nb"} {
		setLanguage(lang)
		shopSays := map[string]string{"en": "The shop refused", "nb": "Nettbutikken avviste"}[lang]
		assert.Contains(t, deliverErrText(shopErr), shopSays, "%s: the shop's refusal", lang)
		got := deliverErrText(deskErr)
		assert.NotContains(t, got, shopSays, "%s: the desk's own refusal blames the shop", lang)
		assert.Equal(t, label("scan.conflict_desk"), got, lang)
	}
	setLanguage("en")
}
