package sync

import (
	"context"
	"encoding/json"
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
	const op = "sync.Desk.Pickup"
	if f.Status != "" && !f.Status.Deliverable() {
		return PickupList{}, nil // Only paid purchases wait to be fetched.
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultPickupLimit
	}
	if err := d.indexCached(ctx, false); err != nil {
		return PickupList{}, err
	}
	where, args := pickupFilter(f)
	var list PickupList
	// Counted up to MaxPickupCount: beyond that the exact number tells staff
	// nothing, and counting a million rows would hold the list up.
	if err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM purchases WHERE "+where+" LIMIT ?)",
		append(args, MaxPickupCount+1)...).Scan(&list.Total); err != nil {
		return list, skranke.E(op, skranke.Internal, err)
	}
	done, err := d.deliveredPending(ctx, f)
	if err != nil {
		return list, err
	}
	list.Total -= len(done)
	rows, err := d.c.r.QueryContext(ctx, "SELECT code, body FROM purchases WHERE "+where+" ORDER BY created DESC LIMIT ?", append(args, limit+len(done))...)
	if err != nil {
		return list, skranke.E(op, skranke.Internal, err)
	}
	defer rows.Close()
	for rows.Next() && len(list.Purchases) < limit {
		var code string
		var body []byte
		if err := rows.Scan(&code, &body); err != nil {
			return list, skranke.E(op, skranke.Internal, err)
		}
		if done[code] {
			continue
		}
		var p skranke.Purchase
		if err := json.Unmarshal(body, &p); err != nil {
			return list, skranke.E(op, skranke.Internal, err)
		}
		s := skranke.Summarize(&p)
		if err := d.applyPending(ctx, &s); err != nil {
			return list, err
		}
		list.Purchases = append(list.Purchases, s)
	}
	if err := rows.Err(); err != nil {
		return list, skranke.E(op, skranke.Internal, err)
	}
	return list, nil
}

// PickupCount is how many purchases wait to be fetched: the pickup list's
// Total without a filter.
func (d *Desk) PickupCount(ctx context.Context) (int, error) {
	l, err := d.Pickup(ctx, PickupFilter{Limit: 1})
	return l.Total, err
}

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
