package shop

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke"
)

// updateReading implements readAheadUpdater: fn runs as in Update, and
// the rows ra names are read in the round trip that opens fn's savepoint.
func (s *Postgres) updateReading(ctx context.Context, ra *readAhead, fn func(Tx) error) error {
	return s.commits.update(ctx, ra, fn)
}

// aheadRow is a row read ahead (see readAhead): found, and its values.
type aheadRow struct {
	found      bool
	doc        []byte
	unsearched bool // A purchase's search text is '' (see pgStoredPurchase).
	idem       IdempotencyRecord
	sess       Session
}

// Keys of rows read ahead: a kind and the row's key.
const (
	aheadIdem     = "idempotency\x00"
	aheadSession  = "session\x00"
	aheadStaff    = "staff\x00"
	aheadPurchase = "purchase\x00"
	aheadDelivery = "delivery\x00"
	aheadCards    = "cards\x00" // A purchase's cards, all docs in one JSON array.
)

// queueAhead queues the reads of ra's rows, which fill t.ahead when the
// batch is sent. The rows read before are forgotten.
func (t *pgTx) queueAhead(ra *readAhead) {
	clear(t.ahead)
	if ra == nil {
		return
	}
	if t.ahead == nil {
		t.ahead = map[string]aheadRow{}
	}
	// read queues query, whose row scan fills a found row; no row is a
	// row known not to exist, not an error.
	read := func(key, query string, scan func(pgx.Row, *aheadRow) error, args ...any) {
		t.batch.Queue(query, args...).QueryRow(func(row pgx.Row) error {
			var r aheadRow
			err := scan(row, &r)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			r.found = err == nil
			t.ahead[key] = r
			t.done++
			return nil
		})
		t.ops = append(t.ops, "read ahead")
	}
	if ra.idemKey != "" {
		read(aheadIdem+ra.idemScope+"\x00"+ra.idemKey, idempotencyQuery, func(row pgx.Row, r *aheadRow) error {
			r.idem = IdempotencyRecord{Scope: ra.idemScope, Key: ra.idemKey}
			return scanIdempotency(row, &r.idem)
		}, ra.idemScope, ra.idemKey)
	}
	if ra.session != "" {
		// The session and its staff member, whom the request acts as.
		read(aheadSession+ra.session, `SELECT s.desk_id, s.staff_id, s.created_at, s.last_used, s.expires_at, st.doc
			FROM staff_sessions s LEFT JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = $1`,
			func(row pgx.Row, r *aheadRow) error {
				r.sess = Session{TokenHash: ra.session}
				var staff []byte
				var c, u, e int64
				err := row.Scan(&r.sess.DeskID, &r.sess.StaffID, &c, &u, &e, &staff)
				if err == nil {
					r.sess.CreatedAt, r.sess.LastUsed, r.sess.ExpiresAt = msTime(c), msTime(u), msTime(e)
					t.ahead[aheadStaff+r.sess.StaffID] = aheadRow{found: staff != nil, doc: staff}
				}
				return err
			}, ra.session)
	}
	scanDoc := func(row pgx.Row, r *aheadRow) error { return row.Scan(&r.doc) }
	if ra.purchase != "" {
		read(aheadPurchase+ra.purchase, purchaseQuery, func(row pgx.Row, r *aheadRow) error {
			return row.Scan(&r.doc, &r.unsearched)
		}, ra.purchase)
	}
	if ra.delivery != "" {
		read(aheadDelivery+ra.delivery, deliveryQuery, scanDoc, ra.delivery)
	}
	if ra.purchase != "" && ra.purchaseCards {
		read(aheadCards+ra.purchase, `SELECT '['::bytea || coalesce(string_agg(doc, ','::bytea ORDER BY seq), '') || ']'::bytea
			FROM cards WHERE purchase_code = $1 AND parent_code IS NULL`, scanDoc, ra.purchase)
	}
}

// forgetAhead forgets the rows read ahead, which a write may change,
// except a purchase's cards: only PutCard writes cards, and it forgets
// them (see pgTx.PutCard).
func (t *pgTx) forgetAhead() {
	for k := range t.ahead {
		if !strings.HasPrefix(k, aheadCards) {
			delete(t.ahead, k)
		}
	}
}

// takeAhead returns the row read ahead under key, once: a second read, or
// a read after a write, goes to the database.
func (t *pgTx) takeAhead(key string) (aheadRow, bool) {
	r, ok := t.ahead[key]
	if ok {
		delete(t.ahead, key)
	}
	return r, ok
}

// getDocAhead is getDoc served from the row read ahead under key if there
// is one.
func (t *pgTx) getDocAhead(key, op, what string, v any, query string, args ...any) error {
	r, ok := t.takeAhead(key)
	if !ok {
		return t.getDoc(op, what, v, query, args...)
	}
	if !r.found {
		return skranke.E(op, skranke.NotFound, what+" not found")
	}
	return decodeDoc(op, what, r.doc, v)
}

// queueSeqAhead queues the read of the changes feed's counter, which a
// group's first item numbered will need, with the group's first statements.
func (t *pgTx) queueSeqAhead() {
	t.batch.Queue(feedHeadQuery).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&t.seq); err != nil {
			return err
		}
		t.seqRead = true
		t.done++
		return nil
	})
	t.ops = append(t.ops, "read the feed's counter")
}

const (
	idempotencyQuery = "SELECT fingerprint, status, content_type, body, created_at FROM idempotency WHERE scope = $1 AND key = $2"
	purchaseQuery    = "SELECT doc, search = '' FROM purchases WHERE code = $1"
	deliveryQuery    = "SELECT doc FROM deliveries WHERE id = $1"
)

// scanIdempotency reads a row of idempotencyQuery into r.
func scanIdempotency(row pgx.Row, r *IdempotencyRecord) error {
	var at int64
	err := row.Scan(&r.Fingerprint, &r.Status, &r.ContentType, &r.Body, &at)
	r.CreatedAt = time.UnixMilli(at).UTC()
	return err
}

// viewStatements implements statementViewer: fn's statements run one by
// one outside a transaction.
func (s *Postgres) viewStatements(ctx context.Context, fn func(Tx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return skranke.E("shop.Postgres.View", skranke.Internal, err)
	}
	defer conn.Release()
	return fn(&pgTx{ctx: ctx, c: conn, batch: &pgx.Batch{}})
}
