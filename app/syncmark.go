package app

import (
	"context"
	"image/color"
	"log/slog"
	"strings"

	desksync "github.com/skranke/skranke/sync"
)

// colUnsynced marks a delivery made offline that the shop has not yet got:
// neither done (blue) nor wrong (red), and apart from the orange of
// "cached data".
var colUnsynced = color.NRGBA{R: 0xad, G: 0x14, B: 0x57, A: 0xff}

// showSyncMark says whether the purchase shown has deliveries from this desk
// that still wait in the outbox.
func (s *scanScreen) showSyncMark(lk desksync.Lookup) {
	if lk.Purchase == nil || len(lk.Pending) == 0 {
		setText(s.SyncMark, "")
		return
	}
	s.SyncMark.Color = colUnsynced
	setText(s.SyncMark, label("scan.sync_waiting", m{"N": len(lk.Pending)}))
	slog.Info("purchase waiting to sync", "code", lk.Purchase.Code, "pending", len(lk.Pending))
}

// followSync keeps the offline marks of the screen true while it is shown:
// back online, "OFFLINE" goes without a new scan, and a delivery made
// offline says "synced" once the outbox has sent it. The desk calls it with
// every status the sync loop reports (applyStatus, on the UI goroutine).
func (s *scanScreen) followSync(st, prev desksync.Status) {
	if !st.Online {
		return
	}
	// Only a status that comes back online takes OFFLINE away: a lookup
	// can fail before the sync loop has noticed the shop is gone, and the
	// status it still reports says online.
	back := !prev.Online
	if back && s.state == stateOffline {
		s.setState(stateReady, label("scan.offline_back"))
		s.Detail.SetText(label("scan.offline_back_detail"))
		slog.Info("scan screen back online", "state", s.state)
		return
	}
	p := s.lookup.Purchase
	if p == nil {
		return
	}
	if back && s.Cache.Text != "" {
		setText(s.Cache, "")
		slog.Info("scan screen back online", "code", p.Code, "state", s.state)
	}
	if len(s.lookup.Pending) == 0 || (st.Pending == prev.Pending && !back) {
		return
	}
	s.checkSynced()
}

// checkSynced asks the cache whether the deliveries of the purchase shown
// still wait in the outbox, after the outbox sent something or the shop came
// back. A change reported while the cache is asked asks again after, so the
// last word is never lost.
func (s *scanScreen) checkSynced() {
	if s.syncChecking {
		s.syncAgain = true
		return
	}
	s.syncChecking, s.syncAgain = true, false
	seq, code := s.seq, s.lookup.Purchase.Code
	s.sh.async(func(ctx context.Context) func() {
		lk, err := s.svc.Cached(ctx, code)
		return func() {
			s.syncChecking = false
			if err != nil || seq != s.seq || s.lookup.Purchase == nil || s.lookup.Purchase.Code != code || len(s.lookup.Pending) == 0 {
				return // Another purchase is shown now, or nothing waits.
			}
			if len(lk.Pending) == 0 {
				s.markSynced()
				return
			}
			if s.syncAgain {
				s.checkSynced()
			}
		}
	})
}

// markSynced turns the "waiting to sync" marks of the purchase shown into
// "synced".
func (s *scanScreen) markSynced() {
	s.lookup.Pending = nil
	s.SyncMark.Color = colOK
	setText(s.SyncMark, label("scan.sync_done"))
	s.Buyer.SetText(buyerInfo(s.lookup))
	waiting := "\n" + label("scan.waiting_sync")
	if strings.Contains(s.Detail.Text, waiting) {
		s.Detail.SetText(strings.Replace(s.Detail.Text, waiting, "", 1))
	}
	s.doneDetail = strings.Replace(s.doneDetail, waiting, "", 1)
	slog.Info("purchase synced", "code", s.lookup.Purchase.Code, "state", s.state)
}
