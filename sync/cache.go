package sync

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
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
	// gate orders the writers: desk actions before the changes feed.
	gate *writeGate
	// ck runs checkpoints on a connection of its own: a PASSIVE checkpoint
	// blocks neither the writer nor the readers, so no desk action waits
	// for one. kickCk asks for one; ckDone closes when the loop has ended.
	ck     *sql.DB
	kickCk chan struct{}
	// owed counts the checkpoints after deleting personal data that found
	// a reader in the way, leaving older copies of the deleted pages in
	// the WAL; the checkpoint loop empties it (TRUNCATE) at its next
	// chance and sets owed back to 0 unless more came meanwhile.
	owed   atomic.Uint64
	stopCk chan struct{}
	ckDone chan struct{}

	// Prepared on the read pool: parsing SQL costs more than a lookup.
	getPurchase, getPending, getCard, getStatus, searchHits *sql.Stmt
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

// dsn is the address of the cache for a connection pool: read-only, or
// writing with a page cache of cacheKiB.
func dsn(path string, readOnly bool, cacheKiB int) string {
	return dsnWaiting(path, readOnly, cacheKiB, busyWaitMS)
}

// busyWaitMS is how long a connection waits for a lock another holds, in
// milliseconds: the writer for a checkpoint's moment, readers for a
// recovering WAL.
const busyWaitMS = 10000

// dsnWaiting is dsn with a busy timeout of busyMS milliseconds.
func dsnWaiting(path string, readOnly bool, cacheKiB, busyMS int) string {
	q := url.Values{}
	// The driver runs every _pragma in lexicographic order and only then the
	// _journal_mode key, so page_size here reaches a new database before WAL
	// fixes its page size. As a _pragma, journal_mode(WAL) would sort first
	// and leave every cache with 4 KiB pages. 8 KiB pages halve the page
	// writes of a bulk sync; an existing cache keeps the size it has.
	q.Add("_pragma", "page_size(8192)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMS))
	q.Set("_journal_mode", "WAL")
	// FULL: a delivery acknowledged to staff survives a power cut, not only a crash.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	// Deleted content is overwritten where that costs no extra I/O; the
	// privacy deletions (signatures, buyer data) run under writeSecure,
	// which overwrites everything they free (docs/privacy.md).
	q.Add("_pragma", "secure_delete(FAST)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheKiB))
		// Statement journals in memory: an upsert into a table with
		// several indexes opens one, and in a file it spills after 64 KiB
		// and then grows with every row of the transaction (a feed batch
		// wrote each touched index page to it again per row). In memory it
		// is emptied after each statement, and no buyer data lands in a
		// temporary file.
		q.Add("_pragma", "temp_store(MEMORY)")
		// Checkpoints are the sync loop's (see cache.checkpoint), never a
		// desk action's commit; this is only the backstop for a desk whose
		// loop never runs.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walBackstopPages))
		// Once a checkpoint has let the WAL start again, it is cut back
		// to this size, so that a first sync leaves no large file behind.
		q.Add("_pragma", "journal_size_limit(67108864)")
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// private makes the cache's folder (0700) and database file (0600) readable
// by the desk's user only, creating them so or correcting older ones, before
// SQLite opens the file: SQLite creates its -wal and -shm files with the
// database file's permissions. Staff names, buyers and the outbox are in it.
func private(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	// A shared folder such as /tmp (sticky) is left as it is: the file's
	// own permissions keep the data private there.
	if fi, err := os.Stat(dir); err == nil && fi.Mode()&os.ModeSticky == 0 && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("make data directory %s private: %w", dir, err)
		}
		slog.Info("data directory made private (0700)", "dir", dir)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("make %s private: %w", p, err)
		}
	}
	return nil
}

