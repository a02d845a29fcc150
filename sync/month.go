package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/skranke/skranke"
)

// Month returns the desk's centre's report of month m (skranke.MonthReport)
// from the cache, so that it works offline: sales, credits and deliveries
// from the facts filed with each cached purchase, deliveries still in the
// outbox counted as made, gift cards and their redemptions. When the shop
// is reachable the cache is first brought up to date with the month's
// activity, which holds the other desks' redemptions (the changes feed
// does not). The figures are the shop's (GET /reports/month) to the øre
// once the desk has synced.
func (d *Desk) Month(ctx context.Context, m skranke.Month) (skranke.MonthReport, error) {
	const op = "sync.Desk.Month"
	from, to := m.Bounds()
	if !d.backingOff() {
		cctx, cancel := d.interactiveCtx(ctx)
		if err := d.refreshActivities(cctx, from, to); err != nil && skranke.KindOf(err) != skranke.Unavailable {
			slog.Warn("refresh the month's activity", "month", m, "err", err)
		}
		cancel()
	}
	if err := d.indexCached(ctx, false); err != nil {
		return skranke.MonthReport{}, err
	}
	facts, err := d.c.monthFacts(ctx, m)
	if err != nil {
		return skranke.MonthReport{}, skranke.E(op, skranke.Internal, err)
	}
	pending, err := d.pendingFacts(ctx)
	if err != nil {
		return skranke.MonthReport{}, err
	}
	facts = append(facts, pending...)
	if err := d.fileCards(ctx); err != nil {
		return skranke.MonthReport{}, err
	}
	reds, err := d.c.redemptionsBetween(ctx, nanos(from), nanos(to))
	if err != nil {
		return skranke.MonthReport{}, skranke.E(op, skranke.Internal, err)
	}
	cardFacts, err := d.c.monthCards(ctx, m, reds)
	if err != nil {
		return skranke.MonthReport{}, skranke.E(op, skranke.Internal, err)
	}
	facts = append(facts, cardFacts...)
	centre := d.cachedDesk(ctx).CentreID
	if centre == "" && !d.backingOff() {
		// A desk that has not asked the shop who it is yet.
		if di, _, err := d.DeskInfo(ctx); err == nil {
			centre = di.CentreID
		}
	}
	r := skranke.NewMonthReport(centre, m, facts, nil)
	// The liability is of every card owed at the month's end: a sum of
	// the per-day changes (migration 0010), not a read of the cards.
	if err := d.c.r.QueryRowContext(ctx, "SELECT coalesce(sum(owed), 0), coalesce(sum(cards), 0) FROM card_days WHERE day <= ?",
		int(m.LastDay())).Scan(&r.Liability, &r.LiabilityCards); err != nil {
		return skranke.MonthReport{}, skranke.E(op, skranke.Internal, err)
	}
	return r, nil
}

// sqlMonthFacts reads a month's facts summed by what the report tells
// apart (month_sums, kept by triggers on month_facts); the sums are what
// skranke.NewMonthReport would make of the facts one by one.
const sqlMonthFacts = `SELECT kind, day, product_id, product, staff_id, staff, events, units, amount
FROM month_sums WHERE day BETWEEN ? AND ?`

func (c *cache) monthFacts(ctx context.Context, m skranke.Month) ([]skranke.Fact, error) {
	rows, err := c.r.QueryContext(ctx, sqlMonthFacts, int(m.FirstDay()), int(m.LastDay()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []skranke.Fact
	for rows.Next() {
		var f skranke.Fact
		var amount int64
		if err := rows.Scan(&f.Kind, &f.Day, &f.ProductID, &f.Product, &f.StaffID, &f.StaffName, &f.Events, &f.Units, &amount); err != nil {
			return nil, err
		}
		f.Amount = skranke.Money(amount)
		out = append(out, f)
	}
	return out, rows.Err()
}

// pendingFacts is what the deliveries waiting in the outbox change in the
// facts of their purchases: the facts with them less the facts filed.
func (d *Desk) pendingFacts(ctx context.Context) ([]skranke.Fact, error) {
	const op = "sync.Desk.pendingFacts"
	rows, err := d.c.r.QueryContext(ctx, "SELECT DISTINCT code FROM outbox WHERE state = 'pending' AND kind = 'delivery'")
	if err != nil {
		return nil, skranke.E(op, skranke.Internal, err)
	}
	var codes []string
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			rows.Close()
			return nil, skranke.E(op, skranke.Internal, err)
		}
		codes = append(codes, code)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, skranke.E(op, skranke.Internal, err)
	}
	var out []skranke.Fact
	for _, code := range codes {
		p, _, ok, err := d.c.cachedPurchase(ctx, code)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		pending, err := d.c.pendingDeliveries(ctx, code)
		if err != nil {
			return nil, err
		}
		filed := skranke.PurchaseFacts(p)
		if len(overlay(p, pending)) == 0 {
			continue
		}
		for _, f := range filed {
			f.Events, f.Units, f.Amount = -f.Events, -f.Units, -f.Amount
			out = append(out, f)
		}
		out = append(out, skranke.PurchaseFacts(p)...)
	}
	return out, nil
}

