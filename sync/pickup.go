package sync

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/skranke/skranke"
)

// PickupFilter narrows the pickup list. The zero filter lists everything
// waiting.
type PickupFilter struct {
	Product string                // A product name the purchase has a line of; "" for any.
	Status  skranke.PaymentStatus // Authorized or Captured; "" for both.
	Limit   int                   // At most this many purchases (0: DefaultPickupLimit).
}

// MaxPickupCount is the most purchases the pickup list counts; Total is
// MaxPickupCount+1 when more wait.
const MaxPickupCount = 10_000

// DefaultPickupLimit is how many purchases the pickup list shows unless asked.
const DefaultPickupLimit = 200

// PickupList is the centre's purchases that are paid and not fully handed
// over, newest first.
type PickupList struct {
	Purchases []skranke.PurchaseSummary
	Total     int // How many purchases match the filter, beyond Limit too (at most MaxPickupCount+1).
}

// pickupWhere selects the purchases waiting to be fetched; the partial index
// purchases_pickup holds exactly these rows.
const pickupWhere = "remaining > 0 AND status IN ('authorized', 'captured')"

// Pickup lists the purchases of the desk's centre that are paid
// (authorized or captured) and not fully handed over, newest first, from
// the cache: it works offline, and the sync loop keeps it current.
// Deliveries still in the outbox count as made.
func (d *Desk) Pickup(ctx context.Context, f PickupFilter) (PickupList, error) {
	return d.pickup(ctx, f, true)
}

// pickup is Pickup, which indexes what the cache holds unindexed first
// when index is set.
func (d *Desk) pickup(ctx context.Context, f PickupFilter, index bool) (PickupList, error) {
	const op = "sync.Desk.Pickup"
	if f.Status != "" && !f.Status.Deliverable() {
		return PickupList{}, nil // Only paid purchases wait to be fetched.
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultPickupLimit
	}
	if index {
		if err := d.indexCached(ctx, false); err != nil {
			return PickupList{}, err
		}
	}
	count, query, args := pickupQueries(f)
	var list PickupList
	if err := d.c.r.QueryRowContext(ctx, count,
		append(args, MaxPickupCount+1)...).Scan(&list.Total); err != nil {
		return list, skranke.E(op, skranke.Internal, err)
	}
	done, err := d.deliveredPending(ctx, f)
	if err != nil {
		return list, err
	}
	list.Total -= len(done)
	if list.Purchases, err = d.pickupRows(ctx, query, append(args, limit+len(done)), done, limit); err != nil {
		return list, skranke.E(op, skranke.Internal, err)
	}
	// Only now, with the rows closed: applyPending reads from the pool too,
	// and a reader that waits for a second connection while it holds one
	// waits for ever once as many do so as the pool has connections (the
	// scan screen's count and the pickup list at once, on two cores).
	for i := range list.Purchases {
		if err := d.applyPending(ctx, &list.Purchases[i]); err != nil {
			return list, err
		}
	}
	return list, nil
}

// pickupRows runs the pickup list's query and summarises up to limit of
// its purchases, skipping those in done.
func (d *Desk) pickupRows(ctx context.Context, query string, args []any, done map[string]bool, limit int) ([]skranke.PurchaseSummary, error) {
	rows, err := d.c.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []skranke.PurchaseSummary
	for rows.Next() && len(ps) < limit {
		var code string
		var body []byte
		if err := rows.Scan(&code, &body); err != nil {
			return nil, err
		}
		if done[code] {
			continue
		}
		var p skranke.Purchase
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, err
		}
		ps = append(ps, skranke.Summarize(&p))
	}
	return ps, rows.Err()
}

// PickupCount is how many purchases wait to be fetched: the pickup list's
// Total without a filter, for the scan screen's hint. While the changes feed is
// being pulled it counts what is filed without indexing what the feed
// files: the scan screen asks after every batch the feed commits, and
// indexing each batch then and there, at a desk action's priority, made a
// first sync of a million purchases build the search words, month facts
// and pickup products as it went and slow down as they grew. The
// notification at the end of the pull asks again.
//
// During a first sync the indexes of waiting purchases are dropped until
// the indexing after it (startBulkIndex), and counting would read every
// purchase filed so far, after every batch: it answers Unavailable then,
// and the scan screen keeps the hint it showed.
func (d *Desk) PickupCount(ctx context.Context) (int, error) {
	const op = "sync.Desk.PickupCount"
	pulling := d.pulling.Load() != 0
	if pulling {
		var indexed bool
		if err := d.c.r.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = 'purchases_pickup')").Scan(&indexed); err != nil {
			return 0, skranke.E(op, skranke.Internal, err)
		}
		if !indexed {
			return 0, skranke.E(op, skranke.Unavailable, errors.New("the waiting purchases are counted when the first sync has been indexed"))
		}
	}
	l, err := d.pickup(ctx, PickupFilter{Limit: 1}, !pulling)
	return l.Total, err
}

// pickupQueries returns the SQL that counts the purchases in f and the SQL
// that lists them newest first, each taking args and then a limit.
func pickupQueries(f PickupFilter) (count, list string, args []any) {
	from, where, order, args := pickupSource(f)
	// Counted up to MaxPickupCount: beyond that the exact number tells staff
	// nothing, and counting a million rows would hold the list up.
	count = "SELECT count(*) FROM (SELECT 1 FROM " + from + " WHERE " + where + " LIMIT ?)"
	list = "SELECT p.code, p.body FROM " + from + " WHERE " + where + " ORDER BY " + order + " LIMIT ?"
	return count, list, args
}

