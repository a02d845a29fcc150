package shop

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"modernc.org/sqlite" // The database/sql driver "sqlite".
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skranke/skranke"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SQLite is the shop's default Store: one SQLite file in WAL mode. Reads use
// a pool of query-only connections that see WAL snapshots. Writes go through
// one connection, SQLite's single writer, run by one goroutine that commits
// the Updates arriving together as one transaction, each in its own
// savepoint (see Update): one fsync for the group instead of one each,
// which is what bounds a durable write's rate.
type SQLite struct {
	path    string
	writer  *sql.DB
	reader  *sql.DB
	wconn   writerConn // The writer's statements, used only while holding its connection (rawWriter).
	rstmts  *stmtCache // Prepared statements of the readers.
	commits *groupCommitter
	ckpt    *checkpointer
	once    sync.Once
	groups  atomic.Int64 // Group commits run, for benchmarks.
	updates atomic.Int64 // Updates run in them.
	busy    atomic.Int64 // Nanoseconds spent running them, for benchmarks.
	// unchecked counts the Updates committed since the checkpointer was
	// last woken.
	unchecked atomic.Int64
}

// OpenSQLite opens (creating if needed) the database at path and brings its
// schema up to date.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	// synchronous(FULL): a desk forgets an action once the shop answered
	// 201, so a commit must survive a power cut, not only a crash. It costs
	// an fsync per write transaction, which group commit (Update) shares
	// among the Updates that arrive together.
	//
	// cache_size is small: the page caches of one process share one
	// budget, the sum of their cache_size, and the writer's is walked
	// whole after most commits (while SQLite balances a B-tree it gives a
	// page for a moment the number of the page at 1 GB; in a smaller file
	// the commit then drops the pages cached past the end by looking at
	// every page cached): with 32 MB each, that walk cost more than a
	// delivery's statements. With mmap_size, pages come from the file
	// mapped into memory, without a system call, and without a copy when
	// only read; a reader's cache is emptied anyway whenever another
	// connection has committed.
	base := "file:" + filepath.ToSlash(path) +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)" +
		"&_pragma=cache_size(-2000)&_pragma=mmap_size(2000000000)"
	// wal_autocheckpoint: the checkpointer copies the WAL back (see
	// checkpointer); the writer only when that falls far behind.
	//
	// temp_store(MEMORY): every Update of a group runs in a savepoint, and
	// SQLite copies each page an Update changes into the savepoint's
	// sub-journal, kept in memory up to 64 KB and past that in a temporary
	// file (a system call per page and per page number); an Update that
	// splits B-tree pages went past it. The sub-journal only undoes a
	// savepoint: nothing durable is in it.
	writer, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=wal_autocheckpoint(8000)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, skranke.E("shop.OpenSQLite", skranke.Internal, fmt.Errorf("open shop database %s: %w", path, err))
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	s := &SQLite{path: path, writer: writer}
	if err := s.migrate(ctx); err != nil {
		writer.Close()
		return nil, skranke.E("shop.OpenSQLite", skranke.Internal, fmt.Errorf("open shop database %s: %w", path, err))
	}
	reader, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, skranke.E("shop.OpenSQLite", skranke.Internal, fmt.Errorf("open shop database %s: %w", path, err))
	}
	n := max(runtime.GOMAXPROCS(0), 4)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	s.reader = reader
	s.rstmts = newStmtCache(reader)
	ckpt, err := sql.Open("sqlite", base)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, skranke.E("shop.OpenSQLite", skranke.Internal, fmt.Errorf("open shop database %s: %w", path, err))
	}
	ckpt.SetMaxOpenConns(1)
	s.ckpt = startCheckpointer(ckpt)
	s.commits = startCommitter("shop.SQLite.Update", s.runGroup)
	return s, nil
}

// Path returns the database file's path.
func (s *SQLite) Path() string { return s.path }

// Close waits for the group being committed, then closes both pools.
// Updates after Close fail.
func (s *SQLite) Close() error {
	var err error
	s.once.Do(func() {
		s.commits.stop()
		cerr := s.ckpt.stop()
		werr := s.rawWriter(context.Background(), func(conn driver.Conn) error { return s.wconn.close(conn) })
		err = errors.Join(cerr, werr, s.rstmts.close(), s.reader.Close(), s.writer.Close())
	})
	return err
}

// rawWriter runs fn on the writer's driver connection, which no one else
// uses meanwhile.
func (s *SQLite) rawWriter(ctx context.Context, fn func(driver.Conn) error) error {
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error { return fn(dc.(driver.Conn)) })
}

// migrate applies the embedded migrations newer than the database's
// user_version, each in its own transaction.
func (s *SQLite) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var current int
	if err := s.writer.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	// Names sort by their zero-padded number, so the last is the newest.
	if newest := len(names); newest > 0 {
		num, _, _ := strings.Cut(filepath.Base(names[newest-1]), "_")
		if v, err := strconv.Atoi(num); err == nil && current > v {
			// An older shopd would write rows the newer schema does not expect.
			return skranke.E("shop.SQLite.migrate", skranke.Conflict, fmt.Sprintf("database schema version %d is newer than this shopd knows (%d); update shopd", current, v))
		}
	}
	for _, name := range names {
		base := filepath.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		if v <= current {
			continue
		}
		script, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.writer.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, string(script)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		current = v
	}
	return nil
}

