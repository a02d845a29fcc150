package shop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
		return OpenPostgres(ctx, addr, PostgresOptions{MaxConns: o.MaxConns})
	}
	if err := PrepareDBFile(addr); err != nil {
		return nil, err
	}
	return OpenSQLite(ctx, addr)
}

// PrepareDBFile makes a SQLite database file private before SQLite opens
// it: folders it creates are 0700, the file is created 0600, and an
// existing file (with its -wal and -shm) is made 0600. SQLite gives the
// journal files it creates the database file's mode. The shop's database
// holds buyers' names, signatures and PIN verifiers.
func PrepareDBFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("make the database private: %w", err)
		}
	}
	return nil
}

// Ping checks that the database file can be read.
func (s *SQLite) Ping(ctx context.Context) error {
	return s.reader.PingContext(ctx)
}