// pickupSource is what Pickup reads for f: the purchases (as p), the
// condition on them, the order (newest first) and the condition's
// arguments.
//
// Without a product, the partial indexes purchases_pickup (created) and
// purchases_pickup_status (status, created) give the waiting purchases
// newest first. With a product, pickup_products gives that product's
// waiting purchases newest first, and CROSS JOIN keeps it the outer loop:
// the query plan (TestPickupProductPlan) is
//
//	SEARCH pp USING PRIMARY KEY (product=?)   -- walked backwards: created DESC
//	SEARCH p USING INTEGER PRIMARY KEY (rowid=?)
//
// with no temporary b-tree for the order, so that at most n of a rare
// product's rows are read, not every waiting purchase's. Ties in created
// go by rowid, newest row first, on both ways, so that the list by product
// is exactly the whole list filtered by product. Each row is
// checked again against the purchase's own columns (pickupWhere), so a
// row that a purchase filed since without its search columns left behind
// is never listed (see migration 0009).
func pickupSource(f PickupFilter) (from, where, order string, args []any) {
	if f.Product == "" {
		where, args = pickupFilter(f)
		return "purchases p", where, "p.created DESC, p.rowid DESC", args
	}
	where, args = pickupFilter(PickupFilter{Status: f.Status})
	return "pickup_products pp CROSS JOIN purchases p ON p.rowid = pp.purchase", "pp.product = ? AND " + where,
		"pp.created DESC, pp.purchase DESC", append([]any{f.Product}, args...)
}

// pickupFilter is the condition on a purchase's columns (created, status,
// remaining, products) that f sets; deliveredPending applies it to the
// outbox's few purchases, Pickup (through pickupSource) to the cache.
func pickupFilter(f PickupFilter) (string, []any) {
	where := []string{pickupWhere}
	var args []any
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
	}
	if f.Product != "" {
		where = append(where, "instr(products, ?) > 0")
		args = append(args, string(rune(unitSep))+f.Product+string(rune(unitSep)))
	}
	return strings.Join(where, " AND "), args
}

// putPickup files p's product names in pickup_products under the rowid of
// its cached row while p waits to be fetched, and takes them out when it
// no longer does (migration 0009).
func (w *writer) putPickup(rowid int64, p *skranke.Purchase) error {
	if w.pickupDel == nil {
		var err error
		if w.pickupDel, err = w.tx.PrepareContext(w.ctx, "DELETE FROM pickup_products WHERE purchase = ?"); err != nil {
			return err
		}
	}
	if _, err := w.pickupDel.ExecContext(w.ctx, rowid); err != nil {
		return err
	}
	return w.addPickup(rowid, p)
}

// addPickup is putPickup for a purchase that has no rows filed.
func (w *writer) addPickup(rowid int64, p *skranke.Purchase) error {
	// The same test as pickupWhere, on the columns putPurchase and
	// indexCached file with it.
	if !p.Status.Deliverable() || p.RemainingUnits() <= 0 {
		return nil
	}
	if w.pickupIns == nil {
		var err error
		table := "pickup_products"
		if w.bulk {
			table = "pickup_products_bulk"
		}
		if w.pickupIns, err = w.tx.PrepareContext(w.ctx, "INSERT OR IGNORE INTO "+table+"(product, created, purchase) VALUES(?, ?, ?)"); err != nil {
			return err
		}
	}
	created := nanos(p.CreatedAt)
	for _, l := range p.Lines {
		if _, err := w.pickupIns.ExecContext(w.ctx, l.Name, created, rowid); err != nil {
			return err
		}
	}
	return nil
}

// deliveredPending returns the codes of purchases in the filter that
// deliveries still in the outbox hand over in full: the cache's copy says
// they wait, but staff already gave them out. A delivery undone since (its
// reversal pending too) hands over nothing.
func (d *Desk) deliveredPending(ctx context.Context, f PickupFilter) (map[string]bool, error) {
	const op = "sync.Desk.deliveredPending"
	where, args := pickupFilter(f)
	// From the outbox's few pending deliveries to their purchases (CROSS
	// JOIN fixes that order), never through the pickup index's many rows.
	rows, err := d.c.r.QueryContext(ctx, `SELECT DISTINCT p.code FROM outbox o CROSS JOIN purchases p ON p.code = o.code
		WHERE o.kind = 'delivery' AND o.state = 'pending'
		AND NOT EXISTS (SELECT 1 FROM outbox r WHERE r.code = o.code AND r.kind = 'reversal' AND r.state = 'pending'
			AND r.path = '/deliveries/' || o.key || '/reversal')
		AND `+where, args...)
	if err != nil {
		return nil, skranke.E(op, skranke.Internal, err)
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, skranke.E(op, skranke.Internal, err)
		}
		codes = append(codes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, skranke.E(op, skranke.Internal, err)
	}
	done := map[string]bool{}
	for _, c := range codes {
		s := skranke.PurchaseSummary{Code: c, Remaining: 1}
		if err := d.applyPending(ctx, &s); err != nil {
			return nil, err
		}
		if s.Remaining == 0 {
			done[c] = true
		}
	}
	return done, nil
}
