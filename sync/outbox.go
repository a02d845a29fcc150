package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/skranke/skranke"
)

// Outbox kinds.
const (
	kindDelivery   = "delivery"
	kindSignature  = "signature"
	kindRedemption = "redemption"
	kindCredit     = "credit"
)

// Outbox states; see migrations/0001_init.sql.
const (
	statePending   = "pending"
	stateSending   = "sending"
	stateDone      = "done"
	stateRefused   = "refused"
	stateConflict  = "conflict"
	stateDiscarded = "discarded"
	stateAbandoned = "abandoned"
)

// outboxRow is one action waiting for, or sent to, the shop.
type outboxRow struct {
	ID        int64
	Kind      string
	Key       string
	Code      string
	Method    string
	Path      string
	CType     string
	Body      []byte
	StaffID   string
	DependsOn int64
	State     string
	Attempts  int
	Summary   string
	LastError string
	CreatedAt time.Time
	// approver is the session of a manager approving the action: held in
	// memory for the one send that needs it, never stored.
	approver string
	// untold is set on an action staff wait for the outcome of until they
	// have it (see migrations/0012_outbox_untold.sql); only inserted.
	untold bool
}

func insertOutbox(ctx context.Context, tx *sql.Tx, r *outboxRow) error {
	now := time.Now().UnixNano()
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox(kind, key, code, method, path, content_type, body, staff_id, depends_on, state, summary, created_at, updated_at, untold)
VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Kind, r.Key, r.Code, r.Method, r.Path, r.CType, r.Body, r.StaffID, r.DependsOn, r.State, r.Summary, now, now, r.untold)
	if err != nil {
		return fmt.Errorf("queue %s for %s: %w", r.Kind, r.Code, err)
	}
	r.ID, err = res.LastInsertId()
	return err
}

const outboxCols = "id, kind, key, code, method, path, content_type, body, staff_id, depends_on, state, attempts, summary, last_error, created_at"

func scanOutbox(s interface{ Scan(...any) error }) (outboxRow, error) {
	var r outboxRow
	var created int64
	err := s.Scan(&r.ID, &r.Kind, &r.Key, &r.Code, &r.Method, &r.Path, &r.CType, &r.Body, &r.StaffID, &r.DependsOn, &r.State, &r.Attempts, &r.Summary, &r.LastError, &created)
	r.CreatedAt = fromNanos(created)
	return r, err
}

