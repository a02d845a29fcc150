package app

import (
	"context"
	"image/color"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/skranke/skranke"
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
	// The purchase shown is the cache's copy (the shop was away when it
	// was looked up), or the shop was lost since: other desks may have
	// handed lines over meanwhile. It stays marked as the cache's copy
	// until the shop has answered for it again (refreshShown); a sync
	// that went through is a good moment to ask, should the status never
	// have said offline.
	stale := s.confirmed && s.lookup.FromCache
	if stale && (back || !st.LastSync.Equal(prev.LastSync)) || back && s.shopGone {
		slog.Info("scan screen back online", "code", p.Code, "state", s.state)
		s.refreshShown()
	} else if back && !s.lookup.FromCache && s.Cache.Text != "" {
		s.setMark(s.Cache, "") // "Checking with the shop…": the shop answers.
	}
	if len(s.lookup.Pending) == 0 || (st.Pending == prev.Pending && !back) {
		return
	}
	s.checkSynced()
}

// refreshShown asks the shop again for the purchase shown, once the shop
// answers again after the purchase was shown from the cache: until then it
// keeps its OFFLINE mark. The shop's copy, when it shows the same, only
// takes the mark away (an open panel stays open); when it differs (lines
// handed over at another desk meanwhile), it replaces what is shown, which
// says so and is armed again only after staff have had the time to read it.
// A change reported while the shop is asked asks again after.
func (s *scanScreen) refreshShown() {
	if s.refreshing {
		s.refreshAgain = true
		return
	}
	s.refreshing, s.refreshAgain = true, false
	seq, code, presented := s.seq, s.lookup.Purchase.Code, s.presented
	s.sh.async(func(ctx context.Context) func() {
		lk, err := s.svc.Lookup(ctx, code)
		return func() {
			s.refreshing = false
			again := s.refreshAgain
			s.refreshAgain = false
			if seq != s.seq || s.Purchase() == nil || s.Purchase().Code != code {
				// Another purchase is shown now; asked for meanwhile, it
				// is asked for now.
				if again && s.confirmed && s.lookup.FromCache && s.Purchase() != nil {
					s.refreshShown()
				}
				return
			}
			if s.deliveringShown() {
				// Its outcome replaces what is shown; the next sync asks again.
				return
			}
			if presented != s.presented {
				// What is shown changed meanwhile (a hand-over, undo or
				// credit of this desk): the shop's answer may be older
				// than it and must not undo it on screen. Ask again.
				s.refreshShown()
				return
			}
			switch {
			case skranke.KindOf(err) == skranke.NotFound:
				// The shop does not have it (any more): nothing to hand over.
				slog.Info("purchase withdrawn", "code", code, "err", err)
				s.clearPurchase()
				s.showLookupError(code, code, err)
			case err != nil || lk.Purchase == nil || lk.FromCache:
				// The shop is still out of reach for this: the cache's
				// copy stays, marked as such.
				slog.Info("purchase not refreshed", "code", code, "err", err)
				if again {
					s.refreshShown()
				}
			default:
				s.applyRefresh(lk)
			}
		}
	})
}

// applyRefresh shows the shop's copy lk of the purchase shown from the
// cache (refreshShown).
func (s *scanScreen) applyRefresh(lk desksync.Lookup) {
	code := lk.Purchase.Code
	pending := s.lookup.Pending
	synced := len(pending) > 0 && len(lk.Pending) == 0
	// What staff read, apart from the OFFLINE and outbox marks.
	was := s.lookup
	was.FromCache, was.CachedAt, was.Pending = false, lk.CachedAt, lk.Pending
	s.shopGone = false
	if reflect.DeepEqual(s.viewOf(was, true), s.viewOf(lk, true)) {
		s.lookup = lk
		s.lookup.Pending = pending
		s.confirmed = true
		s.setMark(s.Cache, "")
		switch {
		case synced:
			s.markSynced()
		case len(lk.Pending) != len(pending):
			s.lookup.Pending = lk.Pending
			s.showSyncMark(lk)
			s.Buyer.SetText(buyerInfo(lk))
		}
		slog.Info("cached purchase confirmed", "code", code, "state", s.state)
		s.updateActions()
		return
	}
	panel := s.pending != nil || s.crediting || s.qtyMode
	signing := s.pending != nil
	if s.undo != nil {
		s.undo.asked = false // The question is no longer on screen: Enter must not answer it.
	}
	s.showLookup(lk)
	if signing {
		// The pad closed as if cancelled: a scan that waited for it opens.
		defer s.openNext()
	}
	s.setMark(s.Cache, label("scan.refreshed"))
	if synced {
		s.SyncMark.Color = colOK
		s.setMark(s.SyncMark, label("scan.sync_done"))
	}
	if panel {
		// What was being chosen or signed for was read off the old copy.
		s.sh.sayErr(label("scan.refreshed_panel"))
	}
	slog.Info("purchase refreshed", "code", code, "state", s.state, "panel_closed", panel)
}

// tickAge keeps the age in the OFFLINE mark of a cached copy true while
// it is shown, a minute at a time.
func (s *scanScreen) tickAge() {
	s.ageGen++
	gen := s.ageGen
	var tick func()
	tick = func() {
		if gen != s.ageGen || !s.confirmed || !s.lookup.FromCache || s.Purchase() == nil || s.Cache.Text != s.view.cache {
			return // Another purchase, or another mark, is shown now.
		}
		s.view.cache = label("scan.cached", m{"Age": fmtAge(s.sh.now(), s.lookup.CachedAt)})
		s.setMark(s.Cache, s.view.cache)
		s.sh.after(time.Minute, tick)
	}
	s.sh.after(time.Minute, tick)
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
