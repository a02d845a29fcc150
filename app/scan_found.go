package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"fyne.io/fyne/v2/widget"

	desksync "github.com/skranke/skranke/sync"
)

// A purchase opened from the search or the pickup list came without its
// receipt, so whoever fetches it must prove who they are: the scan screen
// asks staff to tick "ID checked" before it hands anything over, and the
// delivery records that they did.

// newIDCheck builds the scan screen's "ID checked" box, hidden until a
// purchase is opened without its receipt.
func (s *scanScreen) newIDCheck() *widget.Check {
	c := widget.NewCheck(label("scan.id_checked"), func(bool) { s.sh.focusDefault() })
	c.Hide()
	return c
}

// openFound opens a purchase chosen from a list, as if its code was scanned,
// and asks for an ID check before it is handed over.
func (s *scanScreen) openFound(code string) {
	s.Lookup(code, code)
	s.found = true
	s.IDCheck.SetChecked(false)
	s.IDCheck.Show()
}

// forgetFound is part of reset: the next purchase comes with its receipt
// unless openFound says otherwise.
func (s *scanScreen) forgetFound() {
	s.found = false
	if s.IDCheck != nil {
		s.IDCheck.SetChecked(false)
		s.IDCheck.Hide()
	}
}

// idCheckMissing reports, and tells staff, when a purchase opened without
// its receipt is about to be handed over before its buyer's ID was checked.
func (s *scanScreen) idCheckMissing() bool {
	if !s.found || s.IDCheck.Checked {
		return false
	}
	s.sh.sayErr(label("scan.id_check_first"))
	return true
}

// newListButtons builds the scan screen's ways to the pickup list (with
// the count of what waits) and to the search. They reach the window
// through the F-keys' own path, so the screen needs nothing more.
func (s *scanScreen) newListButtons() (pickup, find *button) {
	pickup = newButton(s.sh, label("scan.pickup_open"), theme.ListIcon(), func() {
		s.sh.globalKey(&fyne.KeyEvent{Name: fyne.KeyF10})
	})
	find = newButton(s.sh, label("scan.search_open"), theme.SearchIcon(), func() {
		s.sh.globalKey(&fyne.KeyEvent{Name: fyne.KeyF9})
	})
	return pickup, find
}

// pickupCounter counts the purchases waiting to be fetched.
type pickupCounter interface {
	PickupCount(ctx context.Context) (int, error)
}

// pickupKey is what the pickup count follows: the shop's changes the desk
// filed, its outbox, the connection, and staff's work at this desk (a
// scan keeps the shop's copy of its purchase). While none of it moves the
// count cannot either.
type pickupKey struct {
	filed              uint64
	pending, conflicts int
	online             bool
	activity           int64
}

// followPickupCount counts the purchases waiting to be fetched again after
// a sync report (st) when what the count follows has moved since the last
// count. The sync loop reports after every poll, every few seconds: at a
// million cached purchases each count reads up to ten thousand index
// entries and parses its queries, most of what a desk at rest did on the
// scan screen besides drawing (80 ms of CPU a minute).
func (d *Desk) followPickupCount(st desksync.Status) {
	k := pickupKey{filed: st.Filed, pending: st.Pending, conflicts: st.Conflicts, online: st.Online, activity: d.touches.Load()}
	if k == d.pickupAsOf {
		return
	}
	if d.refreshPickupCount() {
		d.pickupAsOf = k
	}
}

// refreshPickupCount shows on the scan screen how many purchases wait to
// be fetched, and reports whether it started a count.
func (d *Desk) refreshPickupCount() bool {
	if d.loggedOn == nil || d.countingPickup {
		return false
	}
	d.countingPickup = true
	d.pickupCounts++
	var svc pickupCounter = d.desk
	// Not d.async: the count follows every sync, and the UI is not busy
	// while it is read.
	go func() {
		ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
		defer cancel()
		n, err := svc.PickupCount(ctx)
		d.do(func() {
			d.countingPickup = false
			if err != nil {
				d.pickupAsOf = pickupKey{} // Counted again after the next report.
				return                     // The count is a hint; the pickup list says what failed.
			}
			relabel(d.scan.PickupCount, label("scan.pickup_count", m{"N": pickupN(n)}))
		})
	}()
	return true
}

// openFound opens a purchase chosen on the search screen or the pickup
// list on the scan screen, as if scanned.
func (d *Desk) openFound(code string) {
	d.showScreen(idScan)
	d.scan.openFound(code)
}
