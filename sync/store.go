package sync

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/skranke/skranke"
)

// The SQL of the cache's hot paths, kept together so that each is prepared
// once per transaction.
const (
	sqlUpsertPurchase = `INSERT INTO purchases(code, seq, body, cached_at, created, status, remaining, products) VALUES(?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(code) DO UPDATE SET seq = excluded.seq, body = excluded.body, cached_at = excluded.cached_at,
created = excluded.created, status = excluded.status, remaining = excluded.remaining, products = excluded.products
WHERE excluded.seq >= purchases.seq RETURNING rowid`
	// sqlFilePurchase is sqlUpsertPurchase for a purchase filed with its
	// search columns but without its search words, month facts and pickup
	// rows (writer.deferIndex): sqlQueueIndex queues it for those. Without
	// RETURNING, which SQLite runs as a trigger, the statement needs no
	// statement journal: a page of the feed is filed without copying every
	// index page it touches.
	sqlFilePurchase = `INSERT INTO purchases(code, seq, body, cached_at, created, status, remaining, products) VALUES(?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(code) DO UPDATE SET seq = excluded.seq, body = excluded.body, cached_at = excluded.cached_at,
created = excluded.created, status = excluded.status, remaining = excluded.remaining, products = excluded.products
WHERE excluded.seq >= purchases.seq`
	// sqlQueueIndex queues the purchase filed by sqlFilePurchase for
	// Desk.indexCached.
	sqlQueueIndex = "INSERT OR IGNORE INTO unindexed(purchase) SELECT rowid FROM purchases WHERE code = ?"
	// sqlQueueIndexRange queues the purchases fileMany inserted, the
	// newest rowids.
	sqlQueueIndexRange = "INSERT OR IGNORE INTO unindexed(purchase) SELECT rowid FROM purchases WHERE rowid BETWEEN ? AND ?"
	// sqlIndexed takes a purchase indexed with its row out of the queue.
	sqlIndexed = "DELETE FROM unindexed WHERE purchase = ?"
	// sqlFileNew files purchases the cache does not hold yet, many to a
	// statement (writer.fileMany): sqlFileRow once per purchase. OR IGNORE
	// rather than sqlFilePurchase's upsert, because a statement of many
	// rows that may abort half-way (an upsert's update may) makes SQLite
	// copy each page it touches to a statement journal first; one that
	// ignores a row it cannot insert never rolls back the rows before it.
	sqlFileNew    = `INSERT OR IGNORE INTO purchases(code, seq, body, cached_at, created, status, remaining, products) VALUES`
	sqlFileRow    = `(?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpsertCard = `INSERT INTO cards(code, seq, parent, body, cached_at, purchase, issued_day, end_day, owed, amount) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(code) DO UPDATE SET seq = excluded.seq, parent = excluded.parent, body = excluded.body, cached_at = excluded.cached_at,
purchase = excluded.purchase, issued_day = excluded.issued_day, end_day = excluded.end_day, owed = excluded.owed, amount = excluded.amount
WHERE excluded.seq >= cards.seq`
	sqlUpsertActivity = `INSERT INTO activities(id, kind, at, code, staff_id, staff_name, buyer, products, amount, signature_id, synced, body)
VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET at = excluded.at, staff_name = CASE WHEN excluded.staff_name <> '' THEN excluded.staff_name ELSE activities.staff_name END,
buyer = excluded.buyer, products = excluded.products, amount = excluded.amount, signature_id = excluded.signature_id,
synced = max(activities.synced, excluded.synced), body = excluded.body`
	sqlGetPurchase = "SELECT body, cached_at FROM purchases WHERE code = ?"
	sqlGetCard     = "SELECT body, cached_at FROM cards WHERE code = ?"
	sqlGetPending  = `SELECT a.body FROM outbox o JOIN activities a ON a.id = o.key
WHERE o.code = ? AND o.kind = 'delivery' AND o.state = 'pending' ORDER BY o.id`
	sqlUpsertRedemption = `INSERT INTO redemptions(id, card_code, at, body) VALUES(?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET body = excluded.body`
)

// writer holds the statements of one write transaction.
type writer struct {
	ctx                                   context.Context
	tx                                    *sql.Tx
	purchase, card, activity, redemptionS *sql.Stmt
	search                                *sql.Stmt // Lazily prepared: see indexPurchase.
	file, queue, indexed                  *sql.Stmt // Lazily prepared: sqlFilePurchase, sqlQueueIndex, sqlIndexed.
	fileN                                 *sql.Stmt // Lazily prepared: fileMany's statement for fileManyRows.
	fileArgs                              []any     // fileMany's arguments, kept between calls.
	factDel, factIns                      *sql.Stmt // Lazily prepared: see putFacts.
	pickupDel, pickupIns                  *sql.Stmt // Lazily prepared: see putPickup.
	// deferIndex files purchases with their search columns but without
	// their search words, month facts and pickup rows, queued (table
	// unindexed) for Desk.indexCached to add later: a page of the changes
	// feed is filed faster so.
	deferIndex bool
	// bulk files month facts and pickup rows in the bulk indexing's own
	// tables (see bulkindex.go).
	bulk bool
	now  int64
}

func newWriter(ctx context.Context, tx *sql.Tx) (*writer, error) {
	w := &writer{ctx: ctx, tx: tx, now: time.Now().UnixNano()}
	var err error
	if w.purchase, err = tx.PrepareContext(ctx, sqlUpsertPurchase); err != nil {
		return nil, err
	}
	if w.card, err = tx.PrepareContext(ctx, sqlUpsertCard); err != nil {
		return nil, err
	}
	if w.activity, err = tx.PrepareContext(ctx, sqlUpsertActivity); err != nil {
		return nil, err
	}
	if w.redemptionS, err = tx.PrepareContext(ctx, sqlUpsertRedemption); err != nil {
		return nil, err
	}
	return w, nil
}

// putPurchase stores the shop's copy of p (raw is its JSON, or nil to encode
// p) and records its deliveries and credits for the daily report as synced.
func (w *writer) putPurchase(p *skranke.Purchase, raw []byte) error {
	if raw == nil {
		var err error
		if raw, err = json.Marshal(p); err != nil {
			return err
		}
	}
	cols := colsOf(p)
	if w.deferIndex {
		if err := w.fileOne(p.Code, p.Seq, raw, cols); err != nil {
			return err
		}
	} else {
		var rowid int64
		err := w.purchase.QueryRowContext(w.ctx, p.Code, p.Seq, raw, w.now, cols.created, cols.status, cols.remaining, cols.products).Scan(&rowid)
		switch {
		case errors.Is(err, sql.ErrNoRows): // An older copy than the cached one: kept out.
		case err != nil:
			return fmt.Errorf("store purchase %s: %w", p.Code, err)
		default:
			if err := w.indexPurchase(rowid, p); err != nil {
				return fmt.Errorf("index purchase %s: %w", p.Code, err)
			}
			if err := w.putFacts(rowid, p); err != nil {
				return fmt.Errorf("file the facts of purchase %s: %w", p.Code, err)
			}
			if err := w.putPickup(rowid, p); err != nil {
				return fmt.Errorf("file purchase %s for the pickup list: %w", p.Code, err)
			}
			if _, err := w.exec(&w.indexed, sqlIndexed, rowid); err != nil {
				return fmt.Errorf("index purchase %s: %w", p.Code, err)
			}
		}
	}
	for i := range p.Deliveries {
		if err := w.putActivity(deliveryActivity(p, &p.Deliveries[i], true)); err != nil {
			return err
		}
	}
	for i := range p.Credits {
		if err := w.putActivity(creditActivity(p, &p.Credits[i], true)); err != nil {
			return err
		}
	}
	for i := range p.Reversals {
		if err := w.putActivity(reversalActivity(p, &p.Reversals[i], true)); err != nil {
			return err
		}
	}
	return nil
}

// fileManyRows is how many purchases one statement of fileMany files.
// Filing them one statement each, SQLite opened and closed a cursor on the
// table and each of its indexes per purchase, starting at their root
// pages, and database/sql bound and reset the statement each time; past a
// few hundred thousand purchases those root pages were read again from the
// WAL or the database (3 s of pread in a first sync of a million, and the
// CPU per purchase grew by a third from the first tenth to the last). One
// statement for many rows keeps its cursors open across them.
const fileManyRows = yieldEvery

// fileMany files purchases of the changes feed as putPurchase does with
// deferIndex, for purchases without deliveries or credits (there is
// nothing more to record for those): codes, seqs, raws and cols are their
// codes, seqs, JSON and search columns, in the feed's order. A whole
// statement of purchases new to the cache, as in a first sync, is inserted
// at once and queued for indexing by the range of rowids it took; a
// statement that met a cached purchase (or one purchase twice) files its
// purchases again one by one with sqlFilePurchase, which keeps the newest
// copy of each.
func (w *writer) fileMany(codes []string, seqs []int64, raws [][]byte, cols []searchCols) error {
	for len(codes) > 0 {
		n := min(len(codes), fileManyRows)
		if n == fileManyRows {
			if w.fileN == nil {
				var err error
				q := sqlFileNew + sqlFileRow + strings.Repeat(","+sqlFileRow, fileManyRows-1)
				if w.fileN, err = w.tx.PrepareContext(w.ctx, q); err != nil {
					return fmt.Errorf("store purchase %s: %w", codes[0], err)
				}
			}
			args := w.fileArgs[:0]
			for i := range n {
				c := &cols[i]
				args = append(args, codes[i], seqs[i], raws[i], w.now, c.created, c.status, c.remaining, c.products)
			}
			w.fileArgs = args
			res, err := w.fileN.ExecContext(w.ctx, args...)
			if err != nil {
				return fmt.Errorf("store purchases %s to %s: %w", codes[0], codes[n-1], err)
			}
			if added, err := res.RowsAffected(); err == nil && added == int64(n) {
				// New rows take the rowids after the largest: the last
				// n.
				last, err := res.LastInsertId()
				if err == nil {
					_, err = w.tx.ExecContext(w.ctx, sqlQueueIndexRange, last-int64(n)+1, last)
				}
				if err != nil {
					return fmt.Errorf("queue purchases %s to %s for indexing: %w", codes[0], codes[n-1], err)
				}
				codes, seqs, raws, cols = codes[n:], seqs[n:], raws[n:], cols[n:]
				continue
			}
		}
		// A short tail, or rows the statement above ignored.
		for i := range n {
			if err := w.fileOne(codes[i], seqs[i], raws[i], cols[i]); err != nil {
				return err
			}
		}
		codes, seqs, raws, cols = codes[n:], seqs[n:], raws[n:], cols[n:]
	}
	return nil
}

// fileOne files one purchase of the changes feed with sqlFilePurchase and
// queues it for indexing, unless the cache holds a newer copy.
func (w *writer) fileOne(code string, seq int64, raw []byte, c searchCols) error {
	res, err := w.exec(&w.file, sqlFilePurchase, code, seq, raw, w.now, c.created, c.status, c.remaining, c.products)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return fmt.Errorf("store purchase %s: %w", code, err)
	}
	if n == 0 {
		return nil // An older copy than the cached one: kept out.
	}
	if _, err := w.exec(&w.queue, sqlQueueIndex, code); err != nil {
		return fmt.Errorf("queue purchase %s for indexing: %w", code, err)
	}
	return nil
}

// exec runs the statement q, prepared in *st the first time.
func (w *writer) exec(st **sql.Stmt, q string, args ...any) (sql.Result, error) {
	if *st == nil {
		var err error
		if *st, err = w.tx.PrepareContext(w.ctx, q); err != nil {
			return nil, err
		}
	}
	return (*st).ExecContext(w.ctx, args...)
}

// searchCols are the columns of a purchase's row copied out of its body,
// so that the pickup list and the sales read an index, not the bodies.
type searchCols struct {
	created   int64  // CreatedAt, Unix nanoseconds (0: none).
	status    string // Status.
	remaining int    // RemainingUnits.
	products  string // productList.
}

// colsOf returns p's search columns.
func colsOf(p *skranke.Purchase) searchCols {
	return searchCols{created: nanos(p.CreatedAt), status: string(p.Status), remaining: p.RemainingUnits(), products: productList(p)}
}

func (w *writer) putCard(c *skranke.Card) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	issued, end, owed := cardDays(c)
	if _, err := w.card.ExecContext(w.ctx, c.Code, c.Seq, c.ParentCode, raw, w.now, c.PurchaseCode, int(issued), int(end), int64(owed), int64(c.InitialAmount)); err != nil {
		return fmt.Errorf("store gift card %s: %w", c.Code, err)
	}
	return nil
}

func (w *writer) putRedemption(r *skranke.Redemption, synced bool) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := w.redemptionS.ExecContext(w.ctx, r.ID, r.CardCode, nanos(r.At), raw); err != nil {
		return fmt.Errorf("store redemption %s: %w", r.ID, err)
	}
	return w.putActivity(redemptionActivity(r, synced))
}

// activityRow is an Activity with its ID and the JSON of what it records.
type activityRow struct {
	ID string
	Activity
	Body any
}

func (w *writer) putActivity(a activityRow) error {
	body, err := json.Marshal(a.Body)
	if err != nil {
		return err
	}
	products, _ := json.Marshal(a.Products)
	_, err = w.activity.ExecContext(w.ctx, a.ID, a.Kind, nanos(a.At), a.Code, a.StaffID, a.StaffName, a.Buyer,
		string(products), int64(a.Amount), a.SignatureID, a.Synced, body)
	if err != nil {
		return fmt.Errorf("store %s %s: %w", a.Kind, a.ID, err)
	}
	return nil
}

func deliveryActivity(p *skranke.Purchase, d *skranke.Delivery, synced bool) activityRow {
	a := activityRow{ID: d.ID, Body: d, Activity: Activity{
		Kind: "delivery", At: d.At, StaffID: d.StaffID, StaffName: d.StaffName, Code: p.Code,
		Buyer: p.Buyer.Name, SignatureID: d.SignatureID, Synced: synced,
	}}
	for _, dl := range d.Lines {
		for _, l := range p.Lines {
			if l.ID != dl.LineID {
				continue
			}
			a.Products = append(a.Products, fmt.Sprintf("%d × %s", dl.Quantity, l.Name))
			if l.Quantity > 0 {
				a.Amount += l.Total() * skranke.Money(dl.Quantity) / skranke.Money(l.Quantity)
			}
		}
	}
	return a
}

func creditActivity(p *skranke.Purchase, c *skranke.Credit, synced bool) activityRow {
	a := activityRow{ID: c.ID, Body: c, Activity: Activity{
		Kind: "credit", At: c.At, StaffID: c.StaffID, StaffName: c.StaffName, Code: p.Code,
		Buyer: p.Buyer.Name, Amount: c.Amount, Synced: synced, ApproverName: c.ApproverName,
	}}
	for _, x := range c.Lines {
		for _, l := range p.Lines {
			if l.ID == x.LineID {
				a.Products = append(a.Products, fmt.Sprintf("%d × %s", x.Quantity, l.Name))
			}
		}
	}
	a.Products = append(a.Products, c.Reason)
	return a
}

func redemptionActivity(r *skranke.Redemption, synced bool) activityRow {
	a := activityRow{ID: r.ID, Body: r, Activity: Activity{
		Kind: "redemption", At: r.At, StaffID: r.StaffID, StaffName: r.StaffName, Code: r.CardCode,
		Amount: r.Amount, Synced: synced,
	}}
	if r.RemainderCode != "" {
		a.Products = []string{"→ " + r.RemainderCode}
	}
	return a
}

// cachedPurchase reads the shop's last copy of a purchase; ok is false when
// the desk has never seen it.
func (c *cache) cachedPurchase(ctx context.Context, code string) (p *skranke.Purchase, cachedAt time.Time, ok bool, err error) {
	var body []byte
	var at int64
	err = c.getPurchase.QueryRowContext(ctx, code).Scan(&body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, skranke.E("sync.cache.cachedPurchase", skranke.Internal, err)
	}
	p = new(skranke.Purchase)
	if err := json.Unmarshal(body, p); err != nil {
		return nil, time.Time{}, false, skranke.E("sync.cache.cachedPurchase", skranke.Internal, fmt.Errorf("cached purchase %s is damaged: %w", code, err))
	}
	return p, fromNanos(at), true, nil
}

// pendingDeliveries lists the deliveries of a purchase waiting in the outbox.
func (c *cache) pendingDeliveries(ctx context.Context, code string) ([]skranke.Delivery, error) {
	rows, err := c.getPending.QueryContext(ctx, code)
	return scanBodies[skranke.Delivery]("sync.cache.pendingDeliveries", rows, err)
}

// scanBodies decodes the JSON body in the one column of each of rows, the
// result of a query that failed with err or not; op names the caller.
func scanBodies[T any](op string, rows *sql.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, skranke.E(op, skranke.Internal, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var b []byte
		var v T
		if err := rows.Scan(&b); err != nil {
			return nil, skranke.E(op, skranke.Internal, err)
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, skranke.E(op, skranke.Internal, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, skranke.E(op, skranke.Internal, err)
	}
	return out, nil
}

// overlayPending applies the deliveries and reversals of l's purchase still
// waiting in the outbox to it, and lists them in l.
func (c *cache) overlayPending(ctx context.Context, l *Lookup) error {
	pending, err := c.pendingDeliveries(ctx, l.Purchase.Code)
	if err != nil {
		return err
	}
	l.Pending = overlay(l.Purchase, pending)
	revs, err := c.pendingReversals(ctx, l.Purchase.Code)
	if err != nil {
		return err
	}
	for _, r := range revs {
		if !l.Purchase.Reversed(r.DeliveryID) {
			l.Purchase.Reverse(r)
			l.PendingReversals = append(l.PendingReversals, r)
		}
	}
	return nil
}

// overlay applies deliveries still waiting in the outbox to the shop's copy of
// a purchase, so that staff see what they handed over at once. It returns the
// deliveries it applied; one the shop already has (same ID) is not applied twice.
func overlay(p *skranke.Purchase, pending []skranke.Delivery) []skranke.Delivery {
	known := make(map[string]bool, len(p.Deliveries))
	for _, d := range p.Deliveries {
		known[d.ID] = true
	}
	var applied []skranke.Delivery
	for _, d := range pending {
		if known[d.ID] {
			continue
		}
		for _, dl := range d.Lines {
			for i := range p.Lines {
				if p.Lines[i].ID == dl.LineID {
					p.Lines[i].Delivered += dl.Quantity
				}
			}
		}
		p.Deliveries = append(p.Deliveries, d)
		applied = append(applied, d)
	}
	return applied
}

func (c *cache) cachedCard(ctx context.Context, code string) (*skranke.Card, time.Time, bool, error) {
	var body []byte
	var at int64
	err := c.getCard.QueryRowContext(ctx, code).Scan(&body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, skranke.E("sync.cache.cachedCard", skranke.Internal, err)
	}
	card := new(skranke.Card)
	if err := json.Unmarshal(body, card); err != nil {
		return nil, time.Time{}, false, skranke.E("sync.cache.cachedCard", skranke.Internal, fmt.Errorf("cached gift card %s is damaged: %w", code, err))
	}
	return card, fromNanos(at), true, nil
}

// cachedCardsOfPurchase returns the cached gift cards that purchase code
// sold, in the order the shop issued them.
func (c *cache) cachedCardsOfPurchase(ctx context.Context, code string) ([]skranke.Card, error) {
	// Not the remainder cards of its cards, which carry the purchase too;
	// in the order they were issued, which a card's seq is not: it moves
	// on with every change of the card (a use voids it).
	rows, err := c.r.QueryContext(ctx, "SELECT body FROM cards WHERE purchase = ? AND parent = ''", code)
	if err != nil {
		return nil, skranke.E("sync.cache.cachedCardsOfPurchase", skranke.Internal, err)
	}
	defer rows.Close()
	var out []skranke.Card
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, skranke.E("sync.cache.cachedCardsOfPurchase", skranke.Internal, err)
		}
		var card skranke.Card
		if err := json.Unmarshal(body, &card); err != nil {
			return nil, skranke.E("sync.cache.cachedCardsOfPurchase", skranke.Internal, fmt.Errorf("a cached gift card of purchase %s is damaged: %w", code, err))
		}
		out = append(out, card)
	}
	if err := rows.Err(); err != nil {
		return nil, skranke.E("sync.cache.cachedCardsOfPurchase", skranke.Internal, err)
	}
	// The cards of a purchase are issued together (at payment): the code
	// orders those of one moment the same way on every desk, for good.
	slices.SortFunc(out, func(a, b skranke.Card) int {
		return cmp.Or(a.IssuedAt.Compare(b.IssuedAt), strings.Compare(a.Code, b.Code))
	})
	return out, nil
}

// cachedChain walks a card's parents and remainders in the cache, oldest first.
func (c *cache) cachedChain(ctx context.Context, card *skranke.Card) ([]skranke.Card, error) {
	var before []skranke.Card
	seen := map[string]bool{card.Code: true}
	for code := card.ParentCode; code != "" && !seen[code]; {
		seen[code] = true
		p, _, ok, err := c.cachedCard(ctx, code)
		if err != nil || !ok {
			break
		}
		before = append([]skranke.Card{*p}, before...)
		code = p.ParentCode
	}
	chain := append(before, *card)
	for code := card.RemainderCode; code != "" && !seen[code]; {
		seen[code] = true
		r, _, ok, err := c.cachedCard(ctx, code)
		if err != nil || !ok {
			break
		}
		chain = append(chain, *r)
		code = r.RemainderCode
	}
	return chain, nil
}

func (c *cache) cachedRedemptions(ctx context.Context, codes []string) ([]skranke.Redemption, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	args := make([]any, len(codes))
	for i, c := range codes {
		args[i] = c
	}
	rows, err := c.r.QueryContext(ctx, "SELECT body FROM redemptions WHERE card_code IN (?"+strings.Repeat(", ?", len(codes)-1)+") ORDER BY at", args...)
	if err != nil {
		return nil, skranke.E("sync.cache.cachedRedemptions", skranke.Internal, err)
	}
	defer rows.Close()
	var rs []skranke.Redemption
	for rows.Next() {
		var b []byte
		var r skranke.Redemption
		if err := rows.Scan(&b); err != nil {
			return nil, skranke.E("sync.cache.cachedRedemptions", skranke.Internal, err)
		}
		if json.Unmarshal(b, &r) == nil {
			rs = append(rs, r)
		}
	}
	return rs, rows.Err()
}