// View implements Store.
func (s *SQLite) View(ctx context.Context, fn func(Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return skranke.E("shop.SQLite.View", skranke.Internal, err)
	}
	err = fn(&sqlTx{ctx: ctx, tx: tx, stmts: s.rstmts})
	tx.Rollback()
	s.rstmts.flush(ctx)
	return err
}

// viewStatements implements statementViewer: fn's statements run one by
// one on the read pool, each in its own snapshot, without the BEGIN and
// ROLLBACK of View.
func (s *SQLite) viewStatements(ctx context.Context, fn func(Tx) error) error {
	err := fn(&sqlTx{ctx: ctx, tx: s.reader, stmts: s.rstmts})
	s.rstmts.flush(ctx)
	return err
}

// Update implements Store: fn runs in the next group commit. The writer's
// one goroutine (groupCommitter) runs the Updates that arrive together in
// one transaction, each in a savepoint, so that one whose rules refuse it
// (or whose statement fails) is rolled back alone, and commits them with
// one fsync. Each Update sees every earlier one's writes, as if alone, so
// the rules hold as with one transaction each; a desk hears of its change
// only after the group's COMMIT has reached the disk.
func (s *SQLite) Update(ctx context.Context, fn func(Tx) error) error {
	return s.commits.update(ctx, nil, fn)
}

func (s *SQLite) runGroup(group []*updateJob) {
	const op = "shop.SQLite.Update"
	start := time.Now()
	defer func() { s.busy.Add(int64(time.Since(start))) }()
	// The statements run on the group's context: a desk hanging up must not
	// cancel a statement and with it the others' commit.
	ctx := context.Background()
	results := make([]error, len(group))
	err := s.rawWriter(ctx, func(conn driver.Conn) error {
		s.wconn.use(conn)
		return s.runGroupOn(ctx, &group, &results)
	})
	s.groups.Add(1)
	s.updates.Add(int64(len(group)))
	answer(group, results, internal(op, err))
	if s.unchecked.Add(int64(len(group))) >= checkpointEvery {
		s.unchecked.Store(0)
		s.ckpt.wake()
	}
}

// updateReading implements readAheadUpdater. SQLite reads nothing ahead
// (a reader's pages are stale after every commit, see the fifth and sixth
// passes in docs/benchmarks.md): what it takes from ra is that fn is a
// mutation, an Update that may run again (see runFast).
func (s *SQLite) updateReading(ctx context.Context, ra *readAhead, fn func(Tx) error) error {
	if ra == nil {
		ra = &readAhead{}
	}
	return s.commits.update(ctx, ra, fn)
}

// runGroupOn runs a group on the writer's connection, setting each job's
// result; the error, if any, is the group's: every job without a result
// of its own fails with it. Updates that arrive while the group runs join
// it (up to maxGroup), with a result each.
//
// A group of mutations (Updates from requests under an idempotency key,
// which may run again: see mutate) runs first without savepoints
// (runFast); should one fail after writing, the transaction is rolled
// back and the group runs again as any other does (runSafe), each Update
// in a savepoint. Other Updates may keep state of their own across a run,
// so they run once, in savepoints.
func (s *SQLite) runGroupOn(ctx context.Context, groupp *[]*updateJob, resultsp *[]error) error {
	fast := true
	for _, j := range *groupp {
		fast = fast && mutation(j)
	}
	if fast {
		done, err := s.runFast(ctx, groupp, resultsp)
		if done || err != nil {
			return err
		}
		clear(*resultsp)
	}
	return s.runSafe(ctx, groupp, resultsp)
}

// runFast runs a group of mutations (see runGroupOn) in one transaction
// without savepoints and reports true, or false, having rolled back, when
// the group must run again with them. A savepoint cost every Update two
// statements and a copy of every page it changed (its sub-journal), on
// the goroutine every write waits for; without one, an Update refused
// before it wrote (what refusals are: a purchase already delivered, a key
// used for another request) has nothing to undo but the feed numbers it
// took. Mutations that arrive while the group runs join it; another
// Update is held for the next group (groupCommitter.more).
func (s *SQLite) runFast(ctx context.Context, groupp *[]*updateJob, resultsp *[]error) (bool, error) {
	const op = "shop.SQLite.Update"
	w := &s.wconn
	g := &sqlGroup{}
	if _, err := w.exec(ctx, "BEGIN IMMEDIATE", nil); err != nil {
		return true, err
	}
	committed := false
	defer func() {
		if !committed {
			w.exec(ctx, "ROLLBACK", nil)
		}
	}()
	for i := 0; ; i++ {
		if i == len(*groupp) {
			// As in runSafe.
			var next *updateJob
			if i < maxGroup {
				next = s.commits.more(mutation)
			}
			if next == nil {
				break
			}
			*groupp, *resultsp = append(*groupp, next), append(*resultsp, nil)
		}
		results, j := *resultsp, (*groupp)[i]
		if err := j.ctx.Err(); err != nil {
			results[i] = skranke.E(op, skranke.Unavailable, err)
			continue
		}
		before, writes := *g, w.writes
		if err := runUpdate(op, &sqlTx{ctx: ctx, w: w, group: g}, j.fn); err != nil {
			// A statement SQLite refused, a read too, may have ended
			// the transaction (an I/O error, a full disk): runSafe
			// finds out, where the rest would run outside it here.
			var serr *sqlite.Error
			if w.writes != writes || errors.As(err, &serr) {
				return false, nil
			}
			results[i] = err
			*g = before
		}
	}
	if g.seqDirty {
		if _, err := w.exec(ctx, "UPDATE meta SET value = ? WHERE key = 'seq'", []any{g.seq}); err != nil {
			return true, err
		}
	}
	if _, err := w.exec(ctx, "COMMIT", nil); err != nil {
		return true, err
	}
	committed = true
	return true, nil
}