// openCache opens or creates the cache database at path and brings its schema
// up to date.
func openCache(ctx context.Context, path string) (*cache, error) {
	if err := private(path); err != nil {
		return nil, skranke.E("sync.openCache", skranke.Internal, err)
	}
	crashed := walLeft(path) // Before the migrations write a WAL of their own.
	w, err := sql.Open("sqlite", dsn(path, false, writerCacheKiB))
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
	r, err := sql.Open("sqlite", dsn(path, true, 0))
	if err != nil {
		w.Close()
		return nil, skranke.E("sync.openCache", skranke.Internal, fmt.Errorf("%s: %w", path, err))
	}
	n := max(runtime.GOMAXPROCS(0), 2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	r.SetConnMaxLifetime(0)
	// The checkpointer copies WAL frames into the database; it needs no
	// page cache of its own (cache_size in the DSN is per connection). It
	// never waits for a lock: a checkpoint that finds a reader or the
	// writer in its way does what it can now and the rest next time.
	ck, err := sql.Open("sqlite", dsnWaiting(path, false, 512, 0))
	if err != nil {
		w.Close()
		r.Close()
		return nil, skranke.E("sync.openCache", skranke.Internal, fmt.Errorf("%s: %w", path, err))
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	c := &cache{path: path, w: w, r: r, ck: ck, gate: newWriteGate(),
		kickCk: make(chan struct{}, 1), stopCk: make(chan struct{}), ckDone: make(chan struct{})}
	// A desk that stopped (a crash, a power cut) while a checkpoint was
	// owed may have left deleted personal data in the WAL: owe one when
	// a WAL was left behind. After a clean close there is none, and none
	// is owed: a TRUNCATE checkpoint at every start held the writer while
	// it synced the file, and staff waited 2 s longer for the staff list.
	if crashed {
		c.owed.Store(1)
	}
	go c.checkpointLoop()
	for _, ps := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&c.getPurchase, sqlGetPurchase},
		{&c.getPending, sqlGetPending},
		{&c.getCard, sqlGetCard},
		{&c.getStatus, sqlStatus},
		{&c.searchHits, sqlSearchHits},
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
	for _, st := range []*sql.Stmt{c.getPurchase, c.getPending, c.getCard, c.getStatus, c.searchHits} {
		if st != nil {
			st.Close()
		}
	}
	close(c.stopCk)
	<-c.ckDone
	// A last full checkpoint, so that the next start reads no WAL.
	_, err := c.ck.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	if err != nil {
		slog.Warn("checkpoint the cache on close", "err", err)
	}
	return errors.Join(c.r.Close(), c.w.Close(), c.ck.Close())
}

// writerCacheKiB is the writer's page cache: a whole batch of the changes
// feed (feedBatch.batchRows purchases and the key index pages they touch)
// fits, so a transaction does not spill to the WAL before it commits.
const writerCacheKiB = 64 << 10

// shrinkWriter frees the writer connection's page cache.
func (c *cache) shrinkWriter() {
	ctx := context.Background()
	if err := c.gate.lockLow(ctx); err != nil {
		return
	}
	defer c.gate.unlock()
	if _, err := c.w.ExecContext(ctx, "PRAGMA shrink_memory"); err != nil {
		slog.Warn("free the cache's memory", "err", err)
	}
}

// mergeCacheKiB is the writer's page cache while it merges the search
// index (mergeIndex): a merge step reads and writes a few hundred pages,
// and pages a connection once cached stay resident after shrink_memory
// gives them back: modernc's allocator keeps freed memory committed (4 MiB
// per size class, and slabs a live allocation still holds). Reading 64 MiB
// through the full cache and shrinking it left 7.4 MB more resident than
// through a 2 MB one; through 8 MiB, 1 MB more (docs/bench/s6-deskres). A
// merge left over from a cut-short first sync ran at the next start and
// left the desk at 163 MB instead of 148.5.
const mergeCacheKiB = 8 << 10

// setWriterCache sets the writer connection's page cache to kib KiB.
func (c *cache) setWriterCache(ctx context.Context, kib int) error {
	if err := c.gate.lockLow(ctx); err != nil {
		return err
	}
	defer c.gate.unlock()
	// PRAGMA takes no bound parameters; kib is our own integer.
	if _, err := c.w.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", kib)); err != nil {
		return fmt.Errorf("set the cache's page cache to %d KiB: %w", kib, err)
	}
	return nil
}

