package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	desksync "github.com/skranke/skranke/sync"
)

// A shop that asks the desk to wait (429 with Retry-After): a gift card
// use says the shop is busy and nothing was charged, the top bar says
// busy until when rather than online, and a scan answers from the cache.
func TestBusyShopIsSaidToStaff(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		t.Run(lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = lang })
			t.Cleanup(func() { setLanguage("en") })
			f.login("kari", "1234")
			code := f.shop.Code("paid-course")
			f.scan(code) // Cached now.
			card := f.shop.Code("card-1000")
			f.scan(card)
			c := f.d.screenCards()
			require.NotNil(t, c.Card(), "%q %q", c.State.Text, c.Detail.Text)

			ra := "120"
			f.busy.Store(&ra)
			test.Type(c.Amount, "250")
			c.Amount.Submit()
			f.idle()
			f.key(fyne.KeyReturn)
			assert.Equal(t, label("cards.failed", m{"Err": label("err.busy")}), f.d.message.Text)
			assert.Equal(t, skranke.Money(100000), f.shop.Card(card).Balance, "the card was not charged")

			st := f.desk.Status()
			require.False(t, st.BusyUntil.IsZero(), "the desk knows the shop asked it to wait")
			assert.False(t, st.Online)
			f.eventually(func() bool { return f.d.online.Text == label("status.busy", m{"When": fmtTime(st.BusyUntil)}) },
				"the top bar says the shop is busy: %q", f.d.online.Text)

			f.scan(code)
			require.NotNil(t, f.d.scan.Purchase(), "the purchase is shown from the cache")
			assert.Equal(t, code, f.d.scan.Purchase().Code)
		})
	}
}

// The words for a shop that asked to wait differ from "offline", in both
// languages.
func TestBusyErrText(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		setLanguage(lang)
		busy := skranke.E("sync.Desk.Sync", skranke.Unavailable, &desksync.BusyError{Until: time.Now().Add(time.Minute)})
		assert.Equal(t, label("err.busy"), errText(busy), lang)
		assert.NotEqual(t, label("err.unavailable"), errText(busy), lang)
		asked := skranke.E("sync.Client.Changes", skranke.Unavailable, &desksync.StatusError{Status: 429, Message: "slow down", RetryAfter: time.Minute})
		assert.Equal(t, label("err.busy"), errText(asked), lang)
		plain := skranke.E("sync.Client.Changes", skranke.Unavailable, errors.New("connection refused"))
		assert.Equal(t, label("err.unavailable"), errText(plain), lang)
		assert.False(t, strings.Contains(label("status.busy", m{"When": "10:30"}), "{{"), lang)
	}
	setLanguage("en")
}