// runSafe runs a group (see runGroupOn) with each Update in a savepoint,
// so that one whose rules refuse it (or whose statement fails) is rolled
// back alone.
func (s *SQLite) runSafe(ctx context.Context, groupp *[]*updateJob, resultsp *[]error) error {
	const op = "shop.SQLite.Update"
	w := &s.wconn
	g := &sqlGroup{}
	do := func(query string, args ...any) error {
		_, err := w.exec(ctx, query, args)
		return err
	}
	if err := do("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			// Leave no transaction open on the connection, whatever
			// failed; there may be none left to roll back.
			w.exec(ctx, "ROLLBACK", nil)
		}
	}()
	for i := 0; ; i++ {
		if i == len(*groupp) {
			// Updates that arrived meanwhile join this group rather than
			// wait for its commit: the fewer commits, the less of a
			// commit's fixed work (its WAL frames of shared pages, the
			// feed's counter, the fsync's system calls) each Update pays
			// on the goroutine every write waits for. The first Update's
			// wait grows by the others' statements, at most maxGroup.
			var next *updateJob
			if i < maxGroup {
				next = s.commits.poll()
			}
			if next == nil {
				break
			}
			*groupp, *resultsp = append(*groupp, next), append(*resultsp, nil)
		}
		results, j := *resultsp, (*groupp)[i]
		if err := j.ctx.Err(); err != nil {
			results[i] = skranke.E(op, skranke.Unavailable, err)
			continue
		}
		if err := do("SAVEPOINT u"); err != nil {
			return err
		}
		before := *g
		err := runUpdate(op, &sqlTx{ctx: ctx, w: w, group: g}, j.fn)
		if err == nil {
			err = do("RELEASE u")
		}
		if err != nil {
			results[i] = err
			// The savepoint's writes are undone; the numbers it took from
			// the feed's counter are given back too, so that the feed has
			// no gap where nothing was written.
			*g = before
			// A failed savepoint leaves the others' writes alone. Should
			// SQLite have rolled back the whole transaction (a full disk,
			// an I/O error), there is nothing to return to: the group is
			// lost, and every Update in it fails.
			if rerr := errors.Join(do("ROLLBACK TO u"), do("RELEASE u")); rerr != nil {
				rerr = internal(op, rerr)
				for k := range results {
					if k < i || results[k] == nil {
						results[k] = rerr
					}
				}
				return nil
			}
		}
	}
	if g.seqDirty {
		if err := do("UPDATE meta SET value = ? WHERE key = 'seq'", g.seq); err != nil {
			return err
		}
	}
	if err := do("COMMIT"); err != nil {
		return err
	}
	committed = true
	return nil
}

// sqlGroup is what the Updates of one group commit share: the changes
// feed's counter, read from meta once and written back once before the
// commit instead of by every Put.
type sqlGroup struct {
	seq      int64 // The last number handed out.
	seqRead  bool  // seq was read from meta.
	seqDirty bool  // seq is ahead of meta.
}

// stmtCache keeps one pool's prepared statements by their text. The driver
// prepares a statement afresh on every call, and SQLite takes about as long
// to parse and plan one as to run a small one. A statement prepared on the
// pool is kept by database/sql for each connection it was used on, and
// rebound to a transaction there at little cost (sql.Tx.StmtContext).
//
// Preparing on the pool takes a connection, which a transaction holding
// the writer's only one (or all the readers') would wait for forever: so a
// transaction prepares a statement the cache lacks on its own connection,
// once, and the cache prepares it on the pool after the transaction (flush).
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool
}

// maxStmts bounds the cache: queries built with a list of ? of varying
// length are many, and the rare ones may be prepared each time.
const maxStmts = 256

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the pool's statement for query, or nil after noting it for
// the next flush.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[query]
	if st == nil && len(c.m)+len(c.pending) < maxStmts {
		c.pending[query] = true
	}
	return st
}

