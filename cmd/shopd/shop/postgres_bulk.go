package shop

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke"
)

// SeedBulk inserts n purchases into a centre in one transaction with COPY,
// under the write lock so that their sequence numbers stay in commit order
// (see SQLite.SeedBulk for what they are like).
func (s *Postgres) SeedBulk(ctx context.Context, centreID string, n int) ([]string, error) {
	var codes []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", pgWriteLock); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'seq'").Scan(&seq); err != nil {
			return err
		}
		var one int
		if err := tx.QueryRow(ctx, "SELECT 1 FROM centres WHERE id = $1", centreID).Scan(&one); err != nil {
			return fmt.Errorf("no centre %q: %w", centreID, err)
		}
		seen := map[string]bool{}
		rows, err := tx.Query(ctx, "SELECT code FROM purchases")
		if err != nil {
			return err
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			seen[c] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		g := newBulkGen(n, seq, seen)
		purchases, feed := make([][]any, 0, n), make([][]any, 0, n)
		var lines [][]any
		codes = make([]string, 0, n)
		for i := 0; i < n; i++ {
			seq++
			p := g.next(centreID, i, seq)
			doc, err := json.Marshal(&p)
			if err != nil {
				return err
			}
			at := p.CreatedAt.UnixMilli()
			purchases = append(purchases, []any{p.Code, centreID, string(p.Status), p.Buyer.Name, seq, at, at, doc, skranke.SearchText(&p)})
			feed = append(feed, []any{p.Code, centreID, seq})
			for _, l := range p.Lines {
				lines = append(lines, []any{p.Code, l.ID, l.ProductID, l.Name, string(l.Kind), int64(l.Quantity),
					int64(l.UnitPrice), int64(l.VATRate), int64(l.Discount), int64(0)})
			}
			codes = append(codes, p.Code)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"purchases"},
			[]string{"code", "centre_id", "status", "buyer_name", "seq", "created_at", "updated_at", "doc", "search"},
			pgx.CopyFromRows(purchases)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"purchase_feed"}, []string{"code", "centre_id", "seq"},
			pgx.CopyFromRows(feed)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"purchase_lines"},
			[]string{"purchase_code", "line_id", "product_id", "name", "kind", "quantity", "unit_price", "vat_rate", "discount", "delivered"},
			pgx.CopyFromRows(lines)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE meta SET value = $1 WHERE key = 'seq'", seq); err != nil {
			return err
		}
		// Statistics for the planner, which chooses between the search's
		// word index and a walk by date by how many purchases a word has.
		_, err = tx.Exec(ctx, "ANALYZE purchases")
		return err
	})
	if err != nil {
		return nil, skranke.E("shop.Postgres.SeedBulk", skranke.Internal, err)
	}
	// What PostgreSQL does after a bulk load sooner or later, now, while
	// nothing else runs: vacuum the new rows (marking their pages visible to
	// all, and merging the word index's pending list into the index), so
	// that the autovacuum a bulk insert sets off does not land in whatever
	// the shop does next, a benchmark's deliveries say.
	if _, err := s.pool.Exec(ctx, "VACUUM purchases, purchase_lines, purchase_feed"); err != nil {
		return nil, skranke.E("shop.Postgres.SeedBulk", skranke.Internal, err)
	}
	return codes, nil
}
