package shop

import (
	"context"
	"fmt"
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

// queueAhead queues the read of ra's rows, which fills t.ahead when the
// batch is sent. The rows read before are forgotten. All rows come in one
// statement (aheadQuery): the server pays its per-statement work (bind,
// executor start and end, relation locks) once for them, not five times,
// and this is what every mutation does while it holds the chain's lock.
func (t *pgTx) queueAhead(ra *readAhead) {
	clear(t.ahead)
	if t.ahead == nil {
		t.ahead = map[string]aheadRow{}
	}
	t.queueAheadInto(t.ahead, ra)
}

// queueAheadInto queues the read of ra's rows, which fills rows when the
// batch is sent.
func (t *pgTx) queueAheadInto(rows map[string]aheadRow, ra *readAhead) {
	t.queueAheadMany([]map[string]aheadRow{rows}, []*readAhead{ra})
}

// queueAheadMany queues the read of the rows of each of ras (nil: none),
// which fills the rows of the same index when the batch is sent: in one
// statement whatever their number.
func (t *pgTx) queueAheadMany(rows []map[string]aheadRow, ras []*readAhead) {
	var idx []int // Index in ras of each one read.
	var scopes, keys, sessions, purchases, deliveries, cards []string
	for i, ra := range ras {
		if ra == nil || *ra == (readAhead{}) {
			continue
		}
		c := ""
		if ra.purchaseCards {
			c = ra.purchase
		}
		idx = append(idx, i)
		scopes, keys, sessions = append(scopes, ra.idemScope), append(keys, ra.idemKey), append(sessions, ra.session)
		purchases, deliveries, cards = append(purchases, ra.purchase), append(deliveries, ra.delivery), append(cards, c)
	}
	if len(idx) == 0 {
		return
	}
	t.seal()
	t.batch.Queue(aheadQuery, scopes, keys, sessions, purchases, deliveries, cards).Query(func(res pgx.Rows) error {
		defer res.Close()
		for res.Next() {
			var (
				n                         int
				idemStatus                *int32
				idemFP, idemType          *string
				idemBody                  []byte
				idemAt                    *int64
				sessDesk, sessStaff       *string
				sessC, sessU, sessE       *int64
				staff, purchase, delivery []byte
				unsearched                *bool
				cardDocs                  []byte
			)
			if err := res.Scan(&n, &idemFP, &idemStatus, &idemType, &idemBody, &idemAt,
				&sessDesk, &sessStaff, &sessC, &sessU, &sessE, &staff,
				&purchase, &unsearched, &delivery, &cardDocs); err != nil {
				return err
			}
			if n < 1 || n > len(idx) {
				return fmt.Errorf("read ahead: row %d of %d", n, len(idx))
			}
			ra, rows := ras[idx[n-1]], rows[idx[n-1]]
			if ra.idemKey != "" {
				r := aheadRow{found: idemStatus != nil, idem: IdempotencyRecord{Scope: ra.idemScope, Key: ra.idemKey}}
				if r.found {
					r.idem.Fingerprint, r.idem.Status, r.idem.ContentType, r.idem.Body = *idemFP, int(*idemStatus), *idemType, idemBody
					r.idem.CreatedAt = time.UnixMilli(*idemAt).UTC()
				}
				rows[aheadIdem+ra.idemScope+"\x00"+ra.idemKey] = r
			}
			if ra.session != "" {
				// The session and its staff member, whom the request acts as.
				r := aheadRow{found: sessDesk != nil, sess: Session{TokenHash: ra.session}}
				if r.found {
					r.sess.DeskID, r.sess.StaffID = *sessDesk, *sessStaff
					r.sess.CreatedAt, r.sess.LastUsed, r.sess.ExpiresAt = msTime(*sessC), msTime(*sessU), msTime(*sessE)
					rows[aheadStaff+r.sess.StaffID] = aheadRow{found: staff != nil, doc: staff}
				}
				rows[aheadSession+ra.session] = r
			}
			if ra.purchase != "" {
				rows[aheadPurchase+ra.purchase] = aheadRow{found: purchase != nil, doc: purchase, unsearched: unsearched != nil && *unsearched}
			}
			if ra.delivery != "" {
				rows[aheadDelivery+ra.delivery] = aheadRow{found: delivery != nil, doc: delivery}
			}
			if ra.purchaseCards {
				rows[aheadCards+ra.purchase] = aheadRow{found: true, doc: cardDocs}
			}
		}
		if err := res.Err(); err != nil {
			return err
		}
		t.done++
		return nil
	})
	t.ops = append(t.ops, "read ahead")
}

// aheadQuery reads the rows of readAheads, each found or not (NULLs), in
// a row each, numbered from 1 in the order given: in $1, $2 the scope and
// key of an idempotency record, in $3 a staff session's token hash (and
// its staff member), $4 a purchase's code, $5 a delivery's id, $6 the code
// of the purchase whose gift cards to read (all their docs as one JSON
// array). An empty key finds nothing: no row has one.
//
// Each row is looked up by its key in a subquery of its own (LIMIT 1
// keeps the planner from making them joins): the plan is made once per
// connection (see OpenPostgres), and as joins it was made while a new
// shop's tables were near empty, scanning them whole (hash joins), and
// kept while they grew.
const aheadQuery = `SELECT r.n, i.fingerprint, i.status, i.content_type, i.body, i.created_at,
		s.desk_id, s.staff_id, s.created_at, s.last_used, s.expires_at, s.doc,
		p.doc, p.unsearched, d.doc,
		(SELECT '['::bytea || coalesce(string_agg(c.doc, ','::bytea ORDER BY c.seq), '') || ']'::bytea
			FROM cards c WHERE c.purchase_code = r.cards AND c.parent_code IS NULL)
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
		WITH ORDINALITY AS r (scope, key, sess, code, did, cards, n)
	LEFT JOIN LATERAL (SELECT fingerprint, status, content_type, body, created_at FROM idempotency
		WHERE scope = r.scope AND key = r.key LIMIT 1) i ON true
	LEFT JOIN LATERAL (SELECT ss.desk_id, ss.staff_id, ss.created_at, ss.last_used, ss.expires_at,
			(SELECT st.doc FROM staff st WHERE st.id = ss.staff_id LIMIT 1) AS doc
		FROM staff_sessions ss WHERE ss.token_hash = r.sess LIMIT 1) s ON true
	LEFT JOIN LATERAL (SELECT doc, search = '' AS unsearched FROM purchases WHERE code = r.code LIMIT 1) p ON true
	LEFT JOIN LATERAL (SELECT doc FROM deliveries WHERE id = r.did LIMIT 1) d ON true
	ORDER BY r.n`

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
	t.seal()
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
