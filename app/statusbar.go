package app

import (
	"time"

	desksync "github.com/skranke/skranke/sync"
)

// watchStatus follows the sync status and shows it in the top bar.
func (d *Desk) watchStatus() {
	ch, stop := d.desk.Subscribe()
	go func() {
		defer stop()
		t := time.NewTicker(15 * time.Second) // Keeps "last sync" ages fresh.
		defer t.Stop()
		for {
			st := d.desk.Status()
			d.do(func() { d.applyStatus(st) })
			select {
			case <-d.ctx.Done():
				return
			case <-ch:
			case <-t.C:
			}
		}
	}()
}

// applyStatus shows st in the top bar and on the status screen.
func (d *Desk) applyStatus(st desksync.Status) {
	prev := d.lastStatus
	d.lastStatus = st
	d.followPickupCount(st)
	text, textColor, dotColor := d.online.Text, d.online.Color, d.onlineDot.FillColor
	switch {
	case !st.BusyUntil.IsZero():
		// The shop asked the desk to wait (Retry-After): it is there,
		// but takes nothing until then; scans answer from the cache.
		d.online.Text = label("status.busy", m{"When": fmtTime(st.BusyUntil)})
		d.online.Color = colWarn
		d.onlineDot.FillColor = colWarn
	case st.Online:
		d.online.Text = label("status.online")
		d.online.Color = colOK
		d.onlineDot.FillColor = colOK
	default:
		d.online.Text = label("status.offline")
		if !st.LastSync.IsZero() {
			d.online.Text += " · " + label("status.synced_ago", m{"Age": fmtAge(d.now(), st.LastSync)})
		}
		d.online.Color = colBad
		d.onlineDot.FillColor = colBad
	}
	if st.Pending > 0 {
		d.online.Text += " · " + label("status.pending_short", m{"N": st.Pending})
	}
	if st.Conflicts > 0 {
		d.online.Text += " · " + label("status.conflicts_short", m{"N": st.Conflicts})
	}
	if se := storageErr(st.LastErr); se != nil {
		// The desk cannot keep what the shop sends, nor a delivery: staff
		// see it before they try one.
		key := "status.storage_failed_short"
		if se.Full {
			key = "status.storage_full_short"
		}
		d.online.Text += " · " + label(key)
		d.online.Color = colBad
	}
	if st.Conflicts != prev.Conflicts && d.loggedOn != nil && d.screen == idStatus && d.status != nil {
		d.status.load() // Keep the conflicts list current while a manager looks at it.
	}
	// The sync loop reports every few seconds even when nothing shown
	// changed; a refresh repaints the window, so only on a change.
	if d.online.Text != text || d.online.Color != textColor {
		d.online.Refresh()
	}
	if d.onlineDot.FillColor != dotColor {
		d.onlineDot.Refresh()
	}
	if st.Online && !prev.Online { // Back online: fetch what an offline start could not.
		if d.login != nil && !d.login.hasStaff() {
			d.login.refresh()
		}
		if d.centre.ID == "" && !d.infoLoading {
			d.loadDeskInfo()
		}
	}
	if d.scan != nil {
		d.scan.followSync(st, prev)
	}
	if d.status != nil {
		d.status.show(st) // The screen keeps it for when it is opened.
	}
	d.checkWaiters()
}