// monthCards returns month m's gift card facts (skranke.CardFacts) without
// reading every cached card: the cards sold in it summed by day in SQL
// (each a FactCardSold), and its redemptions reds with the remainder
// cards they issued.
func (c *cache) monthCards(ctx context.Context, m skranke.Month, reds []skranke.Redemption) ([]skranke.Fact, error) {
	rows, err := c.r.QueryContext(ctx, `SELECT issued_day, count(*), sum(amount) FROM cards
WHERE issued_day BETWEEN ? AND ? AND parent = '' GROUP BY issued_day`, int(m.FirstDay()), int(m.LastDay()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var facts []skranke.Fact
	for rows.Next() {
		f := skranke.Fact{Kind: skranke.FactCardSold}
		var amount int64
		if err := rows.Scan(&f.Day, &f.Events, &amount); err != nil {
			return nil, err
		}
		f.Units, f.Amount = f.Events, skranke.Money(amount)
		facts = append(facts, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Remainder cards have a parent: CardFacts counts none of them sold.
	remainders := map[string]*skranke.Card{}
	for _, r := range reds {
		if r.RemainderCode == "" || remainders[r.RemainderCode] != nil {
			continue
		}
		card, _, ok, err := c.cachedCard(ctx, r.RemainderCode)
		if err != nil {
			return nil, err
		}
		if ok {
			remainders[card.Code] = card
		}
	}
	return append(facts, skranke.CardFacts(m, remainders, reds)...), nil
}

// cardDays returns what the month keeps of card c (migration 0010): the
// day it was issued, the day of the last instant it is owed to its holder
// (skranke.Card.OpenAt), and what it owes then, 0 if it is never owed.
func cardDays(c *skranke.Card) (issued, end skranke.Day, owed skranke.Money) {
	issued = skranke.DayOf(c.IssuedAt)
	// until is the first instant the card is owed no more.
	until := c.ExpiresAt
	switch {
	case !c.ClosedAt.IsZero():
		if closed := c.ClosedAt.Add(time.Nanosecond); closed.Before(until) {
			until = closed
		}
	case c.Status != skranke.CardActive:
		until = c.IssuedAt // Closed before the shop kept when: never owed.
	}
	if !c.IssuedAt.Before(until) {
		return issued, issued, 0
	}
	return issued, skranke.DayOf(until.Add(-time.Nanosecond)), c.InitialAmount
}

// fileCards gives the cards cached before migration 0010 their days
// (cardDays), once.
func (d *Desk) fileCards(ctx context.Context) error {
	const op = "sync.Desk.fileCards"
	var unfiled bool
	if err := d.c.r.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM cards WHERE issued_day < 0)").Scan(&unfiled); err != nil {
		return skranke.E(op, skranke.Internal, err)
	}
	if !unfiled {
		return nil
	}
	return d.c.writeRelaxed(ctx, op, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT code, body FROM cards WHERE issued_day < 0")
		if err != nil {
			return err
		}
		var cards []*skranke.Card
		for rows.Next() {
			var code string
			var body []byte
			if err := rows.Scan(&code, &body); err != nil {
				rows.Close()
				return err
			}
			card := new(skranke.Card)
			if err := json.Unmarshal(body, card); err != nil {
				rows.Close()
				return fmt.Errorf("cached gift card %s is damaged: %w", code, err)
			}
			cards = append(cards, card)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range cards {
			issued, end, owed := cardDays(c)
			if _, err := tx.ExecContext(ctx, "UPDATE cards SET issued_day = ?, end_day = ?, owed = ?, amount = ? WHERE code = ?",
				int(issued), int(end), int64(owed), int64(c.InitialAmount), c.Code); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *cache) redemptionsBetween(ctx context.Context, from, to int64) ([]skranke.Redemption, error) {
	rows, err := c.r.QueryContext(ctx, "SELECT body FROM redemptions WHERE at >= ? AND at < ? ORDER BY at, id", from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []skranke.Redemption
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var r skranke.Redemption
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("a cached redemption is damaged: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// putFacts files p's facts (skranke.PurchaseFacts) under the rowid of its
// cached row, in place of those filed before.
func (w *writer) putFacts(rowid int64, p *skranke.Purchase) error {
	if w.factDel == nil {
		var err error
		if w.factDel, err = w.tx.PrepareContext(w.ctx, "DELETE FROM month_facts WHERE purchase = ?"); err != nil {
			return err
		}
	}
	if _, err := w.factDel.ExecContext(w.ctx, rowid); err != nil {
		return err
	}
	return w.addFacts(rowid, p)
}

// addFacts files p's facts under the rowid of its cached row, which has
// none filed.
func (w *writer) addFacts(rowid int64, p *skranke.Purchase) error {
	if w.factIns == nil {
		var err error
		table := "month_facts"
		if w.bulk {
			table = "month_facts_bulk"
		}
		if w.factIns, err = w.tx.PrepareContext(w.ctx, `INSERT INTO `+table+`(day, purchase, n, kind, product_id, product, staff_id, staff, events, units, amount)
VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
			return err
		}
	}
	for i, f := range skranke.PurchaseFacts(p) {
		if _, err := w.factIns.ExecContext(w.ctx, int(f.Day), rowid, i, string(f.Kind), f.ProductID, f.Product,
			f.StaffID, f.StaffName, f.Events, f.Units, int64(f.Amount)); err != nil {
			return err
		}
	}
	return nil
}

// Month asks the shop for the desk's centre's report of month m.
func (cl *Client) Month(ctx context.Context, m skranke.Month) (skranke.MonthReport, error) {
	var r skranke.MonthReport
	b, err := cl.do(ctx, call{op: "sync.Client.Month", method: http.MethodGet, path: "/reports/month", query: url.Values{"month": {m.String()}}})
	if err != nil {
		return r, err
	}
	err = decode("sync.Client.Month", b, &r)
	return r, err
}
