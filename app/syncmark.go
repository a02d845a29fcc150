package app

import (
	"context"
	"image/color"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"

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
		s.setMark(s.SyncMark, "")
		return
	}
	s.SyncMark.Color = colUnsynced
	s.setMark(s.SyncMark, label("scan.sync_waiting", m{"N": len(lk.Pending)}))
	slog.Info("purchase waiting to sync", "code", lk.Purchase.Code, "pending", len(lk.Pending))
}

// followSync keeps the offline marks of the screen true while it is shown:
// back online, "OFFLINE" goes without a new scan, and a delivery made
// offline says "synced" once the outbox has sent it. What needs the shop
// (Credit) follows the connection both ways. The desk calls it with every
// status the sync loop reports (applyStatus, on the UI goroutine).
func (s *scanScreen) followSync(st, prev desksync.Status) {
	if !st.Online {
		// Lost since the purchase was looked up (a delivery that could
		// not reach the shop tells the sync loop so): the shop cannot
		// confirm a credit now. Only a status that goes offline counts:
		// a lookup that just reached the shop may be older news than the
		// status reported before it.
		if prev.Online && s.lookup.Purchase != nil && !s.shopGone {
			s.shopGone = true
			s.updateActions()
			slog.Info("scan screen offline", "code", s.lookup.Purchase.Code)
		}
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
		s.setMark(s.Cache, "")
		slog.Info("scan screen back online", "code", p.Code, "state", s.state)
	}
	if back && (s.lookup.FromCache || s.shopGone) {
		// The shop is there again to confirm a credit, with its own
		// figures: no new scan needed.
		s.lookup.FromCache, s.shopGone = false, false
		s.updateActions()
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
	s.setMark(s.SyncMark, label("scan.sync_done"))
	s.Buyer.SetText(buyerInfo(s.lookup))
	waiting := "\n" + label("scan.waiting_sync")
	if strings.Contains(s.Detail.Text, waiting) {
		s.Detail.SetText(strings.Replace(s.Detail.Text, waiting, "", 1))
	}
	s.doneDetail = strings.Replace(s.doneDetail, waiting, "", 1)
	slog.Info("purchase synced", "code", s.lookup.Purchase.Code, "state", s.state)
}

// setMark sets the text of a mark above the purchase (Cache, SyncMark),
// shown while it has one, and lays the screen out again when the mark
// appears or goes.
func (s *scanScreen) setMark(t *fitText, text string) {
	was := t.Visible()
	setText(t, text)
	if t.Visible() != was {
		s.relayout()
	}
}

// relayout lays the scan screen out again at its present size: the top
// section (scan field, banner, code and marks) gets the height it now
// needs, and the purchase below moves down or up by as much.
//
// Fyne's GL driver does this on its own only when it notices in a frame
// that the top section's least size changed, and it keeps a single slot
// for the container waiting to be laid out again: when in the same frame
// something further down the window changes size as well (the Undo button
// that a delivery shows in the action bar, the ID check), that change takes
// the slot, the screen's Border layout is never run again, and the top
// section keeps its old height while its new row is drawn below it, on top
// of the buyer's e-mail and phone (a delivery made offline showing "waiting
// to sync"). Laying out here does not depend on the driver's frame.
func (s *scanScreen) relayout() {
	for _, c := range []*fyne.Container{s.obj.(*fyne.Container), s.top} {
		c.Layout.Layout(c.Objects, c.Size())
	}
}