// walBackstopPages is the WAL size, in pages, at which SQLite checkpoints
// by itself in the commit that crosses it: a desk with feed batches
// checkpoints long before (see checkpoint), so only a desk whose loop
// never runs pays this in a desk action's commit.
const walBackstopPages = 16384

// checkpoint asks for a PASSIVE checkpoint on the checkpoint connection,
// which copies the WAL into the database without blocking anyone, so that
// the WAL starts again from its beginning and stays small. The feed asks
// after each batch: waiting longer copies each index page fewer times, but
// readers then search a longer WAL.
func (c *cache) checkpoint() {
	select {
	case c.kickCk <- struct{}{}:
	default:
	}
}

func (c *cache) checkpointLoop() {
	defer close(c.ckDone)
	for {
		select {
		case <-c.stopCk:
			return
		case <-c.kickCk:
		}
		mode, owed := "PASSIVE", c.owed.Load()
		if owed != 0 {
			mode = "TRUNCATE"
		}
		done, err := walCheckpoint(context.Background(), c.ck, mode)
		if err != nil {
			slog.Warn("checkpoint the cache", "err", err)
		} else if done && owed != 0 {
			c.owed.CompareAndSwap(owed, 0)
		}
	}
}

// checkpointOwed asks the checkpoint loop to empty the WAL if a checkpoint
// after deleting personal data could not (see cache.owed).
func (c *cache) checkpointOwed() {
	if c.owed.Load() != 0 {
		c.checkpoint()
	}
}

// walCheckpoint runs a checkpoint of mode on db and reports whether it
// went through: false when readers or a writer kept it from copying or
// (RESTART, TRUNCATE) emptying the whole WAL.
func walCheckpoint(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, mode string) (bool, error) {
	var busy, log, copied int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &copied); err != nil {
		return false, err
	}
	return busy == 0 && copied == log, nil
}

// write runs fn in one write transaction. A failure to store, such as a full
// disk, comes back as an Internal error that says so; nothing of fn is kept.
func (c *cache) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if err := c.gate.lock(ctx); err != nil {
		return storeErr(op, err)
	}
	defer c.gate.unlock()
	return inTx(op, func() (*sql.Tx, error) { return c.w.BeginTx(ctx, nil) }, c.withCopies(ctx, fn))
}

// withCopies is fn after the copies of the shop's answers handed to the
// feed and not written yet (writeGate.handOff), so that none lands after
// the desk action that holds the gate now.
func (c *cache) withCopies(ctx context.Context, fn func(tx *sql.Tx) error) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		if fns := c.gate.takeCopies(); len(fns) > 0 {
			w, err := newWriter(ctx, tx)
			if err != nil {
				return err
			}
			writeCopies(w, fns)
		}
		return fn(tx)
	}
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

// writeSecure is write for deleting personal data (signatures, buyer
// data): everything fn deletes is overwritten with zeros in the file, free
// pages included (secure_delete ON), so that it cannot be read back from
// desk.db. Other writes keep the cheaper FAST mode, which leaves freed
// overflow pages alone.
func (c *cache) writeSecure(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return c.writeWith(ctx, op, "secure_delete", "ON", "FAST", fn, func(conn *sql.Conn) {
		// Older copies of the pages are still in the WAL: copy the zeroed
		// pages into the database and empty the WAL. Without waiting: a
		// TRUNCATE checkpoint waits for every reader to finish, with the
		// busy timeout (10 s) and the gate held, so a long read (a month's
		// report) held up every desk action for as long. A reader in the
		// way leaves it to the checkpoint loop (cache.owed).
		if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
			slog.Debug("checkpoint after deleting personal data", "err", err)
			c.owed.Add(1)
			return
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA busy_timeout = %d", busyWaitMS))
		done, err := walCheckpoint(ctx, conn, "TRUNCATE")
		if err != nil {
			slog.Debug("checkpoint after deleting personal data", "err", err)
		}
		if !done {
			c.owed.Add(1)
		}
	})
}

