package sync

import (
	"context"
	"encoding/json"
	"time"

	"github.com/skranke/skranke"
)

// Sale is one purchase of a sales overview.
type Sale struct {
	skranke.PurchaseSummary
	PromoCode string        // The promo code the buyer used, if the shop has one.
	Discount  skranke.Money // The discount lines' sum.
	Credited  skranke.Money // What managers credited.
	Delivered int           // Units handed over.
	Units     int           // Units ordered.
}

// DeliveryState says how much of a sale was handed over: "none", "partly"
// or "all".
func (s Sale) DeliveryState() string {
	switch {
	case s.Delivered == 0:
		return "none"
	case s.Delivered < s.Units:
		return "partly"
	}
	return "all"
}

// SalesTotal sums the sales of one payment status.
type SalesTotal struct {
	Count    int
	Amount   skranke.Money // After discounts.
	Discount skranke.Money
	Credited skranke.Money
}

// SalesOverview is the centre's sales of a period, oldest first, and their
// sums by payment status.
type SalesOverview struct {
	Sales    []Sale
	ByStatus map[skranke.PaymentStatus]SalesTotal
}

// MaxSales is the most purchases one overview lists; the sums count them all.
const MaxSales = 5000

// Sales returns the purchases of the desk's centre made at or after from
// and before to, from the cache (the sync keeps it current, so this works
// offline): payment status, what was handed over, promo code, discounts
// and credits as the shop last sent them, deliveries still in the outbox
// counted as made.
func (d *Desk) Sales(ctx context.Context, from, to time.Time) (SalesOverview, error) {
	const op = "sync.Desk.Sales"
	ov := SalesOverview{ByStatus: map[skranke.PaymentStatus]SalesTotal{}}
	if err := d.indexCached(ctx, false); err != nil {
		return ov, err
	}
	rows, err := d.c.r.QueryContext(ctx, "SELECT body FROM purchases WHERE created >= ? AND created < ? ORDER BY created, code", nanos(from), nanos(to))
	if err != nil {
		return ov, skranke.E(op, skranke.Internal, err)
	}
	var ps []*skranke.Purchase
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			rows.Close()
			return ov, skranke.E(op, skranke.Internal, err)
		}
		p := new(skranke.Purchase)
		if err := json.Unmarshal(body, p); err != nil {
			rows.Close()
			return ov, skranke.E(op, skranke.Internal, err)
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ov, skranke.E(op, skranke.Internal, err)
	}
	for _, p := range ps {
		pending, err := d.c.pendingDeliveries(ctx, p.Code)
		if err != nil {
			return ov, err
		}
		overlay(p, pending)
		s := Sale{PurchaseSummary: skranke.Summarize(p), PromoCode: p.PromoCode, Credited: p.CreditedAmount()}
		for _, l := range p.Lines {
			s.Discount += l.Discount
			s.Units += l.Quantity
			s.Delivered += min(l.Delivered, l.Quantity)
		}
		t := ov.ByStatus[p.Status]
		t.Count++
		t.Amount += s.Total
		t.Discount += s.Discount
		t.Credited += s.Credited
		ov.ByStatus[p.Status] = t
		if len(ov.Sales) < MaxSales {
			ov.Sales = append(ov.Sales, s)
		}
	}
	return ov, nil
}
