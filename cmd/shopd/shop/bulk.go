package shop

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/skranke/skranke"
)

// SeedBulk inserts n purchases into a centre in one transaction with
// prepared statements, for benchmarks that need a big shop (100,000
// purchases take a few seconds). Most are captured, some authorized or
// pending; none is delivered. It returns their codes in feed order.
func (s *SQLite) SeedBulk(ctx context.Context, centreID string, n int) ([]string, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("seed bulk: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'seq'").Scan(&seq); err != nil {
		return nil, fmt.Errorf("seed bulk: %w", err)
	}
	var exists int
	if err := tx.QueryRowContext(ctx, "SELECT 1 FROM centres WHERE id = ?", centreID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("seed bulk: no centre %q: %w", centreID, err)
	}
	insP, err := tx.PrepareContext(ctx, `INSERT INTO purchases (code, centre_id, status, buyer_name, seq, created_at, updated_at, doc, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("seed bulk: %w", err)
	}
	defer insP.Close()
	insL, err := tx.PrepareContext(ctx, `INSERT INTO purchase_lines (purchase_code, line_id, product_id, name, kind, quantity, unit_price, vat_rate, discount, delivered)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`)
	if err != nil {
		return nil, fmt.Errorf("seed bulk: %w", err)
	}
	defer insL.Close()
	// Codes carry 35 random bits, so among 100,000 a few collide: keep
	// every code in use in memory rather than ask the database for each.
	seen := make(map[string]bool, n)
	rows, err := tx.QueryContext(ctx, "SELECT code FROM purchases")
	if err != nil {
		return nil, fmt.Errorf("seed bulk: %w", err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, fmt.Errorf("seed bulk: %w", err)
		}
		seen[c] = true
	}
	rows.Close()
	g := newBulkGen(n, seq, seen)
	codes := make([]string, 0, n)
	for i := 0; i < n; i++ {
		seq++
		p := g.next(centreID, i, seq)
		code, status, name, at := p.Code, p.Status, p.Buyer.Name, p.CreatedAt
		doc, err := json.Marshal(&p)
		if err != nil {
			return nil, fmt.Errorf("seed bulk: %w", err)
		}
		if _, err := insP.ExecContext(ctx, code, centreID, string(status), name, seq, at.UnixMilli(), at.UnixMilli(), doc, skranke.SearchText(&p)); err != nil {
			return nil, fmt.Errorf("seed bulk: %w", err)
		}
		for _, l := range p.Lines {
			if _, err := insL.ExecContext(ctx, code, l.ID, l.ProductID, l.Name, string(l.Kind), l.Quantity, int64(l.UnitPrice), l.VATRate, int64(l.Discount)); err != nil {
				return nil, fmt.Errorf("seed bulk: %w", err)
			}
		}
		codes = append(codes, code)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = 'seq'", seq); err != nil {
		return nil, fmt.Errorf("seed bulk: %w", err)
	}
	if err := tx.Commit(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return nil, fmt.Errorf("seed bulk: %w", err)
	}
	return codes, nil
}

// bulkGen makes the purchases SeedBulk inserts: random but repeatable for a
// given size and starting seq, with codes unlike any in seen.
type bulkGen struct {
	r      *rand.Rand
	seen   map[string]bool
	people []bulkPerson
	now    time.Time
}

func newBulkGen(n int, seq int64, seen map[string]bool) *bulkGen {
	r := rand.New(rand.NewPCG(uint64(n), uint64(seq)))
	return &bulkGen{r: r, seen: seen, people: bulkPeople(r, n), now: time.Now().UTC().Truncate(time.Millisecond)}
}

// next returns the i-th purchase, numbered seq in the feed.
func (g *bulkGen) next(centreID string, i int, seq int64) skranke.Purchase {
	r := g.r
	goods := demoProducts[:17]
	code := skranke.NewReference()
	for g.seen[code] {
		code = skranke.NewReference()
	}
	g.seen[code] = true
	status := skranke.Captured
	switch x := r.IntN(10); {
	case x == 0:
		status = skranke.Authorized
	case x == 1:
		status = skranke.Pending
	}
	// Regulars (one customer in twenty) make two purchases in five.
	who := r.IntN(len(g.people))
	if r.IntN(5) < 2 {
		who = r.IntN(max(len(g.people)/20, 1))
	}
	b := g.people[who]
	at := g.now.Add(-time.Duration(r.IntN(365*24*60)) * time.Minute)
	p := skranke.Purchase{Code: code, CentreID: centreID, Status: status, Acquirer: "nets",
		Buyer:     skranke.Buyer{Name: b.name, Email: b.email, Phone: b.phone},
		CreatedAt: at, UpdatedAt: at, Seq: seq}
	for j := 1 + r.IntN(3); j > 0; j-- {
		pr := goods[r.IntN(len(goods))]
		p.Lines = append(p.Lines, skranke.Line{ID: fmt.Sprint(len(p.Lines) + 1), ProductID: pr.ID, Name: pr.Name, Kind: pr.Kind,
			Quantity: 1 + r.IntN(2), UnitPrice: pr.UnitPrice, VATRate: pr.VATRate})
	}
	return p
}
