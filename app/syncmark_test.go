package app

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

// Issue 13 item 7: a delivery made offline says it waits to sync, in words
// and a colour of its own, right after it and when scanned again; once the
// shop is back the screen stops saying OFFLINE and says synced, without a
// new scan.
func TestOfflineDeliveryWaitsToSync(t *testing.T) {
	for _, tc := range []struct {
		lang, waiting, synced, cached, back string
	}{
		{"en", "WAITING TO SYNC", "SYNCED", "OFFLINE", "ONLINE AGAIN"},
		{"nb", "VENTER PÅ SYNK", "SYNKRONISERT", "FRAKOBLET", "TILKOBLET IGJEN"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = tc.lang })
			f.login("kari", "1234")
			s := f.d.scan
			code := f.shop.Code("paid-course")
			f.scan(code) // Online: the desk keeps a copy.
			require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
			assert.False(t, s.SyncMark.Visible(), "nothing waits: %q", s.SyncMark.Text)

			f.shop.Stop()
			f.scan(code)
			require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)
			require.Contains(t, s.Cache.Text, tc.cached, "from the cache")
			f.key(fyne.KeyReturn)
			require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
			assert.True(t, s.SyncMark.Visible())
			assert.Contains(t, s.SyncMark.Text, tc.waiting, "right after the offline delivery")
			assert.Equal(t, colUnsynced, s.SyncMark.Color)
			for _, c := range []color.NRGBA{colBad, colWarn, colReady, colOK, colDone, colJustDone, colUndone, colElsewhere, colSpent, colExpired} {
				assert.NotEqual(t, c, colUnsynced, "a colour of its own")
			}
			f.eventually(func() bool { return !f.d.isBusy() && !f.d.lastStatus.Online }, "the desk never saw it is offline")

			// Scanned again while the delivery is still in the outbox.
			f.scan(code)
			require.Equal(t, stateDelivered, s.StateNow(), s.State.Text)
			assert.Contains(t, s.Cache.Text, tc.cached)
			assert.Contains(t, s.SyncMark.Text, tc.waiting, "scanned again, still in the outbox")
			assert.Equal(t, colUnsynced, s.SyncMark.Color)

			// The shop is back: no new scan, and the screen follows.
			f.shop.Restart()
			f.desk.SyncNow()
			f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the offline delivery never reached the shop")
			f.eventually(func() bool { return s.SyncMark.Text == label("scan.sync_done") },
				"the screen still says %q", s.SyncMark.Text)
			assert.Contains(t, s.SyncMark.Text, tc.synced)
			assert.Equal(t, colOK, s.SyncMark.Color)
			// OFFLINE goes once the shop has answered for the purchase
			// shown (refreshShown), which may come after the outbox sent.
			f.eventually(func() bool { return !s.Cache.Visible() }, "no OFFLINE once the shop is back: %q", s.Cache.Text)
			assert.NotContains(t, s.Cache.Text, tc.cached)
			assert.NotContains(t, s.Buyer.Text, label("scan.pending", m{"N": 1}))
			assert.Equal(t, stateDelivered, s.StateNow(), "the purchase stays on screen")

			// The next scan starts clean.
			f.scan(code)
			assert.False(t, s.SyncMark.Visible(), "synced before this scan: %q", s.SyncMark.Text)

			// A code the desk has no copy of, offline; the shop comes back.
			f.shop.Stop()
			f.eventually(func() bool { return !f.d.isBusy() && !f.d.lastStatus.Online }, "the desk never saw it is offline")
			f.scan(f.shop.Code("other-centre")) // Another centre's: this desk keeps no copy.
			require.Equal(t, stateOffline, s.StateNow(), s.State.Text)
			f.shop.Restart()
			f.desk.SyncNow()
			f.eventually(func() bool { return s.StateNow() != stateOffline }, "the banner still says %q", s.State.Text)
			assert.Contains(t, s.State.Text, tc.back)
			assert.Equal(t, colReady, s.banner.bg.FillColor)
		})
	}
}