// flush prepares the statements transactions asked for and did not find.
// It must be called holding none of the pool's connections.
func (c *stmtCache) flush(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range queries {
		// A statement that fails to prepare fails again, with its error,
		// in the transaction that runs it.
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.m[q] == nil {
			c.m[q], st = st, nil
		}
		c.mu.Unlock()
		if st != nil {
			st.Close()
		}
	}
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// sqlTx implements Tx on a database/sql transaction (View) or on the
// writer's connection during a group commit (Update).
type sqlTx struct {
	ctx   context.Context
	tx    sqlRunner  // A *sql.Tx, or the read pool for statements run alone (viewStatements); nil in an Update.
	stmts *stmtCache // Of the pool tx is on; nil prepares every statement afresh.
	w     *writerConn
	group *sqlGroup // Of an Update.
	// read holds the purchases this Update read, as stored, so that
	// PutPurchase writes only what changed (see storedPurchase).
	read map[string]storedPurchase
	// The documents of the purchase and the delivery this Update stored
	// last (see docKeeper).
	purchaseDoc, deliveryDoc storedDoc
}

// storedDoc is a document as stored, and the key of its row.
type storedDoc struct {
	key string
	doc json.RawMessage
}

// storedDocs implements docKeeper.
func (t *sqlTx) storedDocs(deliveryID, code string) (delivery, purchase json.RawMessage) {
	if t.deliveryDoc.key == deliveryID {
		delivery = t.deliveryDoc.doc
	}
	if t.purchaseDoc.key == code {
		purchase = t.purchaseDoc.doc
	}
	return delivery, purchase
}

// sqlRunner runs statements: *sql.Tx and *sql.DB.
type sqlRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmt returns query prepared on the transaction's connection, from the
// pool's cache. Outside a transaction it returns the pool's statement, or
// nil when the cache lacks it (run the query unprepared: the cache
// prepares it after).
func (t *sqlTx) stmt(query string) (*sql.Stmt, error) {
	tx, inTx := t.tx.(*sql.Tx)
	if t.stmts != nil {
		if st := t.stmts.get(query); st != nil {
			if !inTx {
				return st, nil
			}
			return tx.StmtContext(t.ctx, st), nil
		}
	}
	if !inTx {
		return nil, nil
	}
	// Closed with the transaction.
	return tx.PrepareContext(t.ctx, query)
}

// query runs a query that returns rows.
func (t *sqlTx) query(query string, args ...any) (rowIter, error) {
	if t.w != nil {
		return t.w.query(t.ctx, query, args)
	}
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.tx.QueryContext(t.ctx, query, args...)
	}
	return st.QueryContext(t.ctx, args...)
}

