package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/skranke/skranke"
)

// kindReversal is the outbox kind of an undone delivery.
const kindReversal = "reversal"

// sqlGetPendingReversals lists the reversals of a purchase waiting in the
// outbox, by the report rows that hold them.
const sqlGetPendingReversals = `SELECT a.body FROM outbox o JOIN activities a ON a.id = o.key
WHERE o.code = ? AND o.kind = 'reversal' AND o.state = 'pending' ORDER BY o.id`

// ReversalBody is the body of POST /deliveries/{id}/reversal.
type ReversalBody struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// RecordedOffline and StatedBy are as for a delivery (DeliveryBody).
	RecordedOffline bool   `json:"recorded_offline,omitempty"`
	StatedBy        string `json:"stated_by,omitempty"`
}

// ReversalAnswer is the shop's answer to a reversal.
type ReversalAnswer struct {
	Reversal skranke.Reversal `json:"reversal"`
	Purchase skranke.Purchase `json:"purchase"`
}

// UndoRequest asks to undo a delivery made a moment ago.
type UndoRequest struct {
	Code       string // The purchase.
	DeliveryID string
	Staff      skranke.Staff
}

// Undo reverses a delivery: its units count as not handed over again. Like
// Deliver it is recorded in the outbox and the cache in one transaction and
// succeeds offline (the outbox replays it once, after the delivery itself,
// under its ID as idempotency key); online it is sent at once and a
// refusal comes back as the error, with the purchase as the shop sees it.
// The returned purchase shows the goods as not handed over.
//
// The desk refuses what the shop would (skranke.Purchase.CheckReversal with
// skranke.ReversalLimit): the shorter window staff are offered
// (skranke.UndoWindow) is the screen's to keep.
func (d *Desk) Undo(ctx context.Context, req UndoRequest) (skranke.Reversal, *skranke.Purchase, error) {
	const op = "sync.Desk.Undo"
	code := skranke.NormalizeCode(req.Code)
	if req.Staff.ID == "" {
		return skranke.Reversal{}, nil, skranke.E(op, skranke.Unauthorized, "log in before undoing a delivery")
	}
	rev, rowID, p, err := d.queueReversal(ctx, code, req)
	if err != nil {
		return skranke.Reversal{}, p, err
	}
	d.notify()
	if out, sent := d.sendAtOnce(ctx, rowID, rowID); sent {
		if out.err != nil {
			return skranke.Reversal{}, d.forgetRefused(ctx, op, rev.ID, p, out.err), out.err
		}
		a := out.answer.(ReversalAnswer)
		return a.Reversal, &a.Purchase, nil
	}
	nl, _, err := d.cached(ctx, code)
	if err != nil || nl.Purchase == nil {
		p.Reverse(rev)
		return rev, p, nil
	}
	return rev, nl.Purchase, nil
}

// queueReversal checks that the delivery req names may be undone and
// records its reversal in the outbox and the report, under the lock that
// keeps two hand-overs (or undos) of one purchase apart. It returns the
// reversal, its outbox row and the purchase as the desk saw it before.
func (d *Desk) queueReversal(ctx context.Context, code string, req UndoRequest) (skranke.Reversal, int64, *skranke.Purchase, error) {
	const op = "sync.Desk.Undo"
	d.deliverMu.Lock()
	defer d.deliverMu.Unlock()
	l, ok, err := d.cached(ctx, code)
	switch {
	case err != nil:
		return skranke.Reversal{}, 0, nil, err
	case !ok:
		return skranke.Reversal{}, 0, nil, skranke.E(op, skranke.NotFound, "purchase "+code+" is not on this desk")
	}
	p := l.Purchase
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := p.CheckReversal(req.DeliveryID, now, skranke.ReversalLimit); err != nil {
		return skranke.Reversal{}, 0, p, skranke.E(op, skranke.KindOf(err), err)
	}
	del, _ := p.Delivery(req.DeliveryID)
	rev := skranke.NewReversal(uuid.NewString(), del, d.cachedDesk(ctx).ID, req.Staff, now)
	body := ReversalBody{ID: rev.ID, At: rev.At}
	if d.session(req.Staff.ID) == "" {
		body.RecordedOffline, body.StatedBy = true, req.Staff.ID
		rev.StatedByDesk = true
	}
	b, _ := json.Marshal(body)
	act := reversalActivity(p, &rev, false)
	row := outboxRow{Kind: kindReversal, Key: rev.ID, Code: code, Method: http.MethodPost,
		Path: "/deliveries/" + url.PathEscape(del.ID) + "/reversal", CType: "application/json", Body: b, StaffID: req.Staff.ID,
		State: statePending, Summary: fmt.Sprintf("Undo of the delivery of %s on %s", strings.Join(act.Products, ", "), code)}
	err = d.c.write(ctx, op, func(tx *sql.Tx) error {
		if err := insertOutbox(ctx, tx, &row); err != nil {
			return err
		}
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		return w.putActivity(act)
	})
	return rev, row.ID, p, err
}

