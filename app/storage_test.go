package app

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	desksync "github.com/skranke/skranke/sync"
)

// fullDesk is the real desk whose disk fills when full is set: the desk
// actions then fail as the desk's store fails them on a full disk (kind
// Internal, carrying a StorageError, nothing stored or sent; see the sync
// package's TestEveryActionOnAFullDisk and TestDeliveryOnARealFullDisk).
type fullDesk struct {
	*desksync.Desk
	full atomic.Bool
}

func (d *fullDesk) err(op string) error {
	return skranke.E(op, skranke.Internal, &desksync.StorageError{Full: true, Err: errors.New("database or disk is full (13)")})
}

func (d *fullDesk) Deliver(ctx context.Context, req desksync.DeliverRequest) (skranke.Delivery, *skranke.Purchase, error) {
	if d.full.Load() {
		return skranke.Delivery{}, nil, d.err("sync.Desk.Deliver")
	}
	return d.Desk.Deliver(ctx, req)
}

func (d *fullDesk) Redeem(ctx context.Context, code string, amount skranke.Money, staff skranke.Staff) (desksync.RedeemResult, error) {
	if d.full.Load() {
		return desksync.RedeemResult{}, d.err("sync.Desk.Redeem")
	}
	return d.Desk.Redeem(ctx, code, amount, staff)
}

func (d *fullDesk) Credit(ctx context.Context, code string, o desksync.CreditOrder, staff skranke.Staff) (skranke.Credit, error) {
	if d.full.Load() {
		return skranke.Credit{}, d.err("sync.Desk.Credit")
	}
	return d.Desk.Credit(ctx, code, o, staff)
}

// On a full disk staff read, in their language, that the delivery, the
// gift card use or the credit did not happen, why, and what to do; once
// there is room the same action goes through.
func TestFullDiskIsSaidToStaff(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		t.Run(lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = lang })
			t.Cleanup(func() { setLanguage("en") })
			full := &fullDesk{Desk: f.desk}
			full.full.Store(true)
			f.d.scan.svc = full
			said := label("err.storage_full")
			assert.NotContains(t, said, "database or disk is full", "not SQLite's English")

			// Delivery.
			f.login("kari", "1234")
			code := f.shop.Code("paid-course")
			f.scan(code)
			f.key(fyne.KeyReturn)
			assert.Equal(t, label("scan.deliver_failed", m{"Err": said}), f.d.message.Text)
			assert.NotEqual(t, stateDelivered, f.d.scan.StateNow())
			assert.Empty(t, f.shop.Deliveries(code))
			full.full.Store(false)
			f.scan(code)
			f.key(fyne.KeyReturn)
			assert.Equal(t, stateDelivered, f.d.scan.StateNow(), "with room again: %s", f.d.message.Text)
			f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the delivery reaches the shop")

			// Gift card use.
			full.full.Store(true)
			card := f.shop.Code("card-1000")
			f.scan(card)
			c := f.d.screenCards()
			require.NotNil(t, c.Card(), "%q %q", c.State.Text, c.Detail.Text)
			c.svc = full
			test.Type(c.Amount, "250")
			c.Amount.Submit()
			f.idle()
			f.key(fyne.KeyReturn)
			assert.Equal(t, label("cards.failed", m{"Err": said}), f.d.message.Text)
			assert.Equal(t, skranke.Money(100000), f.shop.Card(card).Balance, "the card was not charged")

			// Credit, by a manager.
			f.d.lock()
			f.login("ingrid", "999999")
			f.scan(code)
			s := f.d.scan
			require.True(t, s.CreditButton.Visible())
			test.Tap(s.CreditButton)
			require.True(t, s.CreditOpen())
			s.CreditAmount.SetText("100")
			f.typeByHand(s.CreditReason, "Kurset ble flyttet")
			s.CreditReason.Submit()
			f.idle()
			assert.Equal(t, label("credit.failed", m{"Err": said}), f.d.message.Text)
			assert.Empty(t, f.shop.Purchase(code).Credits)

			// The sync loop's last failure says so at the top and on the
			// status screen.
			f.d.applyStatus(desksync.Status{Online: true, LastErr: full.err("sync.Desk.pullFeed")})
			assert.Contains(t, f.d.online.Text, label("status.storage_full_short"))
			assert.Equal(t, label("status.storage_full"), syncErrText(full.err("sync.Desk.pullFeed")))
		})
	}
}

// A desk that cannot write its disk at all (read-only, broken) says so
// apart from a full one; an error with a StorageError behind another
// kind (the shop took it, only its answer could not be kept) is not said
// to have failed.
func TestStorageErrorTexts(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		setLanguage(lang)
		broken := skranke.E("sync.Desk.Deliver", skranke.Internal, &desksync.StorageError{Err: errors.New("disk I/O error")})
		assert.Equal(t, label("err.storage_failed"), errText(broken), lang)
		assert.NotEqual(t, label("err.storage_full"), errText(broken), lang)
		unknown := skranke.E("sync.Desk.Redeem", skranke.Unknown, skranke.E("sync.Client.Redeem", skranke.Internal, &desksync.StorageError{Full: true, Err: errors.New("database or disk is full (13)")}))
		assert.Equal(t, label("err.unknown"), errText(unknown), lang)
	}
	setLanguage("en")
}