// nextPending returns the oldest action waiting to be sent.
func (c *cache) nextPending(ctx context.Context) (outboxRow, bool, error) {
	r, err := scanOutbox(c.r.QueryRowContext(ctx, "SELECT "+outboxCols+" FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, skranke.E("sync.cache.nextPending", skranke.Internal, err)
	}
	return r, true, nil
}

func (c *cache) outboxRow(ctx context.Context, id int64) (outboxRow, error) {
	r, err := scanOutbox(c.r.QueryRowContext(ctx, "SELECT "+outboxCols+" FROM outbox WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, skranke.E("sync.cache.outboxRow", skranke.NotFound, fmt.Sprintf("no outbox action %d", id))
	}
	if err != nil {
		return r, skranke.E("sync.cache.outboxRow", skranke.Internal, err)
	}
	return r, nil
}

func setState(ctx context.Context, tx *sql.Tx, id int64, state, lastErr string) error {
	_, err := tx.ExecContext(ctx, "UPDATE outbox SET state = ?, last_error = ?, updated_at = ? WHERE id = ?", state, lastErr, time.Now().UnixNano(), id)
	return err
}

// noteAttempt records a failed attempt that will be tried again.
func (c *cache) noteAttempt(ctx context.Context, id int64, msg string) error {
	return c.write(ctx, "sync.cache.noteAttempt", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE outbox SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?", msg, time.Now().UnixNano(), id)
		return err
	})
}

// maxServerFailures is how many attempts in a row the shop may answer one
// queued action with a server error (500) or an answer the desk cannot read
// before the action goes to the conflicts list, so that it stops holding
// back every action queued behind it. After a failed sync the loop waits
// about 0.25, 0.5, 1, 2 and 4 s, then one sync interval (5 s by default),
// each drawn between half and all of that, so eight attempts span 9 to
// 18 s of waiting (two to four intervals at the default) plus the requests
// themselves: about 13 to 16 s measured.
// That rides out a shop failing for a moment (a deploy, a locked database,
// a request that lands in a restart), yet a delivery the shop fails on
// every time reaches a manager within half a minute, and other customers'
// deliveries go through right after it. The count is kept in the outbox's
// attempts column, so a restarted desk does not start again from zero.
const maxServerFailures = 8

// serverFault reports whether err is the shop failing on a request it
// received: a 500 or an answer the desk cannot read. Gateway errors (502,
// 503, 504) are the shop being away, like a refused connection, and
// failures on the desk itself (a full disk) are not the action's fault.
func serverFault(err error) bool {
	if !(skranke.KindOf(err) == skranke.Internal) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	var ua unreadableAnswer
	return errors.As(err, &ua)
}

// noteFailure records a failed attempt at the pending action r. A server
// fault adds to the row's count of server failures in a row (attempts);
// when that count reaches maxServerFailures while the shop otherwise works
// (its changes feed came through last time), the action moves to the
// conflicts list with the shop's error as its reason, and with it the
// delivery that needs it when r is a signature, so the two stay together.
// A network failure sets the count back to zero: the shop was away, which
// says nothing about the action. It reports whether r was moved.
func (d *Desk) noteFailure(ctx context.Context, r outboxRow, err error) (moved bool, _ error) {
	msg := err.Error()
	werr := d.c.write(ctx, "sync.Desk.noteFailure", func(tx *sql.Tx) error {
		moved = false
		now := time.Now().UnixNano()
		if !serverFault(err) {
			q := "UPDATE outbox SET last_error = ?, updated_at = ? WHERE id = ?"
			if skranke.KindOf(err) == skranke.Unavailable {
				q = "UPDATE outbox SET attempts = 0, last_error = ?, updated_at = ? WHERE id = ?"
			}
			_, err := tx.ExecContext(ctx, q, msg, now, r.ID)
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "UPDATE outbox SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ? RETURNING attempts",
			msg, now, r.ID).Scan(&n); err != nil {
			return err
		}
		if n < maxServerFailures || !d.feedWorks() {
			// A shop whose feed fails too is broken as a whole, not on
			// this action: moving actions aside one by one would only
			// give a manager work.
			return nil
		}
		reason := msg
		var se *StatusError
		if errors.As(err, &se) {
			reason = se.Message
		}
		reason = fmt.Sprintf("the shop failed on it %d times in a row: %s", n, reason)
		if err := setState(ctx, tx, r.ID, stateConflict, reason); err != nil {
			return err
		}
		if r.Kind == kindSignature {
			if _, err := tx.ExecContext(ctx, "UPDATE outbox SET state = ?, last_error = ?, updated_at = ? WHERE depends_on = ? AND state = ?",
				stateConflict, "its signature could not be sent: "+reason, now, r.ID, statePending); err != nil {
				return err
			}
		}
		moved = true
		return nil
	})
	return moved, werr
}

// refusal reports whether the shop said no to the action itself, as opposed
// to not being there or failing: such an action is not retried by itself.
func refusal(err error) bool {
	switch skranke.KindOf(err) {
	case skranke.Conflict, skranke.NotPayable, skranke.NotFound, skranke.Invalid, skranke.Forbidden:
		return true
	}
	return false
}

// actionOp names the client call an outbox action of the given kind
// replays, as the op of its errors.
func actionOp(kind string) string {
	switch kind {
	case kindDelivery:
		return "sync.Client.Deliver"
	case kindSignature:
		return "sync.Client.PutSignature"
	case kindRedemption:
		return "sync.Client.Redeem"
	case kindCredit:
		return "sync.Client.Credit"
	case kindReversal:
		return "sync.Client.Reverse"
	}
	return "sync.Desk.send"
}

// send replays one outbox action, the request stored with it, to the shop
// and applies the shop's answer to the cache in the same transaction that
// marks it done. The request is sent as it was queued, with the staff
// session of whoever made it while the desk has one; only a signature's PNG
// is read from where the desk keeps it, once, and a delivery whose maker
// has no session (any more) goes as recorded offline, stated by the desk.
func (d *Desk) send(ctx context.Context, r outboxRow) (answer any, err error) {
	op := actionOp(r.Kind)
	session := d.session(r.StaffID)
	answer, err = d.sendWith(ctx, r, op, session)
	if err != nil && session != "" && skranke.KindOf(err) == skranke.Unauthorized {
		// The shop has ended the session (expiry, or a restart of the
		// shop's database): the desk forgets it. A delivery (or its
		// undoing) happened all the same, so it goes once more as stated
		// by the desk; a
		// redemption or credit is refused, and staff log in again.
		d.dropSession(r.StaffID, session)
		if r.Kind == kindDelivery || r.Kind == kindSignature || r.Kind == kindReversal {
			if r, err = d.reload(ctx, r); err != nil {
				return nil, err
			}
			answer, err = d.sendWith(ctx, r, op, "")
		}
	}
	if err != nil && refusal(err) && (r.Kind == kindDelivery || r.Kind == kindReversal) {
		a, ok, lerr := d.shopHasIt(ctx, r, op)
		if ok {
			return a, nil
		}
		if lerr != nil {
			// Whether the shop has it is not known: the action stays
			// queued and goes again, rather than to the managers'
			// conflicts, which only a manager's retry would clear.
			return nil, skranke.E(op, skranke.Unavailable, fmt.Errorf("refused (%v), and the shop could not say whether it has it: %w", err, lerr))
		}
	}
	return answer, err
}

// shopHasIt settles a delivery or undoing the shop refused when the shop
// holds it already under its ID, and reports whether it did. The desk sends
// again what the shop may have: after a restore of the shop (startOver),
// or when the answer was lost and the staff member's session ended before
// the resend. It then goes as recorded offline, other words under the
// same ID, and the shop refuses the key's reuse (422); or the shop refuses
// it for its maker having left the centre since (403). The purchase as the
// shop has it tells: what it holds is done, not a conflict for a manager.
//
// err is set when the shop could not be asked, or failed to answer for the
// purchase (unreachable, a server error): the refusal then proves nothing
// yet. Any other answer (not found, another centre's) lets it stand.
func (d *Desk) shopHasIt(ctx context.Context, r outboxRow, op string) (answer any, ok bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	p, _, err := d.cl.Purchase(cctx, r.Code)
	cancel()
	d.noteReach(err)
	if k := skranke.KindOf(err); err != nil && (k == skranke.Unavailable || k == skranke.Internal) {
		return nil, false, fmt.Errorf("ask the shop for purchase %s: %w", r.Code, err)
	}
	if err != nil {
		return nil, false, nil // The shop's answer (not found, another centre's): the refusal stands.
	}
	if p == nil {
		return nil, false, nil
	}
	switch r.Kind {
	case kindDelivery:
		for _, dl := range p.Deliveries {
			if dl.ID == r.Key {
				a := DeliveryAnswer{Delivery: dl, Purchase: *p}
				if err := d.storeDelivery(ctx, r, &a); err != nil {
					slog.Warn("keep a delivery the shop had already", "op", op, "id", r.Key, "err", err)
					return nil, false, nil
				}
				return a, true, nil
			}
		}
	case kindReversal:
		for _, rv := range p.Reversals {
			if rv.ID == r.Key {
				a := ReversalAnswer{Reversal: rv, Purchase: *p}
				if err := d.storeReversal(ctx, r, &a); err != nil {
					slog.Warn("keep an undoing the shop had already", "op", op, "id", r.Key, "err", err)
					return nil, false, nil
				}
				return a, true, nil
			}
		}
	}
	return nil, false, nil
}

// reload reads r again: sendWith may have rewritten its body.
func (d *Desk) reload(ctx context.Context, r outboxRow) (outboxRow, error) {
	return d.c.outboxRow(ctx, r.ID)
}

func (d *Desk) sendWith(ctx context.Context, r outboxRow, op, session string) (any, error) {
	body := r.Body
	switch r.Kind {
	case kindSignature:
		if err := d.c.r.QueryRowContext(ctx, "SELECT png FROM signatures WHERE id = ?", r.Key).Scan(&body); err != nil {
			return nil, skranke.E(op, skranke.Internal, fmt.Errorf("signature %s is missing from the desk: %w", r.Key, err))
		}
	case kindDelivery, kindReversal:
		var err error
		if body, err = d.deliveryBody(ctx, r, session); err != nil {
			return nil, err
		}
		if offlineBody(body) {
			session = "" // What the desk stated, not what a session proves.
		}
	}
	c := call{op: op, method: r.Method, path: r.Path, raw: body, ctype: r.CType, session: session, approver: r.approver}
	if r.Method == http.MethodPost {
		c.idemKey = r.Key // The action's ID: a resend is recognised, never done twice.
	}
	b, err := d.cl.do(ctx, c)
	d.noteReach(err)
	if err != nil {
		return nil, err
	}
	return d.applyAnswer(ctx, r, op, b)
}

// offlineBody reports whether a queued delivery body is recorded offline.
func offlineBody(body []byte) bool {
	var v struct {
		RecordedOffline bool `json:"recorded_offline"`
	}
	return json.Unmarshal(body, &v) == nil && v.RecordedOffline
}

// deliveryBody returns the body to send for the queued delivery or reversal r. Without
// a session it must be recorded offline, stated by the desk: a body queued
// under a session that has ended since is rewritten so, in the outbox and
// in the report, before it is sent, so that every later attempt sends the
// same bytes under the same key.
func (d *Desk) deliveryBody(ctx context.Context, r outboxRow, session string) ([]byte, error) {
	if session != "" || offlineBody(r.Body) {
		return r.Body, nil
	}
	// Kept as its JSON, so that a reversal's body comes through whole too.
	var db map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &db); err != nil {
		return nil, skranke.E("sync.Desk.deliveryBody", skranke.Internal, fmt.Errorf("queued %s %s is damaged: %w", r.Kind, r.Key, err))
	}
	by, _ := json.Marshal(r.StaffID)
	db["recorded_offline"], db["stated_by"] = json.RawMessage("true"), by
	body, _ := json.Marshal(db)
	err := d.c.write(ctx, "sync.Desk.deliveryBody", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE outbox SET body = ?, updated_at = ? WHERE id = ?", body, time.Now().UnixNano(), r.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE activities SET body = CAST(json_set(CAST(body AS TEXT), '$.stated_by_desk', json('true')) AS BLOB)
WHERE id = ? AND synced = 0`, r.Key)
		return err
	})
	if err != nil {
		return nil, err
	}
	return body, nil
}

// applyAnswer stores what the shop answered to the outbox action r and marks
// r done, in one transaction. It returns the decoded answer. The commit
// skips the fsync: should a power cut lose it, r is pending (or sending)
// again and is sent again with its idempotency key, and the shop answers
// as it did, doing nothing twice; so a drain pays no fsync per action.
func (d *Desk) applyAnswer(ctx context.Context, r outboxRow, op string, b []byte) (any, error) {
	switch r.Kind {
	case kindSignature:
		// Only the shop's own answer naming the signature proves it has
		// it: the desk's copy is deleted next.
		var a struct {
			ID string `json:"id"`
		}
		if err := decode(op, b, &a); err != nil {
			return nil, err
		}
		if a.ID != r.Key {
			return nil, skranke.E(op, skranke.Internal, unreadableAnswer{fmt.Errorf("the shop answered the upload of signature %s about %q", r.Key, a.ID)})
		}
		return nil, d.c.writeSecure(ctx, op, func(tx *sql.Tx) error {
			// The shop keeps it now (docs/privacy.md): the desk needs no
			// copy of the buyer's signature.
			if _, err := tx.ExecContext(ctx, "DELETE FROM signatures WHERE id = ?", r.Key); err != nil {
				return err
			}
			return setState(ctx, tx, r.ID, stateDone, "")
		})
	case kindDelivery:
		var a DeliveryAnswer
		if err := decode(op, b, &a); err != nil {
			return nil, err
		}
		return a, d.storeDelivery(ctx, r, &a)
	case kindRedemption:
		var a RedemptionAnswer
		if err := decode(op, b, &a); err != nil {
			return nil, err
		}
		return a, d.storeRedemption(ctx, r.ID, &a)
	case kindCredit:
		var a CreditAnswer
		if err := decode(op, b, &a); err != nil {
			return nil, err
		}
		return a, d.storeCredit(ctx, r.ID, &a)
	case kindReversal:
		var a ReversalAnswer
		if err := decode(op, b, &a); err != nil {
			return nil, err
		}
		return a, d.storeReversal(ctx, r, &a)
	}
	return nil, skranke.E(op, skranke.Internal, "unknown action kind "+r.Kind)
}

func (d *Desk) storeDelivery(ctx context.Context, r outboxRow, a *DeliveryAnswer) error {
	return d.c.writeRelaxed(ctx, "sync.Desk.storeDelivery", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		if err := w.putPurchase(&a.Purchase, nil); err != nil {
			return err
		}
		for i := range a.Cards {
			if err := w.putCard(&a.Cards[i]); err != nil {
				return err
			}
		}
		if !hasDelivery(&a.Purchase, a.Delivery.ID) {
			if err := w.putActivity(deliveryActivity(&a.Purchase, &a.Delivery, true)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE activities SET synced = 1 WHERE id = ?", r.Key); err != nil {
			return err
		}
		return setState(ctx, tx, r.ID, stateDone, "")
	})
}

// hasReversal reports whether p lists the reversal with the given ID.
func hasReversal(p *skranke.Purchase, id string) bool {
	return slices.ContainsFunc(p.Reversals, func(r skranke.Reversal) bool { return r.ID == id })
}

func hasDelivery(p *skranke.Purchase, id string) bool {
	for _, d := range p.Deliveries {
		if d.ID == id {
			return true
		}
	}
	return false
}

func (d *Desk) storeRedemption(ctx context.Context, rowID int64, a *RedemptionAnswer) error {
	return d.c.writeRelaxed(ctx, "sync.Desk.storeRedemption", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		if err := w.putCard(&a.Card); err != nil {
			return err
		}
		if a.Remainder != nil {
			if err := w.putCard(a.Remainder); err != nil {
				return err
			}
		}
		if err := w.putRedemption(&a.Redemption, true); err != nil {
			return err
		}
		return setState(ctx, tx, rowID, stateDone, "")
	})
}

func (d *Desk) storeCredit(ctx context.Context, rowID int64, a *CreditAnswer) error {
	return d.c.writeRelaxed(ctx, "sync.Desk.storeCredit", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		if err := w.putPurchase(&a.Purchase, nil); err != nil {
			return err
		}
		if err := w.putActivity(creditActivity(&a.Purchase, &a.Credit, true)); err != nil {
			return err
		}
		return setState(ctx, tx, rowID, stateDone, "")
	})
}

// drain sends the outbox in order until it is empty, the shop fails, or ctx
// ends. A refused action moves to the conflicts list, or, when it is the
// action a member of staff is waiting for (interactive), to refused, because
// they are told at once. So does an action the shop has failed on
// maxServerFailures times in a row (see noteFailure), and the drain goes on
// with the next. It returns the outcome for interactive.
func (d *Desk) drain(ctx context.Context, interactive int64) (outcome sendOutcome, err error) {
	select {
	case d.sendSem <- struct{}{}:
	case <-ctx.Done():
		return outcome, skranke.E("sync.Desk.drain", skranke.Unavailable, ctx.Err())
	case <-d.closed:
		return outcome, skranke.E("sync.Desk.drain", skranke.Unavailable, "the desk is closed")
	}
	defer func() { <-d.sendSem }()
	for {
		r, ok, err := d.c.nextPending(ctx)
		if err != nil || !ok {
			return outcome, err
		}
		if r.DependsOn != 0 {
			dep, err := d.c.outboxRow(ctx, r.DependsOn)
			if err == nil && dep.State != stateDone && dep.State != statePending {
				reason := "its signature was not accepted by the shop: " + dep.LastError
				state := stateConflict
				if r.ID == interactive {
					// Staff are waiting: they hear of it now, and neither
					// the delivery nor its signature waits for a manager.
					state = stateRefused
					outcome = sendOutcome{sent: true, err: skranke.E("sync.Desk.drain", skranke.Invalid, "the shop did not accept the signature, so nothing was handed over: "+dep.LastError)}
				}
				if err := d.c.write(ctx, "sync.Desk.drain", func(tx *sql.Tx) error {
					if state == stateRefused {
						if err := setState(ctx, tx, dep.ID, stateRefused, dep.LastError); err != nil {
							return err
						}
					}
					return setState(ctx, tx, r.ID, state, reason)
				}); err != nil {
					return outcome, err
				}
				d.notify()
				if r.ID == interactive {
					return outcome, nil
				}
				continue
			}
		}
		answer, err := d.send(ctx, r)
		switch {
		case err == nil:
			if r.ID == interactive {
				outcome = sendOutcome{sent: true, answer: answer}
			}
		case refusal(err):
			state := stateConflict
			if r.ID == interactive {
				state = stateRefused
				outcome = sendOutcome{sent: true, err: err}
			}
			msg := err.Error()
			var se *StatusError
			if errors.As(err, &se) {
				msg = se.Message
			}
			if werr := d.c.write(ctx, "sync.Desk.drain", func(tx *sql.Tx) error {
				if err := setState(ctx, tx, r.ID, state, msg); err != nil {
					return err
				}
				if se != nil && se.Purchase != nil {
					w, err := newWriter(ctx, tx)
					if err != nil {
						return err
					}
					return w.putPurchase(se.Purchase, nil)
				}
				return nil
			}); werr != nil {
				return outcome, werr
			}
		default:
			moved, nerr := d.noteFailure(context.WithoutCancel(ctx), r, err)
			if nerr != nil {
				return outcome, errors.Join(err, nerr)
			}
			if !moved {
				return outcome, err
			}
			// Not dropped: it waits for a manager, and the queue moves on.
			slog.Warn("outbox action moved to conflicts after repeated server failures",
				"id", r.ID, "kind", r.Kind, "code", r.Code, "err", err)
			if interactive != 0 {
				// It was the waited-for action or its signature; the
				// rest is the loop's work.
				d.notify()
				return outcome, nil
			}
		}
		d.notify()
		if r.ID == interactive {
			return outcome, nil // Later actions are the loop's work.
		}
	}
}

// sendOutcome is what became of the action a member of staff waits for.
type sendOutcome struct {
	sent   bool // The shop gave its answer: answer or err.
	answer any
	err    error
}

// resolveSending settles redemptions and credits whose synchronous send had
// no clear outcome (the answer was lost, the shop failed, or the desk
// stopped while sending) and that could not be settled at once: the shop
// resolves each (see settle), once and for good.
func (d *Desk) resolveSending(ctx context.Context) error {
	rows, err := d.c.r.QueryContext(ctx, "SELECT "+outboxCols+" FROM outbox WHERE state = 'sending' ORDER BY id")
	if err != nil {
		return skranke.E("sync.Desk.resolveSending", skranke.Internal, err)
	}
	var todo []outboxRow
	for rows.Next() {
		r, err := scanOutbox(rows)
		if err != nil {
			rows.Close()
			return skranke.E("sync.Desk.resolveSending", skranke.Internal, err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	for _, r := range todo {
		if d.isInflight(r.Key) {
			continue
		}
		if _, settled, err := d.settle(ctx, r); !settled {
			return err
		}
		d.notify()
	}
	return nil
}

// sqlConflict selects the outbox rows waiting for a manager. A refused
// signature is handled with the delivery that needs it, so it is not listed
// on its own when that delivery is.
const sqlConflict = `state = 'conflict' AND NOT (kind = 'signature' AND EXISTS
 (SELECT 1 FROM outbox dep WHERE dep.depends_on = outbox.id AND dep.state = 'conflict'))`

// sqlStatus counts the actions Status reports: pending ones from the
// counters the outbox's triggers keep (a signature is part of its
// delivery), so it costs the same with ten thousand waiting as with none;
// conflicts, which a manager keeps few, by query.
const sqlStatus = `SELECT
 coalesce((SELECT n FROM outbox_counts WHERE state = 'pending' AND signature = 0), 0),
 (SELECT count(*) FROM outbox WHERE ` + sqlConflict + `),
 (SELECT count(*) FROM feed_refused)`

// Conflicts lists the outbox actions the shop refused, oldest first.
func (d *Desk) Conflicts(ctx context.Context) ([]OutboxConflict, error) {
	rows, err := d.c.r.QueryContext(ctx, "SELECT id, kind, summary, last_error, created_at, staff_id FROM outbox WHERE "+sqlConflict+" ORDER BY id")
	if err != nil {
		return nil, skranke.E("sync.Desk.Conflicts", skranke.Internal, err)
	}
	defer rows.Close()
	var cs []OutboxConflict
	for rows.Next() {
		var c OutboxConflict
		var at int64
		if err := rows.Scan(&c.ID, &c.Kind, &c.Summary, &c.Reason, &at, &c.StaffID); err != nil {
			return nil, skranke.E("sync.Desk.Conflicts", skranke.Internal, err)
		}
		c.At = fromNanos(at)
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, skranke.E("sync.Desk.Conflicts", skranke.Internal, err)
	}
	return cs, nil
}

// Retry puts a refused action back in the outbox (with the signature it
// needs) and asks the loop to send it.
func (d *Desk) Retry(ctx context.Context, id int64) error {
	r, err := d.c.outboxRow(ctx, id)
	if err != nil {
		return err
	}
	if r.State != stateConflict {
		return skranke.E("sync.Desk.Retry", skranke.Invalid, fmt.Sprintf("action %d is not waiting for a manager (it is %s)", id, r.State))
	}
	err = d.c.write(ctx, "sync.Desk.Retry", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE outbox SET state = 'pending', attempts = 0, updated_at = ? WHERE state = 'conflict' AND (id = ? OR id = ?)",
			time.Now().UnixNano(), id, r.DependsOn)
		return err
	})
	if err != nil {
		return err
	}
	d.notify()
	d.kickLoop()
	return nil
}

// Discard drops a refused action, recording who did it and why. Only a
// manager may discard.
func (d *Desk) Discard(ctx context.Context, id int64, reason string, staff skranke.Staff) error {
	if staff.Role != skranke.RoleManager {
		return skranke.E("sync.Desk.Discard", skranke.Forbidden, "only a manager can discard a refused action")
	}
	r, err := d.c.outboxRow(ctx, id)
	if err != nil {
		return err
	}
	if r.State != stateConflict {
		return skranke.E("sync.Desk.Discard", skranke.Invalid, fmt.Sprintf("action %d is not waiting for a manager (it is %s)", id, r.State))
	}
	err = d.c.write(ctx, "sync.Desk.Discard", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE outbox SET state = 'discarded', resolved_by = ?, resolve_reason = ?, updated_at = ? WHERE state = 'conflict' AND (id = ? OR id = ?)",
			staff.ID, reason, time.Now().UnixNano(), id, r.DependsOn)
		if err != nil {
			return err
		}
		// It never happened as far as the shop is concerned: out of the
		// report. The outbox row keeps who discarded it and why.
		_, err = tx.ExecContext(ctx, "DELETE FROM activities WHERE id = ? AND synced = 0", r.Key)
		return err
	})
	if err != nil {
		return err
	}
	d.notify()
	return nil
}

// OutboxRetention is how long settled outbox actions are kept on the desk
// for inspection; the shop keeps the records themselves.
const OutboxRetention = 90 * 24 * time.Hour

// prune deletes outbox actions settled before t. Pending actions and
// conflicts are never pruned.
func (c *cache) prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := c.write(ctx, "sync.cache.prune", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE state IN ('done', 'refused', 'discarded', 'abandoned') AND updated_at < ?`, before.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
