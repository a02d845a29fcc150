package shop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skranke/skranke"
)

// DB is a Store that shopd opens, serves and tends: SQLite or Postgres.
type DB interface {
	Store
	// Ping checks that the database answers, for /readyz.
	Ping(ctx context.Context) error
	// SeedBulk inserts n generated purchases into a centre, for benchmarks
	// and tests that need a big shop. It returns their codes in feed order.
	SeedBulk(ctx context.Context, centreID string, n int) ([]string, error)
}

// OpenOptions tunes Open.
type OpenOptions struct {
	// MaxConns caps PostgreSQL's connection pool (0: pgx's default).
	MaxConns int
}

// Open opens the shop's database at addr: a postgres:// or postgresql://
// URL opens PostgreSQL, anything else is a SQLite file path (its folder is
// created).
func Open(ctx context.Context, addr string, o OpenOptions) (DB, error) {
	if IsPostgresURL(addr) {
		return OpenPostgres(ctx, addr, PostgresOptions(o))
	}
	if err := os.MkdirAll(filepath.Dir(addr), 0o755); err != nil {
		return nil, skranke.E("shop.Open", skranke.Internal, fmt.Errorf("create database directory: %w", err))
	}
	return OpenSQLite(ctx, addr)
}

// Ping checks that the database file can be read.
func (s *SQLite) Ping(ctx context.Context) error {
	return s.reader.PingContext(ctx)
}
