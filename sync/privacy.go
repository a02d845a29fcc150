package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/skranke/skranke"
)

// DefaultBuyerRetention is how long the desk keeps a buyer's name, e-mail
// and phone after their purchase was handed over in full: long enough for
// questions at the desk about a recent hand-over, after which the shop has
// them if anyone needs them (docs/privacy.md).
const DefaultBuyerRetention = 90 * 24 * time.Hour

// purgeEvery is how often the sync loop purges buyer data, the first time
// purgeAfterStart after it starts.
const (
	purgeEvery      = 6 * time.Hour
	purgeAfterStart = 10 * time.Minute
)

// PurgeBuyers removes buyer data (name, e-mail, phone) from cached purchases
// handed over in full, or no longer deliverable (cancelled, failed,
// credited), longer than Config.BuyerRetention before now, and from their
// rows in the daily report. Codes, lines and deliveries stay. It reports how
// many purchases it purged. The sync loop runs it minutes after it starts
// and every few hours; the shop may send a purchase again (with its buyer) when it
// changes, and the next purge removes it again.
func (d *Desk) PurgeBuyers(ctx context.Context, now time.Time) (int, error) {
	const op = "sync.Desk.PurgeBuyers"
	cutoff := now.Add(-d.cfg.BuyerRetention)
	// Only purchases that can be due and still have buyer data are read
	// and decoded: one created after the cutoff was settled after it too
	// (the created index skips those, so a cache of a million recent
	// purchases costs nothing to check, where reading every body took
	// the desk's first half minute after each start), and one with
	// something left to hand over is not settled. Rows a first sync filed
	// without their search words and facts (queued in unindexed) wait for
	// Desk.indexCached, which the sync loop runs after every sync: the
	// purge after that one sees them, hours within a retention of months.
	rows, err := d.c.r.QueryContext(ctx, `SELECT code, seq, body FROM purchases WHERE created < ? AND NOT EXISTS (SELECT 1 FROM unindexed u WHERE u.purchase = purchases.rowid) AND NOT (`+pickupWhere+`) AND (
 coalesce(json_extract(CAST(body AS TEXT), '$.buyer.name'), '') <> '' OR
 coalesce(json_extract(CAST(body AS TEXT), '$.buyer.email'), '') <> '' OR
 coalesce(json_extract(CAST(body AS TEXT), '$.buyer.phone'), '') <> '')`, nanos(cutoff))
	if err != nil {
		return 0, skranke.E(op, skranke.Internal, err)
	}
	type purge struct {
		code string
		seq  int64
		body []byte
	}
	var todo []purge
	for rows.Next() {
		var code string
		var seq int64
		var body []byte
		if err := rows.Scan(&code, &seq, &body); err != nil {
			rows.Close()
			return 0, skranke.E(op, skranke.Internal, err)
		}
		var p skranke.Purchase
		if json.Unmarshal(body, &p) != nil {
			continue
		}
		done, at := settledAt(&p)
		if !done || !at.Before(cutoff) {
			continue
		}
		// Through a map, so that fields the desk does not know stay as
		// the shop sent them.
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			continue
		}
		m["buyer"] = json.RawMessage(`{"name":""}`)
		nb, err := json.Marshal(m)
		if err != nil {
			continue
		}
		todo = append(todo, purge{code, seq, nb})
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return 0, skranke.E(op, skranke.Internal, err)
	}
	rows.Close()
	if len(todo) == 0 {
		return 0, nil
	}
	err = d.c.writeSecure(ctx, op, func(tx *sql.Tx) error {
		for _, p := range todo {
			// Unless the shop sent a newer copy meanwhile.
			res, err := tx.ExecContext(ctx, "UPDATE purchases SET body = ? WHERE code = ? AND seq = ?", p.body, p.code, p.seq)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, "UPDATE activities SET buyer = '' WHERE code = ? AND buyer <> ''", p.code); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	slog.Info("buyer data purged from the desk cache", "purchases", len(todo), "older_than", cutoff)
	return len(todo), nil
}

// settledAt reports whether p needs nothing more at the desk (handed over
// in full, or no longer deliverable) and since when.
func settledAt(p *skranke.Purchase) (bool, time.Time) {
	if p.Status.Deliverable() && !p.FullyDelivered() {
		return false, time.Time{}
	}
	at := p.UpdatedAt
	for _, d := range p.Deliveries {
		if d.At.After(at) {
			at = d.At
		}
	}
	return true, at
}