// forgetRefused takes an action the shop refused while staff waited (a
// delivery or reversal, by its ID) out of the report again, and returns the
// purchase as the shop sees it, or p when its answer did not say.
func (d *Desk) forgetRefused(ctx context.Context, op, id string, p *skranke.Purchase, refusal error) *skranke.Purchase {
	_ = d.c.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM activities WHERE id = ? AND synced = 0", id)
		return err
	})
	d.notify()
	var se *StatusError
	if errors.As(refusal, &se) && se.Purchase != nil {
		return se.Purchase
	}
	return p
}

// sendAtOnce sends the outbox action id at once when the shop is there and
// first is the oldest action waiting (first is id, or an action id needs
// before it), so that staff hear of a refusal now; otherwise it leaves the
// action to the loop. sent says whether the shop answered.
func (d *Desk) sendAtOnce(ctx context.Context, id, first int64) (sendOutcome, bool) {
	next, _, _ := d.c.nextPending(ctx)
	if d.backingOff() || next.ID != first {
		d.kickLoop()
		return sendOutcome{}, false
	}
	cctx, cancel := context.WithTimeout(ctx, 2*d.cfg.Timeout)
	out, derr := d.drain(cctx, id)
	cancel()
	d.afterSync(derr, false)
	return out, out.sent
}

// storeReversal files the shop's answer to a reversal and marks r done.
func (d *Desk) storeReversal(ctx context.Context, r outboxRow, a *ReversalAnswer) error {
	return d.c.writeRelaxed(ctx, "sync.Desk.storeReversal", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		if err := w.putPurchase(&a.Purchase, nil); err != nil {
			return err
		}
		if err := w.putActivity(reversalActivity(&a.Purchase, &a.Reversal, true)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE activities SET synced = 1 WHERE id = ?", r.Key); err != nil {
			return err
		}
		return setState(ctx, tx, r.ID, stateDone, "")
	})
}

// pendingReversals lists the reversals of a purchase waiting in the outbox.
func (c *cache) pendingReversals(ctx context.Context, code string) ([]skranke.Reversal, error) {
	rows, err := c.r.QueryContext(ctx, sqlGetPendingReversals, code)
	return scanBodies[skranke.Reversal]("sync.cache.pendingReversals", rows, err)
}

// reversalActivity is the report row of a reversal: the goods given back
// and what they were worth, as for the delivery it undoes.
func reversalActivity(p *skranke.Purchase, r *skranke.Reversal, synced bool) activityRow {
	d := skranke.Delivery{Lines: r.Lines}
	a := deliveryActivity(p, &d, synced)
	a.ID, a.Body = r.ID, r
	a.Kind, a.At, a.StaffID, a.StaffName = kindReversal, r.At, r.StaffID, r.StaffName
	return a
}

// Reverse posts the reversal of a delivery; its ID is the idempotency key.
// session is as for Deliver.
func (cl *Client) Reverse(ctx context.Context, deliveryID, session string, body ReversalBody) (ReversalAnswer, error) {
	var a ReversalAnswer
	b, err := cl.do(ctx, call{op: "sync.Client.Reverse", method: http.MethodPost, path: "/deliveries/" + url.PathEscape(deliveryID) + "/reversal",
		body: body, idemKey: body.ID, session: session})
	if err != nil {
		return a, err
	}
	err = decode("sync.Client.Reverse", b, &a)
	return a, err
}
