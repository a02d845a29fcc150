package sync

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/skranke/skranke"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// CacheFile is the name of the cache database inside Config.DataDir.
const CacheFile = "desk.db"

// cache is the desk's SQLite database: one writer connection, because SQLite
// takes one writer at a time and queuing in Go is kinder than busy loops, and
// a pool of read-only connections that WAL lets run beside the writer.
type cache struct {
	path string
	w    *sql.DB
	r    *sql.DB

	// Prepared on the read pool: parsing SQL costs more than a lookup.
	getPurchase, getPending, getCard *sql.Stmt
}

// migration is one numbered schema step from migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the cache schema version this build writes.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	// Before journal_mode: the page size of a new database is fixed once it
	// is in WAL mode. 8 KiB pages halve the writes of a bulk sync.
	q.Add("_pragma", "page_size(8192)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: a delivery acknowledged to staff survives a power cut, not only a crash.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		// A whole page of the changes feed fits in the writer's cache, so a
		// transaction does not spill to the WAL before it commits.
		q.Add("_pragma", "cache_size(-32768)")
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// openCache opens or creates the cache database at path and brings its schema
// up to date.
func openCache(ctx context.Context, path string) (*cache, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, skranke.E("sync.openCache", skranke.Internal, fmt.Errorf("create data directory: %w", err))
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, skranke.E("sync.openCache", skranke.Internal, fmt.Errorf("%s: %w", path, err))
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, skranke.E("sync.openCache", skranke.Internal, fmt.Errorf("%s: %w", path, err))
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, skranke.E("sync.openCache", skranke.Internal, fmt.Errorf("%s: %w", path, err))
	}
	n := max(runtime.GOMAXPROCS(0), 2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	r.SetConnMaxLifetime(0)
	c := &cache{path: path, w: w, r: r}
	for _, ps := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&c.getPurchase, sqlGetPurchase},
		{&c.getPending, sqlGetPending},
		{&c.getCard, sqlGetCard},
	} {
		if *ps.st, err = r.PrepareContext(ctx, ps.sql); err != nil {
			c.close()
			return nil, skranke.E("sync.openCache", skranke.Internal, fmt.Errorf("%s: %w", path, err))
		}
	}
	return c, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var have int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(ms) {
		return skranke.E("sync.migrate", skranke.Conflict, fmt.Sprintf("cache schema version %d is newer than this program knows (%d); update Skranke", have, len(ms)))
	}
	for _, m := range ms[have:] {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		// PRAGMA takes no bound parameters; the version is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

func (c *cache) close() error {
	for _, st := range []*sql.Stmt{c.getPurchase, c.getPending, c.getCard} {
		if st != nil {
			st.Close()
		}
	}
	return errors.Join(c.r.Close(), c.w.Close())
}

// write runs fn in one write transaction. A failure to store, such as a full
// disk, comes back as an Internal error that says so; nothing of fn is kept.
func (c *cache) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return inTx(op, func() (*sql.Tx, error) { return c.w.BeginTx(ctx, nil) }, fn)
}

// inTx begins a transaction, runs fn in it and commits, rolling back when fn
// fails. Errors of the desk's own kinds from fn pass through; anything else
// is a storage failure.
func inTx(op string, begin func() (*sql.Tx, error), fn func(tx *sql.Tx) error) error {
	tx, err := begin()
	if err != nil {
		return storeErr(op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		var de *skranke.Error
		if errors.As(err, &de) {
			return err
		}
		return storeErr(op, err)
	}
	if err := tx.Commit(); err != nil {
		return storeErr(op, err)
	}
	return nil
}

// writeRelaxed is write for data the shop can send again, such as a page
// of the changes feed: its commit skips the fsync (WAL with synchronous
// NORMAL), so a power cut may lose it but never corrupts the cache, and the
// next commit of an outbox action syncs it along. A crash of the desk
// loses nothing.
func (c *cache) writeRelaxed(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	conn, err := c.w.Conn(ctx)
	if err != nil {
		return storeErr(op, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return storeErr(op, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL")
	return inTx(op, func() (*sql.Tx, error) { return conn.BeginTx(ctx, nil) }, fn)
}

// storeErr explains a failed write to the cache in words staff can act on.
func storeErr(op string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return skranke.E(op, skranke.Internal, fmt.Errorf("the desk's disk is full, nothing was saved: %w", err))
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
			return skranke.E(op, skranke.Internal, fmt.Errorf("the desk could not write its local database, nothing was saved: %w", err))
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return skranke.E(op, skranke.Unavailable, err)
	}
	return skranke.E(op, skranke.Internal, fmt.Errorf("save on this desk: %w", err))
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (c *cache) meta(ctx context.Context, key string) (string, error) {
	var v string
	err := c.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func setMeta(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	return err
}
