package shop

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke"
)

// Tables lists the shop's tables in an order in which each refers only to
// tables before it: the order shopd migrate-db copies them in.
func Tables() []string {
	return []string{"meta", "centres", "desks", "staff", "products", "purchases", "purchase_lines",
		"deliveries", "credits", "cards", "redemptions", "signatures", "idempotency", "payment_events",
		"staff_auth", "staff_sessions", "reversals"}
}

// CopyToPostgres copies every row of a SQLite shop into an empty PostgreSQL
// shop, in one PostgreSQL transaction from one SQLite snapshot, and returns
// how many rows each table received. The copy is all or nothing: on error
// the PostgreSQL database is left as it was. It refuses a destination that
// already holds a centre, so that it never mixes two shops.
func CopyToPostgres(ctx context.Context, src *SQLite, dst *Postgres) (map[string]int64, error) {
	counts := map[string]int64{}
	stx, err := src.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, skranke.E("shop.CopyToPostgres", skranke.Internal, fmt.Errorf("read %s: %w", src.path, err))
	}
	defer stx.Rollback()
	err = pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", pgWriteLock); err != nil {
			return err
		}
		var centres int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM centres").Scan(&centres); err != nil {
			return err
		}
		if centres > 0 {
			return skranke.E("shop.CopyToPostgres", skranke.Conflict, fmt.Sprintf("the PostgreSQL database already holds a shop (%d centres); copy only into a new, empty database", centres))
		}
		// The fresh schema's own counter row makes way for the copied one.
		if _, err := tx.Exec(ctx, "DELETE FROM meta"); err != nil {
			return err
		}
		for _, table := range Tables() {
			n, err := copyTable(ctx, stx, tx, table)
			if err != nil {
				return skranke.E("shop.CopyToPostgres", skranke.Internal, fmt.Errorf("copy %s: %w", table, err))
			}
			counts[table] = n
		}
		// Each purchase's place in the changes feed, which PostgreSQL
		// keeps in a table of its own (see migration 0006).
		_, err := tx.Exec(ctx, "INSERT INTO purchase_feed (code, centre_id, seq) SELECT code, centre_id, seq FROM purchases")
		return err
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// copyTable copies one table's rows with COPY, taking the column list from
// PostgreSQL and turning SQLite's loosely typed values into the column's
// type (SQLite may hold a JSON document as TEXT where PostgreSQL wants
// BYTEA, and the other way round).
func copyTable(ctx context.Context, src *sql.Tx, dst pgx.Tx, table string) (int64, error) {
	rows, err := dst.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return 0, err
	}
	var cols, types []string
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			rows.Close()
			return 0, err
		}
		cols, types = append(cols, c), append(types, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	srows, err := src.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+table)
	if err != nil {
		return 0, err
	}
	defer srows.Close()
	// Rows stream from SQLite into COPY: a big shop is never all in memory.
	next := func() ([]any, error) {
		if !srows.Next() {
			return nil, srows.Err()
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := srows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			switch x := v.(type) {
			case string:
				if types[i] == "bytea" {
					vals[i] = []byte(x)
				}
			case []byte:
				if types[i] == "text" {
					vals[i] = string(x)
				}
			}
		}
		return vals, nil
	}
	return dst.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(next))
}