// writeRelaxed is write for data the shop can send again, such as its
// answer to a lookup: the commit skips the fsync (WAL with synchronous
// NORMAL), so a power cut may lose it but never corrupts the cache. Above
// all a scan then does not pay the fsync of a feed batch written just
// before it. A crash of the desk loses nothing.
func (c *cache) writeRelaxed(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return c.writeWith(ctx, op, "synchronous", "NORMAL", "FULL", fn, nil)
}

// writeBackground is writeRelaxed for work nobody waits for, such as
// indexing what the feed filed: it takes the gate only when no desk action
// waits (writeGate.lockLow), and fn should watch c.gate.wanted and commit
// early when one comes.
func (c *cache) writeBackground(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if err := c.gate.lockLow(ctx); err != nil {
		return storeErr(op, err)
	}
	defer c.gate.unlock()
	return c.writeLocked(ctx, op, "synchronous", "NORMAL", "FULL", fn, nil)
}

// writeWith is write on the writer connection with pragma set to value for
// fn's transaction and back to normal after it; after, if not nil, runs on
// the connection once fn's transaction committed.
func (c *cache) writeWith(ctx context.Context, op, pragma, value, normal string, fn func(tx *sql.Tx) error, after func(*sql.Conn)) error {
	if err := c.gate.lock(ctx); err != nil {
		return storeErr(op, err)
	}
	defer c.gate.unlock()
	return c.writeLocked(ctx, op, pragma, value, normal, fn, after)
}

// writeLocked is writeWith for a caller holding the gate.
func (c *cache) writeLocked(ctx context.Context, op, pragma, value, normal string, fn func(tx *sql.Tx) error, after func(*sql.Conn)) error {
	conn, err := c.w.Conn(ctx)
	if err != nil {
		return storeErr(op, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA "+pragma+" = "+value); err != nil {
		return storeErr(op, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA "+pragma+" = "+normal)
	if err := inTx(op, func() (*sql.Tx, error) { return conn.BeginTx(ctx, nil) }, c.withCopies(ctx, fn)); err != nil {
		return err
	}
	if after != nil {
		after(conn)
	}
	return nil
}

// StorageError says that the desk could not save to its own disk, so
// nothing of that write was kept: the disk is full (Full), or the database
// cannot be written at all. It travels inside an error of kind Internal, so
// callers that do not look for it still see a failure of the desk. A desk
// action (delivery, gift card use, credit, undo) that fails with it, kind
// Internal, did not happen: the desk saves an action before it sends it,
// so nothing went to the shop either. The app finds it with errors.As and
// tells staff so. (Where the shop did act and only its answer could not be
// kept, the action is queued or its outcome Unknown, never this.)
type StorageError struct {
	Full bool  // The disk (or the cache's share of it) is full.
	Err  error // The database's own error.
}

// Error implements the error interface.
func (e *StorageError) Error() string {
	if e.Full {
		return "the desk's disk is full, nothing was saved: " + e.Err.Error()
	}
	return "the desk could not write its local database, nothing was saved: " + e.Err.Error()
}

// Unwrap returns the database's error.
func (e *StorageError) Unwrap() error { return e.Err }

// storeErr explains a failed write to the cache in words staff can act on.
func storeErr(op string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return skranke.E(op, skranke.Internal, &StorageError{Full: true, Err: err})
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
			return skranke.E(op, skranke.Internal, &StorageError{Err: err})
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

// walLeft reports whether the cache at path had a WAL with frames in it
// before it was opened: the last connection to close empties and removes
// it, so one left behind means the desk stopped without closing.
func walLeft(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return err == nil && fi.Size() > 0
}