// queryRow runs a query that returns at most one row.
func (t *sqlTx) queryRow(query string, args ...any) rowScanner {
	if t.w != nil {
		rows, err := t.w.query(t.ctx, query, args)
		return driverRow{rows: rows, err: err}
	}
	st, err := t.stmt(query)
	if err != nil || st == nil {
		// A Row carries its error to Scan; a failing query gives one.
		return t.tx.QueryRowContext(t.ctx, query, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

// queryOnce is query for a statement built for one request (a search
// with its terms), which is not worth keeping prepared on the readers.
func (t *sqlTx) queryOnce(query string, args ...any) (rowIter, error) {
	if t.w != nil {
		return t.w.query(t.ctx, query, args)
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

// queryRowOnce is queryRow for a statement built for one request.
func (t *sqlTx) queryRowOnce(query string, args ...any) rowScanner {
	if t.w != nil {
		return t.queryRow(query, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// execCount runs a statement and returns how many rows it changed.
func (t *sqlTx) execCount(op, query string, args ...any) (int64, error) {
	var res driver.Result
	var err error
	if t.w != nil {
		res, err = t.w.exec(t.ctx, query, args)
	} else {
		res, err = t.tx.ExecContext(t.ctx, query, args...)
	}
	if err != nil {
		return 0, internal(op, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func internal(op string, err error) error {
	if err == nil {
		return nil
	}
	return skranke.E(op, skranke.Internal, err)
}

// getDoc reads one JSON document and decodes it into v.
func (t *sqlTx) getDoc(op, what string, v any, query string, args ...any) error {
	var doc []byte
	err := t.queryRow(query, args...).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return skranke.E(op, skranke.NotFound, what+" not found")
	}
	if err != nil {
		return internal(op, err)
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return internal(op, fmt.Errorf("decode %s: %w", what, err))
	}
	return nil
}

// listDocs reads JSON documents into a slice of T.
func listDocs[T any](t *sqlTx, op string, query string, args ...any) ([]T, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, internal(op, err)
		}
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return nil, internal(op, err)
		}
		out = append(out, v)
	}
	return out, internal(op, rows.Err())
}

func (t *sqlTx) exec(op, query string, args ...any) error {
	if t.w != nil {
		_, err := t.w.exec(t.ctx, query, args)
		return internal(op, err)
	}
	st, err := t.stmt(query)
	if err != nil {
		return internal(op, err)
	}
	if st == nil {
		_, err = t.tx.ExecContext(t.ctx, query, args...)
	} else {
		_, err = st.ExecContext(t.ctx, args...)
	}
	return internal(op, err)
}

// nextSeq hands out the changes feed's next number. In an Update the
// group's counter is read from meta once and written back before the
// group commits (runGroupOn).
func (t *sqlTx) nextSeq() (int64, error) {
	g := t.group
	if g == nil {
		var seq int64
		err := t.queryRow("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value").Scan(&seq)
		return seq, internal("shop.sqlTx.nextSeq", err)
	}
	if !g.seqRead {
		if err := t.queryRow("SELECT value FROM meta WHERE key = 'seq'").Scan(&g.seq); err != nil {
			return 0, internal("shop.sqlTx.nextSeq", err)
		}
		g.seqRead = true
	}
	g.seq++
	g.seqDirty = true
	return g.seq, nil
}

func (t *sqlTx) FeedHead() (int64, error) {
	if g := t.group; g != nil && g.seqRead {
		return g.seq, nil
	}
	var seq int64
	err := t.queryRow("SELECT value FROM meta WHERE key = 'seq'").Scan(&seq)
	return seq, internal("shop.sqlTx.FeedHead", err)
}

func (t *sqlTx) Centres() ([]skranke.Centre, error) {
	return listDocs[skranke.Centre](t, "shop.sqlTx.Centres", "SELECT doc FROM centres ORDER BY id")
}

func (t *sqlTx) Centre(id string) (skranke.Centre, error) {
	var c skranke.Centre
	err := t.getDoc("shop.sqlTx.Centre", "centre "+id, &c, "SELECT doc FROM centres WHERE id = ?", id)
	return c, err
}

func (t *sqlTx) PutCentre(c skranke.Centre) error {
	doc, _ := json.Marshal(c)
	return t.exec("shop.sqlTx.PutCentre", "INSERT OR REPLACE INTO centres (id, doc) VALUES (?, ?)", c.ID, doc)
}

func (t *sqlTx) DeskByToken(hash string) (skranke.DeskInfo, error) {
	var d skranke.DeskInfo
	err := t.getDoc("shop.sqlTx.DeskByToken", "desk", &d, "SELECT doc FROM desks WHERE token_hash = ?", hash)
	return d, err
}

func (t *sqlTx) PutDesk(d skranke.DeskInfo, tokenHash string) error {
	doc, _ := json.Marshal(d)
	return t.exec("shop.sqlTx.PutDesk", "INSERT OR REPLACE INTO desks (id, centre_id, token_hash, doc) VALUES (?, ?, ?, ?)",
		d.ID, d.CentreID, tokenHash, doc)
}

func (t *sqlTx) Staff(centreID string) ([]skranke.Staff, error) {
	return listDocs[skranke.Staff](t, "shop.sqlTx.Staff", "SELECT doc FROM staff WHERE centre_id = ? ORDER BY id", centreID)
}

func (t *sqlTx) StaffMember(id string) (skranke.Staff, error) {
	var s skranke.Staff
	err := t.getDoc("shop.sqlTx.StaffMember", "staff member "+id, &s, "SELECT doc FROM staff WHERE id = ?", id)
	return s, err
}

func (t *sqlTx) PutStaff(s skranke.Staff) error {
	doc, _ := json.Marshal(s)
	return t.exec("shop.sqlTx.PutStaff", "INSERT OR REPLACE INTO staff (id, centre_id, role, doc) VALUES (?, ?, ?, ?)",
		s.ID, s.CentreID, string(s.Role), doc)
}

func (t *sqlTx) Products() ([]skranke.Product, error) {
	return listDocs[skranke.Product](t, "shop.sqlTx.Products", "SELECT doc FROM products ORDER BY id")
}

func (t *sqlTx) Product(id string) (skranke.Product, error) {
	var p skranke.Product
	err := t.getDoc("shop.sqlTx.Product", "product "+id, &p, "SELECT doc FROM products WHERE id = ?", id)
	return p, err
}

func (t *sqlTx) PutProduct(p skranke.Product) error {
	doc, _ := json.Marshal(p)
	return t.exec("shop.sqlTx.PutProduct", "INSERT OR REPLACE INTO products (id, kind, doc) VALUES (?, ?, ?)", p.ID, string(p.Kind), doc)
}

func (t *sqlTx) Purchase(code string) (*skranke.Purchase, error) {
	const op = "shop.sqlTx.Purchase"
	var p skranke.Purchase
	if t.w == nil {
		if err := t.getDoc(op, "purchase "+code, &p, "SELECT doc FROM purchases WHERE code = ?", code); err != nil {
			return nil, err
		}
		return &p, nil
	}
	var doc []byte
	var searched bool
	err := t.queryRow("SELECT doc, search <> '' FROM purchases WHERE code = ?", code).Scan(&doc, &searched)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, skranke.E(op, skranke.NotFound, "purchase "+code+" not found")
	}
	if err != nil {
		return nil, internal(op, err)
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, internal(op, fmt.Errorf("decode purchase %s: %w", code, err))
	}
	t.remember(&p, searched)
	return &p, nil
}

// storedPurchase is a purchase's row as an Update read or wrote it: the
// buyer its search text was made from, whether that text was computed
// (purchases stored before it existed have none until they next change),
// and the lines of purchase_lines.
type storedPurchase struct {
	buyer    skranke.Buyer
	searched bool
	lines    []skranke.Line
}

// remember notes p as stored now.
func (t *sqlTx) remember(p *skranke.Purchase, searched bool) {
	if t.read == nil {
		t.read = map[string]storedPurchase{}
	}
	t.read[p.Code] = storedPurchase{buyer: p.Buyer, searched: searched, lines: slices.Clone(p.Lines)}
}

func (t *sqlTx) PurchaseDoc(code string) (string, json.RawMessage, error) {
	var centre string
	var doc []byte
	err := t.queryRow("SELECT centre_id, doc FROM purchases WHERE code = ?", code).Scan(&centre, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, skranke.E("shop.sqlTx.PurchaseDoc", skranke.NotFound, "purchase "+code+" not found")
	}
	return centre, doc, internal("shop.sqlTx.PurchaseDoc", err)
}

func (t *sqlTx) PutPurchase(p *skranke.Purchase) error {
	const op = "shop.sqlTx.PutPurchase"
	seq, err := t.nextSeq()
	if err != nil {
		return err
	}
	p.Seq = seq
	doc, err := json.Marshal(p)
	if err != nil {
		return internal(op, err)
	}
	t.purchaseDoc = storedDoc{}
	if old, ok := t.read[p.Code]; ok {
		done, err := t.updatePurchase(p, seq, doc, old)
		if err != nil {
			return err
		}
		if done {
			t.purchaseDoc = storedDoc{key: p.Code, doc: doc}
			return nil
		}
	}
	if err := t.exec(op, `INSERT INTO purchases (code, centre_id, status, buyer_name, seq, created_at, updated_at, doc, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET status = excluded.status, buyer_name = excluded.buyer_name,
			seq = excluded.seq, updated_at = excluded.updated_at, doc = excluded.doc, search = excluded.search`,
		p.Code, p.CentreID, string(p.Status), p.Buyer.Name, seq, p.CreatedAt.UnixMilli(), p.UpdatedAt.UnixMilli(), doc, skranke.SearchText(p)); err != nil {
		return err
	}
	for _, l := range p.Lines {
		if err := t.putLine(p.Code, l); err != nil {
			return err
		}
	}
	if t.w != nil {
		t.remember(p, true)
	}
	t.purchaseDoc = storedDoc{key: p.Code, doc: doc}
	return nil
}

// putLine inserts or updates a line of a purchase in purchase_lines.
func (t *sqlTx) putLine(code string, l skranke.Line) error {
	return t.exec("shop.sqlTx.PutPurchase", `INSERT INTO purchase_lines (purchase_code, line_id, product_id, name, kind, quantity, unit_price, vat_rate, discount, delivered)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (purchase_code, line_id) DO UPDATE SET quantity = excluded.quantity, delivered = excluded.delivered,
			unit_price = excluded.unit_price, discount = excluded.discount`,
		code, l.ID, l.ProductID, l.Name, string(l.Kind), l.Quantity, int64(l.UnitPrice), l.VATRate, int64(l.Discount), l.Delivered)
}

// updatePurchase writes p over its row as this Update read it (old),
// setting only what changed: a delivery changes the document, the status
// and some lines' counts, but not the buyer, whose search text (and the
// word index behind it, see migrations/0006_search_index.sql) is then
// left alone. It reports false if the row is gone, for the caller to
// insert it.
func (t *sqlTx) updatePurchase(p *skranke.Purchase, seq int64, doc []byte, old storedPurchase) (bool, error) {
	const op = "shop.sqlTx.PutPurchase"
	var n int64
	var err error
	if p.Buyer == old.buyer && old.searched {
		n, err = t.execCount(op, "UPDATE purchases SET status = ?, seq = ?, updated_at = ?, doc = ? WHERE code = ?",
			string(p.Status), seq, p.UpdatedAt.UnixMilli(), doc, p.Code)
	} else {
		n, err = t.execCount(op, "UPDATE purchases SET status = ?, buyer_name = ?, seq = ?, updated_at = ?, doc = ?, search = ? WHERE code = ?",
			string(p.Status), p.Buyer.Name, seq, p.UpdatedAt.UnixMilli(), doc, skranke.SearchText(p), p.Code)
	}
	if err != nil || n == 0 {
		return false, err
	}
	for _, l := range p.Lines {
		i := slices.IndexFunc(old.lines, func(o skranke.Line) bool { return o.ID == l.ID })
		if i >= 0 {
			o := old.lines[i]
			if o.Quantity == l.Quantity && o.Delivered == l.Delivered && o.UnitPrice == l.UnitPrice && o.Discount == l.Discount {
				continue
			}
			n, err := t.execCount(op, "UPDATE purchase_lines SET quantity = ?, delivered = ?, unit_price = ?, discount = ? WHERE purchase_code = ? AND line_id = ?",
				l.Quantity, l.Delivered, int64(l.UnitPrice), int64(l.Discount), p.Code, l.ID)
			if err != nil {
				return false, err
			}
			if n > 0 {
				continue
			}
		}
		if err := t.putLine(p.Code, l); err != nil {
			return false, err
		}
	}
	t.remember(p, true)
	return true, nil
}

func (t *sqlTx) Delivery(id string) (skranke.Delivery, error) {
	var d skranke.Delivery
	err := t.getDoc("shop.sqlTx.Delivery", "delivery "+id, &d, "SELECT doc FROM deliveries WHERE id = ?", id)
	return d, err
}

func (t *sqlTx) AddDelivery(centreID string, d skranke.Delivery) error {
	doc, _ := json.Marshal(d)
	t.deliveryDoc = storedDoc{}
	if err := t.exec("shop.sqlTx.AddDelivery", "INSERT INTO deliveries (id, purchase_code, centre_id, at, doc) VALUES (?, ?, ?, ?, ?)",
		d.ID, d.PurchaseCode, centreID, d.At.UnixNano(), doc); err != nil {
		return err
	}
	t.deliveryDoc = storedDoc{key: d.ID, doc: doc}
	return nil
}

func (t *sqlTx) Credit(id string) (skranke.Credit, error) {
	var c skranke.Credit
	err := t.getDoc("shop.sqlTx.Credit", "credit "+id, &c, "SELECT doc FROM credits WHERE id = ?", id)
	return c, err
}

func (t *sqlTx) AddCredit(centreID string, c skranke.Credit) error {
	doc, _ := json.Marshal(c)
	return t.exec("shop.sqlTx.AddCredit", "INSERT INTO credits (id, purchase_code, centre_id, at, doc) VALUES (?, ?, ?, ?, ?)",
		c.ID, c.PurchaseCode, centreID, c.At.UnixNano(), doc)
}

func (t *sqlTx) Reversal(id string) (skranke.Reversal, error) {
	var r skranke.Reversal
	err := t.getDoc("shop.sqlTx.Reversal", "reversal "+id, &r, "SELECT doc FROM reversals WHERE id = ?", id)
	return r, err
}

func (t *sqlTx) AddReversal(centreID string, r skranke.Reversal) error {
	doc, _ := json.Marshal(r)
	return t.exec("shop.sqlTx.AddReversal", "INSERT INTO reversals (id, delivery_id, purchase_code, centre_id, at, doc) VALUES (?, ?, ?, ?, ?, ?)",
		r.ID, r.DeliveryID, r.PurchaseCode, centreID, r.At.UnixNano(), doc)
}

func (t *sqlTx) Card(code string) (*skranke.Card, error) {
	var c skranke.Card
	if err := t.getDoc("shop.sqlTx.Card", "gift card "+code, &c, "SELECT doc FROM cards WHERE code = ?", code); err != nil {
		return nil, err
	}
	return &c, nil
}

func (t *sqlTx) PutCard(c *skranke.Card) error {
	const op = "shop.sqlTx.PutCard"
	seq, err := t.nextSeq()
	if err != nil {
		return err
	}
	c.Seq = seq
	doc, err := json.Marshal(c)
	if err != nil {
		return internal(op, err)
	}
	return t.exec(op, `INSERT INTO cards (code, centre_id, status, balance, parent_code, purchase_code, seq, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET status = excluded.status, balance = excluded.balance, seq = excluded.seq, doc = excluded.doc`,
		c.Code, c.CentreID, string(c.Status), int64(c.Balance), nullable(c.ParentCode), nullable(c.PurchaseCode), seq, doc)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *sqlTx) CardsOfPurchase(code string) ([]skranke.Card, error) {
	return listDocs[skranke.Card](t, "shop.sqlTx.CardsOfPurchase",
		"SELECT doc FROM cards WHERE purchase_code = ? AND parent_code IS NULL ORDER BY seq", code)
}

func (t *sqlTx) Redemption(id string) (skranke.Redemption, error) {
	var r skranke.Redemption
	err := t.getDoc("shop.sqlTx.Redemption", "redemption "+id, &r, "SELECT doc FROM redemptions WHERE id = ?", id)
	return r, err
}

func (t *sqlTx) AddRedemption(centreID string, r skranke.Redemption) error {
	doc, _ := json.Marshal(r)
	return t.exec("shop.sqlTx.AddRedemption", "INSERT INTO redemptions (id, card_code, centre_id, at, doc) VALUES (?, ?, ?, ?, ?)",
		r.ID, r.CardCode, centreID, r.At.UnixNano(), doc)
}

func (t *sqlTx) Redemptions(cardCodes []string) ([]skranke.Redemption, error) {
	if len(cardCodes) == 0 {
		return []skranke.Redemption{}, nil
	}
	args := make([]any, len(cardCodes))
	for i, c := range cardCodes {
		args[i] = c
	}
	q := "SELECT doc FROM redemptions WHERE card_code IN (?" + strings.Repeat(", ?", len(cardCodes)-1) + ") ORDER BY at, id"
	return listDocs[skranke.Redemption](t, "shop.sqlTx.Redemptions", q, args...)
}

func (t *sqlTx) Signature(id string) (Signature, error) {
	s := Signature{ID: id}
	var at int64
	err := t.queryRow("SELECT centre_id, desk_id, png, created_at FROM signatures WHERE id = ?", id).
		Scan(&s.CentreID, &s.DeskID, &s.PNG, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return s, skranke.E("shop.sqlTx.Signature", skranke.NotFound, "signature "+id+" not found")
	}
	s.At = time.UnixMilli(at).UTC()
	return s, internal("shop.sqlTx.Signature", err)
}

func (t *sqlTx) PutSignature(s Signature) error {
	return t.exec("shop.sqlTx.PutSignature", "INSERT INTO signatures (id, centre_id, desk_id, png, created_at) VALUES (?, ?, ?, ?, ?)",
		s.ID, s.CentreID, s.DeskID, s.PNG, s.At.UnixMilli())
}

func (t *sqlTx) Changes(centreID string, since int64, limit int) (Changes, error) {
	const op = "shop.sqlTx.Changes"
	ch := Changes{Next: since, Purchases: []json.RawMessage{}, Cards: []json.RawMessage{}}
	type item struct {
		seq int64
		doc json.RawMessage
	}
	read := func(query string) ([]item, error) {
		rows, err := t.query(query, centreID, since, limit+1)
		if err != nil {
			return nil, internal(op, err)
		}
		defer rows.Close()
		var out []item
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.seq, (*[]byte)(&it.doc)); err != nil {
				return nil, internal(op, err)
			}
			out = append(out, it)
		}
		return out, internal(op, rows.Err())
	}
	ps, err := read("SELECT seq, doc FROM purchases WHERE centre_id = ? AND seq > ? ORDER BY seq LIMIT ?")
	if err != nil {
		return ch, err
	}
	cs, err := read("SELECT seq, doc FROM cards WHERE centre_id = ? AND seq > ? ORDER BY seq LIMIT ?")
	if err != nil {
		return ch, err
	}
	i, j := 0, 0
	for n := 0; n < limit && (i < len(ps) || j < len(cs)); n++ {
		if j >= len(cs) || (i < len(ps) && ps[i].seq < cs[j].seq) {
			ch.Purchases = append(ch.Purchases, ps[i].doc)
			ch.Next = ps[i].seq
			i++
		} else {
			ch.Cards = append(ch.Cards, cs[j].doc)
			ch.Next = cs[j].seq
			j++
		}
	}
	ch.More = i < len(ps) || j < len(cs)
	return ch, nil
}

func (t *sqlTx) Activity(centreID string, from, to time.Time) (Activity, error) {
	var a Activity
	var err error
	f, u := from.UnixNano(), to.UnixNano()
	if a.Deliveries, err = listDocs[skranke.Delivery](t, "shop.sqlTx.Activity",
		"SELECT doc FROM deliveries WHERE centre_id = ? AND at >= ? AND at < ? ORDER BY at, id", centreID, f, u); err != nil {
		return a, err
	}
	if a.Redemptions, err = listDocs[skranke.Redemption](t, "shop.sqlTx.Activity",
		"SELECT doc FROM redemptions WHERE centre_id = ? AND at >= ? AND at < ? ORDER BY at, id", centreID, f, u); err != nil {
		return a, err
	}
	if a.Credits, err = listDocs[skranke.Credit](t, "shop.sqlTx.Activity",
		"SELECT doc FROM credits WHERE centre_id = ? AND at >= ? AND at < ? ORDER BY at, id", centreID, f, u); err != nil {
		return a, err
	}
	a.Reversals, err = listDocs[skranke.Reversal](t, "shop.sqlTx.Activity",
		"SELECT doc FROM reversals WHERE centre_id = ? AND at >= ? AND at < ? ORDER BY at, id", centreID, f, u)
	return a, err
}

func (t *sqlTx) Idempotency(scope, key string) (IdempotencyRecord, error) {
	r := IdempotencyRecord{Scope: scope, Key: key}
	var at int64
	err := t.queryRow(
		"SELECT fingerprint, status, content_type, body, created_at FROM idempotency WHERE scope = ? AND key = ?", scope, key).
		Scan(&r.Fingerprint, &r.Status, &r.ContentType, &r.Body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, skranke.E("shop.sqlTx.Idempotency", skranke.NotFound, "no such key")
	}
	r.CreatedAt = time.UnixMilli(at).UTC()
	return r, internal("shop.sqlTx.Idempotency", err)
}

func (t *sqlTx) PutIdempotency(r IdempotencyRecord) error {
	return t.exec("shop.sqlTx.PutIdempotency",
		"INSERT INTO idempotency (scope, key, fingerprint, status, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		r.Scope, r.Key, r.Fingerprint, r.Status, r.ContentType, r.Body, r.CreatedAt.UnixMilli())
}

func (t *sqlTx) PurgeIdempotency(before time.Time) (int64, error) {
	return t.execCount("shop.sqlTx.PurgeIdempotency", "DELETE FROM idempotency WHERE created_at < ?", before.UnixMilli())
}

func (t *sqlTx) PaymentEvent(id string) (bool, error) {
	var one int
	err := t.queryRow("SELECT 1 FROM payment_events WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, internal("shop.sqlTx.PaymentEvent", err)
}

func (t *sqlTx) AddPaymentEvent(id, reference string, status skranke.PaymentStatus, at time.Time) error {
	return t.exec("shop.sqlTx.AddPaymentEvent", "INSERT INTO payment_events (id, reference, status, at) VALUES (?, ?, ?, ?)",
		id, reference, string(status), at.UnixMilli())
}
