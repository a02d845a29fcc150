package shop

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/skranke/skranke"
)

//go:embed migrations/postgres/*.sql
var pgMigrations embed.FS

// Advisory lock keys. They are arbitrary but fixed: every shopd on one
// database must use the same ones.
const (
	// pgWriteLock serializes write transactions across all shopd instances
	// on one database (see Postgres).
	pgWriteLock int64 = 0x536b72616e6b6501 // "Skranke" 01
	// pgMigrateLock lets one shopd at a time look at and apply migrations.
	pgMigrateLock int64 = 0x536b72616e6b6502
)

// Postgres is the shop's Store on a PostgreSQL server, for chains that run
// several shopd processes behind a load balancer on one database.
//
// Every write transaction first takes one transaction-level advisory lock,
// so that write transactions never overlap, on one shopd or across many:
// the shop's rules (a card's balance, a line's delivered count, an
// idempotency key) are checked and changed as if alone, exactly as on
// SQLite, and a changes-feed sequence number is taken from a counter row
// under that lock. PostgreSQL makes a commit visible before it releases the
// transaction's locks, so the transaction holding seq n is visible before
// any transaction can take n+1: sequence numbers become visible in order,
// and a desk whose cursor passed n can never later meet a smaller one. (A
// PostgreSQL SEQUENCE would not do: numbers taken at insert commit in any
// order, and a reader moving past a gap would skip a change forever.) The
// price is one writer at a time across the chain; reads, which are most
// requests, run in parallel on REPEATABLE READ snapshots.
//
// Three things keep that one writer fast. Each shopd commits the Updates
// that arrive together (and those that arrive while they run) as one
// transaction (see runGroup): one lock hand-over and one WAL flush for
// the group. Round trips, which is what a transaction holding the lock
// waits on, are few: writes queue and go to the server in one batch with
// the next read or with the COMMIT. And statements, each of which costs
// the server work of its own, are few: a mutation's reads are one
// statement (see queueAhead), its writes another (see write).
type Postgres struct {
	pool   *pgxpool.Pool // Reads (View), migrations.
	writer *pgxpool.Pool // Update: few connections, as only one can hold the write lock.
	// barrier is one connection for the barriers that groups and readers
	// of the changes feed wait for (see asyncCommitSetting), apart from
	// the pool: a View holding a connection of the pool waits for one.
	barrier  *pgxpool.Pool
	barriers headReader // The barriers, one for many groups and readers at once.
	// answering counts the groups committed whose callers wait for a
	// barrier; Close waits for them.
	answering sync.WaitGroup
	commits   *groupCommitter
	once      sync.Once
	// merged holds the statements that run several writes as one (see
	// pgTx.write), by the writes' statements; the committer's goroutine
	// alone uses it.
	merged map[string]string
	// lockFirst says that the next group of mutations takes the write
	// lock in a round trip of its own, before it reads ahead (see
	// runFast). It is set when mutations arrived while the last group
	// asked for the lock: the lock was busy (another shopd held it) or
	// this shopd is. Mutations that arrive while a group waits for the
	// lock join it; had the group sent its first mutations' reads with
	// the request for the lock, it would read for the late ones, and
	// write for the first and the late ones, in statements of their own:
	// two more a group, each costing the server its per-statement work
	// while the chain waits for the lock. Taken first, the lock's round
	// trip ends when the group may read, and it reads for all it holds
	// then in one statement, and writes in one. The round trip that costs
	// is spent waiting for the lock anyway; a shopd that finds the lock
	// free again goes back to asking for it with its first reads. Only
	// the committer's goroutine uses it.
	lockFirst bool
	// groups and updates count the groups committed (or rolled back) and
	// the Updates they held, for benchmarks.
	groups, updates atomic.Int64
	// durable is the highest number of the changes feed this shopd knows
	// to be durable: its own groups' once their barrier returned, and
	// heads read once the WAL was flushed past them (see FeedHead). It
	// never falls: a failover to a standby that had not received the last
	// commits (asynchronous replication, which docs/deploy.md warns loses
	// them) leaves it above the new head until this shopd restarts.
	durable atomic.Int64
	// skipBarrier answers a group's callers without waiting for a
	// barrier, for a test that needs a commit visible before it is
	// durable.
	skipBarrier bool
}

// PostgresOptions tunes OpenPostgres.
type PostgresOptions struct {
	// MaxConns caps the pool of connections for reads; 0 keeps pgx's
	// default (the larger of 4 and the number of CPUs). Writes use two more,
	// and the changes feed's barriers (see asyncCommitSetting) one.
	MaxConns int
	// Tracer, if not nil, sees every statement and batch sent, on every
	// connection: for metrics, or a test counting round trips.
	Tracer pgx.QueryTracer
}

// IsPostgresURL reports whether a -db address names a PostgreSQL database
// rather than a SQLite file.
func IsPostgresURL(addr string) bool {
	return strings.HasPrefix(addr, "postgres://") || strings.HasPrefix(addr, "postgresql://")
}

// OpenPostgres connects to the database at url (postgres://user@host/db)
// and brings its schema up to date. Several shopd may open one database at
// once: one of them migrates, the others wait for it and find it done.
func OpenPostgres(ctx context.Context, url string, o PostgresOptions) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, skranke.E("shop.OpenPostgres", skranke.Invalid, fmt.Errorf("open shop database: %w", err))
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(o.MaxConns)
	}
	cfg.ConnConfig.Tracer = o.Tracer
	wcfg := cfg.Copy()
	wcfg.MaxConns = 2
	// The writer's statements find rows by their keys, and a generic plan
	// (made once per connection) is as good as one made for the values.
	// Left to choose, the server keeps planning some anew on every run
	// (a mutation's reads ahead, a join of five tables: ~1 ms each, under
	// the chain's write lock), as its generic plan's estimated cost is a
	// little above a custom plan's.
	if wcfg.ConnConfig.RuntimeParams == nil {
		wcfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	wcfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, skranke.E("shop.OpenPostgres", skranke.Internal, fmt.Errorf("open shop database %s: %w", redact(cfg), err))
	}
	writer, err := pgxpool.NewWithConfig(ctx, wcfg)
	if err != nil {
		pool.Close()
		return nil, skranke.E("shop.OpenPostgres", skranke.Internal, fmt.Errorf("open shop database %s: %w", redact(cfg), err))
	}
	bcfg := cfg.Copy()
	bcfg.MaxConns = 1
	barrier, err := pgxpool.NewWithConfig(ctx, bcfg)
	if err != nil {
		pool.Close()
		writer.Close()
		return nil, skranke.E("shop.OpenPostgres", skranke.Internal, fmt.Errorf("open shop database %s: %w", redact(cfg), err))
	}
	s := &Postgres{pool: pool, writer: writer, barrier: barrier, merged: map[string]string{}}
	s.barriers.read, s.barriers.timeout = s.runBarrier, barrierTimeout
	s.commits = startCommitter("write shop database", s.runGroup)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, skranke.E("shop.OpenPostgres", skranke.Internal, fmt.Errorf("open shop database %s: %w", redact(cfg), err))
	}
	return s, nil
}

// redact names a database without its password, for messages.
func redact(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Close waits for the group being committed and for the answers that wait
// for a barrier, then closes the pools. Updates after Close fail.
func (s *Postgres) Close() error {
	s.once.Do(func() {
		s.commits.stop()
		s.answering.Wait()
		s.pool.Close()
		s.writer.Close()
		s.barrier.Close()
	})
	return nil
}

// Ping checks that the database answers.
func (s *Postgres) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// pgMigration is one embedded migration script.
type pgMigration struct {
	version int
	name    string
	script  string
}

// pgMigrationList returns the embedded migrations, oldest first.
func pgMigrationList() ([]pgMigration, error) {
	names, err := fs.Glob(pgMigrations, "migrations/postgres/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []pgMigration
	for _, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		b, err := pgMigrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, pgMigration{version: v, name: base, script: string(b)})
	}
	return out, nil
}

// migrate applies the embedded migrations the database lacks, each in its
// own transaction, under an advisory lock that makes shopd processes
// starting together take turns: the first applies, the rest find nothing
// left to do.
func (s *Postgres) migrate(ctx context.Context) error {
	list, err := pgMigrationList()
	if err != nil {
		return err
	}
	newest := 0
	if len(list) > 0 {
		newest = list[len(list)-1].version
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", pgMigrateLock); err != nil {
		return fmt.Errorf("wait for the migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", pgMigrateLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > newest {
		// An older shopd would write rows the newer schema does not expect.
		return skranke.E("shop.Postgres.migrate", skranke.Conflict, fmt.Sprintf("database schema version %d is newer than this shopd knows (%d); update shopd", current, newest))
	}
	for _, m := range list {
		if m.version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.script); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		current = m.version
	}
	return nil
}

// View implements Store: fn reads one REPEATABLE READ snapshot. BEGIN
// goes to the server with the first read.
func (s *Postgres) View(ctx context.Context, fn func(Tx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return skranke.E("shop.Postgres.View", skranke.Internal, err)
	}
	// Release drops a connection left inside a transaction.
	defer conn.Release()
	t := &pgTx{ctx: ctx, c: conn, batch: &pgx.Batch{}, durable: s}
	t.queue("begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
	err = fn(t)
	if t.begun {
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK", pgx.QueryExecModeSimpleProtocol); rerr != nil && err == nil {
			err = skranke.E("shop.Postgres.View", skranke.Internal, rerr)
		}
	}
	return err
}

// Update implements Store: fn runs under the chain-wide write lock, in
// this shopd's next group commit (see runGroup).
func (s *Postgres) Update(ctx context.Context, fn func(Tx) error) error {
	return s.commits.update(ctx, nil, fn)
}

// runGroup runs a group of Updates (see groupCommitter) in one PostgreSQL
// transaction under the write lock and commits them together: one lock
// hand-over and one WAL flush (fsync) for the group instead of one each.
//
// A group of mutations (Updates that read ahead, see readAhead) runs as
// runFast does, in two round trips and two statements a mutation when
// all goes well. Should a statement fail on the server, or a mutation fail
// after its writes were sent, the transaction is rolled back and the
// group runs again as runSafe runs other groups: each Update in a
// savepoint, which costs the server two statements and a subtransaction
// an Update, and each Update's reads in a round trip of their own.
// (Other Updates may keep state of their own across a run, so they run
// once.)
func (s *Postgres) runGroup(group []*updateJob) {
	ctx := context.Background()
	results := make([]error, len(group))
	conn, err := s.writer.Acquire(ctx)
	if err != nil {
		answer(group, results, skranke.E("shop.Postgres.Update", skranke.Internal, err))
		return
	}
	defer conn.Release()
	fast := true
	for _, j := range group {
		fast = fast && mutation(j)
	}
	var c groupCommit
	if fast {
		var ok bool
		if ok, c = s.runFast(ctx, conn, &group, &results); !ok {
			clear(results)
			fast = false
		}
	}
	if !fast {
		c = s.runSafe(ctx, conn, group, results)
	}
	s.groups.Add(1)
	s.updates.Add(int64(len(group)))
	for i, err := range results {
		results[i] = pgLimitExceeded(err)
	}
	if s.skipBarrier {
		answer(group, results, nil)
		return
	}
	// The committer goes on with the next group while this one's flush
	// runs: its callers are answered once a barrier says it is durable,
	// and what it read, which other groups may have committed as it did.
	// (A group that ran safe committed at the server's setting, but if it
	// wrote nothing its commit waited for nothing.)
	s.answering.Add(1)
	go func() {
		defer s.answering.Done()
		if _, err := s.barriers.get(ctx); err != nil {
			// Perhaps committed, and not known durable; a refusal may
			// rest on what a crash takes back. The callers are told it
			// failed, and send again under their idempotency keys.
			clear(results)
			answer(group, results, skranke.E("shop.Postgres.Update", skranke.Unavailable, fmt.Errorf("wait until the commit is durable: %w", err)))
			return
		}
		if c.committed {
			s.noteDurable(c.seq)
		}
		answer(group, results, nil)
	}()
}

// groupCommit says whether a group committed (runFast's without waiting
// for the flush, see asyncCommitSetting; runSafe's at the server's
// setting), and up to which feed number.
type groupCommit struct {
	committed bool
	seq       int64
}

// pgSQLStateLimitExceeded is PostgreSQL's program_limit_exceeded: a value
// over one of its fixed limits, such as a tsvector over 1 MB.
const pgSQLStateLimitExceeded = "54000"

// pgLimitExceeded turns the failure of an Update whose statement met one
// of PostgreSQL's limits on a value into a refusal (Invalid, 400): what
// the client sent is too large to store, sending it again fails again,
// and nothing in the shop is broken. Other errors are returned as they are.
func pgLimitExceeded(err error) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) || pe.Code != pgSQLStateLimitExceeded {
		return err
	}
	return skranke.E("shop.Postgres.Update", skranke.Invalid, &tooLargeError{err})
}

// tooLargeError tells the client in plain words that what it sent is too
// large (PostgreSQL's own message names its internals, and follows the
// server's language), and keeps PostgreSQL's error for errors.As.
type tooLargeError struct{ err error }

func (e *tooLargeError) Error() string {
	return "the request holds a value too large for the shop's database to store; send shorter values"
}

func (e *tooLargeError) Unwrap() error { return e.err }

// mutation says whether j is a mutation (see runGroup).
func mutation(j *updateJob) bool { return j.ahead != nil }

// failGroup rolls back and fails every Update of a group not yet answered
// otherwise.
func failGroup(ctx context.Context, conn *pgxpool.Conn, results []error, err error) {
	conn.Exec(ctx, "ROLLBACK", pgx.QueryExecModeSimpleProtocol)
	for k := range results {
		if results[k] == nil {
			results[k] = skranke.E("shop.Postgres.Update", skranke.Internal, err)
		}
	}
}

// runFast runs a group of mutations (see runGroup) without savepoints and
// leaves in results what each one's caller is to be told (nil:
// committed), or reports false, having rolled back, when the group must
// run again with savepoints.
//
// The first round trip holds BEGIN, the write lock, the feed's counter and
// the rows all of the group's mutations read ahead (or, after a group
// found the lock busy, all but the rows, which follow in a round trip of
// their own for all the mutations that came meanwhile; see
// Postgres.lockFirst); the mutations then run
// one after another, their writes queued (one statement each, see write),
// and go with the COMMIT. A mutation reads from what was read ahead only
// the rows no mutation before it wrote since (see pgTx.touch), and reads
// the others, and anything else, from the database then, sending what is
// queued before. One refused before any of its writes were sent (what
// refusals are: a purchase already delivered, a key used for another
// request) only has its queued statements dropped. Mutations that arrive
// while the group runs join it (see groupCommitter.more): the lock is this
// shopd's already, and each costs then only its statements, where a group
// of its own would wait for the lock, and pay its hand-over, BEGIN and
// COMMIT. Their rows read ahead go in one round trip with the statements
// queued then.
func (s *Postgres) runFast(ctx context.Context, conn *pgxpool.Conn, groupp *[]*updateJob, resultsp *[]error) (ok bool, c groupCommit) {
	group, results := *groupp, *resultsp
	defer func() { *groupp, *resultsp = group, results }()
	t := &pgTx{ctx: ctx, c: conn, batch: &pgx.Batch{}, stored: map[string]pgStoredPurchase{}, merged: s.merged,
		group: &groupWrites{keys: map[string]bool{}}}
	t.queue("begin", "BEGIN ISOLATION LEVEL READ COMMITTED")
	t.queue("take the write lock", "SELECT pg_advisory_xact_lock($1), "+asyncCommitSetting+", "+groupSettings, pgWriteLock)
	t.queueSeqAhead()
	retry := func() (bool, groupCommit) {
		conn.Exec(ctx, "ROLLBACK", pgx.QueryExecModeSimpleProtocol)
		return false, c
	}
	gather := func() {
		for len(group) < maxGroup {
			j := s.commits.more(mutation)
			if j == nil {
				return
			}
			group, results = append(group, j), append(results, nil)
		}
	}
	// lockedWith is how many mutations the group held when it sent the
	// lock's round trip on its own (-1: with the first reads ahead), and
	// reads counts the round trips of reads ahead.
	lockedWith, reads := -1, 0
	if s.lockFirst {
		// Mutations arrived while the last group waited for the lock:
		// this one takes it before it reads, and reads for all that
		// arrived meanwhile in one statement (see Postgres.lockFirst).
		gather()
		lockedWith = len(group)
		if err := t.flush(); err != nil {
			return retry()
		}
	}
	// aheads holds each mutation's rows read ahead, and marks how many
	// rows had been written (len(t.touched)) when they were read.
	var aheads []map[string]aheadRow
	var marks []int
	ran := false
	for i := 0; ; i++ {
		gather()
		if i == 0 && lockedWith >= 0 {
			s.lockFirst = len(group) > lockedWith
		}
		if i == len(group) {
			break
		}
		if len(aheads) < len(group) {
			var ras []*readAhead
			for _, j := range group[len(aheads):] {
				if j.ctx.Err() == nil {
					ras = append(ras, j.ahead)
				} else {
					ras = append(ras, nil)
				}
				aheads, marks = append(aheads, map[string]aheadRow{}), append(marks, len(t.touched))
			}
			t.queueAheadMany(aheads[len(aheads)-len(ras):], ras)
			if err := t.flush(); err != nil {
				return retry()
			}
			if reads++; reads == 2 && lockedWith < 0 {
				s.lockFirst = true
			}
		}
		j := group[i]
		if err := j.ctx.Err(); err != nil {
			results[i] = skranke.E("shop.Postgres.Update", skranke.Unavailable, err)
			continue
		}
		ran = true
		t.ahead = aheads[i]
		for _, key := range t.touched[marks[i]:] {
			if key == touchedAll {
				clear(t.ahead)
				break
			}
			delete(t.ahead, key)
		}
		// What is queued so far is the mutations' before it: mark it.
		// The group's rows stay held, to go with this one's.
		t.sealPending()
		queued, flushes, written := t.batch.Len(), t.flushes, t.sentWrites+t.unsentWrites
		gmark := t.group.mark()
		t.purchaseDoc, t.deliveryDoc = storedDoc{}, storedDoc{}
		// The statements run on the group's context: a desk hanging up
		// must not cancel a statement and with it the others' commit.
		err := runUpdate("write shop database", t, j.fn)
		t.ahead = nil
		// What the next mutation reads it reads itself: this one may yet
		// be rolled back.
		clear(t.stored)
		if err == nil {
			continue
		}
		results[i] = err
		if conn.Conn().PgConn().TxStatus() == 'E' || t.sentWrites > written {
			// A statement failed, or its writes reached the server:
			// only a savepoint undoes them.
			return retry()
		}
		// Nothing it wrote was sent: forget it. (If it sent what was
		// queued, to read, all that is queued now is its own, and so
		// are the group's rows held.)
		switch {
		case t.flushes != flushes:
			queued, gmark = 0, groupMark{}
		case t.group.seals != gmark.seals && gmark.n > 0:
			// Its rows went into a statement with those of the
			// mutations before it.
			return retry()
		case t.group.seals != gmark.seals:
			gmark.n = 0
		}
		t.batch.QueuedQueries, t.ops, t.pending = t.batch.QueuedQueries[:queued], t.ops[:queued], nil
		t.dropGroupRows(gmark)
		t.unsentWrites = written - t.sentWrites
	}
	if !ran {
		if t.begun {
			conn.Exec(ctx, "ROLLBACK", pgx.QueryExecModeSimpleProtocol)
		}
		return true, c
	}
	if t.seqRead {
		// A write: it goes in one statement with the mutations'.
		t.groupRow(groupMeta, "number the changes", "meta", "", nil, "seq", t.seq)
	}
	t.queue("commit", "COMMIT")
	commit := t.batch.Len() - 1
	if err := t.flush(); err != nil {
		if t.done < commit {
			// A statement before the COMMIT failed: it did not run.
			return retry()
		}
		failGroup(ctx, conn, results, err)
		return true, c
	}
	c.committed = true
	if t.seqRead {
		c.seq = t.seq
	}
	return true, c
}

// A group of mutations commits without waiting for the WAL's flush
// (asyncCommitSetting), so that the chain's write lock, which PostgreSQL
// releases only once the commit returns, passes to the next group, on this
// shopd or another, while the flush runs: the fsync leaves the lock's
// critical section, and the committer goes on to the next group. The
// group's callers are answered only after a durableBarrier that started
// after the COMMIT returned has returned (Postgres.barriers, which one
// barrier serves for the groups and readers that wait meanwhile): a
// transaction of its own that writes one WAL record (a message for logical
// decoding, which nothing else reads), so that PostgreSQL flushes its
// commit at the database's own synchronous_commit (with a synchronous
// standby, waits for its acknowledgement too); the WAL is flushed in
// order, the group's commit with it. (A transaction that only took a
// transaction ID would not do: one that wrote no WAL commits without
// waiting for the flush.)
//
// Meanwhile the group is visible and not yet durable: a reader may see it,
// and a crash of the server then would lose it. For a lookup that is what
// any answer the shop had not given yet is; the changes feed is another
// matter, as a desk that moved its cursor past a number the shop lost
// would skip the change that number is given to next. So the feed's head
// is handed out only once durable (see Postgres.FeedHead and
// pgTx.FeedHead).
const (
	asyncCommitSetting = "set_config('synchronous_commit', 'off', true)"
	durableBarrier     = "SELECT pg_logical_emit_message(true, 'skranke', '')"
)

// feedDurableHeadQuery reads the feed's head and whether every commit the
// statement sees is durable: each was visible once its commit record was
// in the WAL, so before the statement took its snapshot, and the WAL's
// insert position read afterwards is past them all. (Read the other way
// round, the flush position is only older: never true in error.) With
// synchronous standbys a local flush is not durable enough: a failover
// would lose what they had not acknowledged, and the answer is no.
const feedDurableHeadQuery = `SELECT value, pg_current_wal_insert_lsn() <= pg_current_wal_flush_lsn()
	AND current_setting('synchronous_standby_names') = '' FROM meta WHERE key = 'seq'`

// noteDurable records that the feed is durable up to seq.
func (s *Postgres) noteDurable(seq int64) {
	for {
		known := s.durable.Load()
		if seq <= known || s.durable.CompareAndSwap(known, seq) {
			return
		}
	}
}

// runSafe runs a group (see runGroup), each Update in a savepoint, and
// leaves in results what each Update's caller is to be told (nil:
// committed). It commits at the server's setting, and says whether it
// committed and up to which feed number.
func (s *Postgres) runSafe(ctx context.Context, conn *pgxpool.Conn, group []*updateJob, results []error) (c groupCommit) {
	t := &pgTx{ctx: ctx, c: conn, batch: &pgx.Batch{}, stored: map[string]pgStoredPurchase{}, merged: s.merged}
	t.queue("begin", "BEGIN ISOLATION LEVEL READ COMMITTED")
	t.queue("take the write lock", "SELECT pg_advisory_xact_lock($1)", pgWriteLock)
	t.queueSeqAhead()
	// An Update's last statements and its RELEASE SAVEPOINT wait in the
	// queue for the next Update's SAVEPOINT and reads (or the COMMIT), so
	// that an Update costs one round trip when it reads only what it read
	// ahead. tail is that Update (-1 for none) and its statements are the
	// first tailLen queued.
	tail, tailLen := -1, 0
	// undo rolls the transaction back to the savepoint of the Update whose
	// statement failed.
	undo := func() error {
		_, err := conn.Exec(ctx, "ROLLBACK TO SAVEPOINT u; RELEASE SAVEPOINT u", pgx.QueryExecModeSimpleProtocol)
		return err
	}
	// send sends the queue. When a statement of the tail fails, the tail
	// Update fails and is undone, and send says so with errTailUndone: the
	// statements queued after it did not run and must be queued again.
	errTailUndone := errors.New("the previous update failed")
	send := func() error {
		err := t.flush()
		if err == nil || tail < 0 || t.done >= tailLen {
			tail, tailLen = -1, 0
			return err
		}
		results[tail] = skranke.E("shop.Postgres.Update", skranke.Internal, err)
		tail, tailLen = -1, 0
		if uerr := undo(); uerr != nil {
			return uerr
		}
		return errTailUndone
	}
	ran := false
	for i, j := range group {
		if err := j.ctx.Err(); err != nil {
			results[i] = skranke.E("shop.Postgres.Update", skranke.Unavailable, err)
			continue
		}
		ran = true
		// The savepoint and the reads ahead go with the tail.
		var err error
		for {
			t.queue("savepoint", "SAVEPOINT u")
			t.queueAhead(j.ahead)
			if err = send(); err != errTailUndone {
				break
			}
		}
		if err != nil {
			if conn.Conn().PgConn().TxStatus() != 'E' || undo() != nil {
				failGroup(ctx, conn, results, err)
				return c
			}
			results[i] = skranke.E("shop.Postgres.Update", skranke.Internal, err)
			continue
		}
		flushes := t.flushes
		// An Update's answer is built from the documents it stored, not
		// from those of the Update before it (as in runFast).
		t.purchaseDoc, t.deliveryDoc = storedDoc{}, storedDoc{}
		// The statements run on the group's context: a desk hanging up
		// must not cancel a statement and with it the others' commit.
		err = runUpdate("write shop database", t, j.fn)
		clear(t.ahead)
		// What the next Update reads it reads itself: this one may yet
		// be rolled back.
		clear(t.stored)
		if err == nil {
			t.queue("release savepoint", "RELEASE SAVEPOINT u")
			tail, tailLen = i, t.batch.Len()
			continue
		}
		results[i] = err
		switch {
		case conn.Conn().PgConn().TxStatus() == 'E':
			// A statement failed and the transaction refuses all but
			// a rollback, even the preparing of the next batch's
			// statements: roll back to the savepoint now. Checked
			// first: a statement sent alone (queryRow with nothing
			// queued) fails this way too.
			t.discard()
			if err := undo(); err != nil {
				failGroup(ctx, conn, results, err)
				return c
			}
		case t.flushes == flushes:
			// Nothing of this Update reached the server since its
			// savepoint: forget it.
			t.discard()
			t.queue("release savepoint", "RELEASE SAVEPOINT u")
		default:
			t.queue("roll back to savepoint", "ROLLBACK TO SAVEPOINT u")
			t.queue("release savepoint", "RELEASE SAVEPOINT u")
		}
	}
	if !ran {
		return c
	}
	for {
		if t.seqRead {
			t.queue("number the changes", "UPDATE meta SET value = $1 WHERE key = 'seq'", t.seq)
		}
		t.queue("commit", "COMMIT")
		err := send()
		if err == errTailUndone {
			continue
		}
		if err != nil {
			failGroup(ctx, conn, results, err)
			return c
		}
		c.committed = true
		if t.seqRead {
			c.seq = t.seq
		}
		return c
	}
}

// pgTx implements Tx on one connection inside a transaction. Statements
// that need no answer (BEGIN, writes, COMMIT) queue and go to the server
// in one batch with the next read.
type pgTx struct {
	ctx     context.Context
	c       *pgxpool.Conn
	batch   *pgx.Batch
	ops     []string // What each queued statement is, for its error.
	begun   bool     // BEGIN has been sent.
	flushes int      // Batches and statements sent alone so far.
	seq     int64    // The last feed number taken (nextSeq), once seqRead.
	seqRead bool
	// done counts the statements of the batch last sent that succeeded,
	// which tells whose statement failed when several Updates' share it.
	done int
	// ahead holds the rows read ahead for the running Update (see
	// readAhead), each served once and all forgotten at its first write.
	ahead map[string]aheadRow
	// stored holds, in an Update, the purchases it read, as they are
	// stored (see PutPurchase); nil in a View.
	stored map[string]pgStoredPurchase
	// pending holds writes that seal will queue as one statement, and
	// merged the statements made so; nil in a View (see write).
	pending []pendingWrite
	merged  map[string]string
	// unsentWrites counts the writes queued (and pending) since the last
	// send, sentWrites those sent: whether a mutation's writes reached the
	// server (see runFast).
	unsentWrites, sentWrites int
	// touched holds the keys of rows read ahead (aheadPurchase+code, ...)
	// that were written, in order, touchedAll for any row (see runFast).
	touched []string
	// group holds the rows of the writes of a group of mutations (see
	// groupRow); nil outside runFast.
	group *groupWrites
	// The documents of the purchase and the delivery stored last (see
	// docKeeper).
	purchaseDoc, deliveryDoc storedDoc
	// durable is the store, in a View: what its snapshot sees of the feed
	// is handed out only as far as durable (see FeedHead), feedCap once
	// FeedHead has read it.
	durable *Postgres
	feedCap *int64
}

// storedDocs implements docKeeper: a delivery's answer is made of the
// documents PutPurchase and AddDelivery encoded, not encoded again on the
// committer's goroutine while the group holds the chain's write lock.
func (t *pgTx) storedDocs(deliveryID, code string) (delivery, purchase json.RawMessage) {
	if t.deliveryDoc.key == deliveryID {
		delivery = t.deliveryDoc.doc
	}
	if t.purchaseDoc.key == code {
		purchase = t.purchaseDoc.doc
	}
	return delivery, purchase
}

// touchedAll in pgTx.touched stands for all rows read ahead.
const touchedAll = "*"

// touch notes that the row read ahead under key (aheadPurchase+code, ...)
// is written: a mutation that read it ahead before reads it again.
func (t *pgTx) touch(key string) {
	t.touched = append(t.touched, key)
}

// queue queues a statement after the writes pending.
func (t *pgTx) queue(op, query string, args ...any) {
	t.seal()
	t.enqueue(op, query, args...)
}

func (t *pgTx) enqueue(op, query string, args ...any) {
	t.batch.Queue(query, args...).Exec(func(pgconn.CommandTag) error {
		t.done++
		return nil
	})
	t.ops = append(t.ops, op)
}

// discard forgets the statements queued and pending.
func (t *pgTx) discard() {
	t.batch.QueuedQueries, t.ops, t.pending = nil, nil, nil
	t.unsentWrites = 0
}

// flush sends the queued writes.
func (t *pgTx) flush() error {
	t.seal()
	if t.batch.Len() == 0 {
		return nil
	}
	b, ops := t.batch, t.ops
	t.batch, t.ops = &pgx.Batch{}, nil
	t.sentWrites += t.unsentWrites
	t.unsentWrites = 0
	t.begun = true
	t.flushes++
	t.done = 0
	err := t.c.SendBatch(t.ctx, b).Close()
	if err != nil {
		return internal("shop.pgTx.flush", fmt.Errorf("%s: %w", strings.Join(slices.Compact(ops), ", "), err))
	}
	return nil
}

// queryRow reads one row; queued writes go along in the same round trip.
func (t *pgTx) queryRow(query string, args ...any) pgx.Row {
	t.seal()
	if t.batch.Len() == 0 {
		t.flushes++
		return t.c.QueryRow(t.ctx, query, args...)
	}
	return &batchRow{t: t, query: query, args: args}
}

// batchRow is a read sent with the queued writes when it is scanned.
type batchRow struct {
	t     *pgTx
	query string
	args  []any
}

func (r *batchRow) Scan(dest ...any) error {
	var scanErr error
	scanned := false
	r.t.seal()
	r.t.batch.Queue(r.query, r.args...).QueryRow(func(row pgx.Row) error {
		scanned = true
		scanErr = row.Scan(dest...)
		if scanErr == nil {
			r.t.done++
		}
		return scanErr
	})
	r.t.ops = append(r.t.ops, "read")
	err := r.t.flush()
	if scanned {
		return scanErr
	}
	return err
}

// queryEach reads rows, calling row for each; queued statements go along
// in the same round trip.
func (t *pgTx) queryEach(row func(pgx.Rows) error, query string, args ...any) error {
	each := func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			if err := row(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	t.seal()
	if t.batch.Len() == 0 {
		t.flushes++
		rows, err := t.c.Query(t.ctx, query, args...)
		if err != nil {
			return err
		}
		return each(rows)
	}
	var readErr error
	read := false
	t.batch.Queue(query, args...).Query(func(rows pgx.Rows) error {
		read = true
		readErr = each(rows)
		if readErr == nil {
			t.done++
		}
		return readErr
	})
	t.ops = append(t.ops, "read")
	err := t.flush()
	if read {
		return readErr
	}
	return err
}

func (t *pgTx) getDoc(op, what string, v any, query string, args ...any) error {
	var doc []byte
	err := t.queryRow(query, args...).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return skranke.E(op, skranke.NotFound, what+" not found")
	}
	if err != nil {
		return internal(op, err)
	}
	return decodeDoc(op, what, doc, v)
}

// decodeDoc decodes a stored document.
func decodeDoc(op, what string, doc []byte, v any) error {
	if err := json.Unmarshal(doc, v); err != nil {
		return internal(op, fmt.Errorf("decode %s: %w", what, err))
	}
	return nil
}

func pgListDocs[T any](t *pgTx, op string, query string, args ...any) ([]T, error) {
	out := []T{}
	err := t.queryEach(func(rows pgx.Rows) error {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, query, args...)
	return out, internal(op, err)
}

// exec queues a write. Rows read ahead may be what it changes, so they
// are read again from now on (see forgetAhead).
func (t *pgTx) exec(op, query string, args ...any) error {
	t.forgetAhead()
	t.touch(touchedAll)
	t.unsentWrites++
	t.queue(op, query, args...)
	return nil
}

// nextSeq takes the next changes-feed number. Update holds the write lock,
// so the number commits before anyone takes the next one. The counter is
// read once per group and counted on here; runGroup writes it back with
// the COMMIT, which saves a round trip under the lock per item written.
// An Update rolled back to its savepoint leaves its numbers unused: the
// feed only needs them to grow.
func (t *pgTx) nextSeq() (int64, error) {
	if !t.seqRead {
		if err := t.queryRow(feedHeadQuery).Scan(&t.seq); err != nil {
			return 0, internal("shop.pgTx.nextSeq", err)
		}
		t.seqRead = true
	}
	t.seq++
	return t.seq, nil
}

// FeedHead implements Tx. In a View, it returns the newest head its
// snapshot sees that is durable (see asyncCommitSetting), and Changes hands
// out nothing past it: the snapshot's own head if the WAL is flushed past
// it, or, when the View was asked for a page of the feed at a head made
// durable before (Server.changes, see withDurableHead) and this shopd
// knows a durable number at least as high, that number, so that the View
// does not hold a connection of the pool while it waits; else the
// snapshot's head once a barrier made it durable.
func (t *pgTx) FeedHead() (int64, error) {
	const op = "shop.pgTx.FeedHead"
	if t.durable == nil {
		var seq int64
		err := t.queryRow(feedHeadQuery).Scan(&seq)
		return seq, internal(op, err)
	}
	var seq int64
	var flushed bool
	if err := t.queryRow(feedDurableHeadQuery).Scan(&seq, &flushed); err != nil {
		return 0, internal(op, err)
	}
	need, asked := durableHeadOf(t.ctx)
	if known := t.durable.durable.Load(); !flushed && seq > known && asked && known >= need {
		seq = known
	} else if err := t.durable.durableHead(t.ctx, seq, flushed); err != nil {
		return 0, skranke.E(op, skranke.Unavailable, err)
	}
	t.feedCap = &seq
	return seq, nil
}

const feedHeadQuery = "SELECT value FROM meta WHERE key = 'seq'"

// FeedHead reads the committed head of the changes feed (see
// Tx.FeedHead) in one statement of its own, without a transaction: the
// counter row is written under the write lock in the transaction whose
// items it numbers, so the value read is that of the last commit, on
// whichever shopd it happened. It returns the head once durable (see
// durableHead).
func (s *Postgres) FeedHead(ctx context.Context) (int64, error) {
	const op = "shop.Postgres.FeedHead"
	var seq int64
	var flushed bool
	if err := s.pool.QueryRow(ctx, feedDurableHeadQuery).Scan(&seq, &flushed); err != nil {
		return 0, internal(op, err)
	}
	if err := s.durableHead(ctx, seq, flushed); err != nil {
		return 0, skranke.E(op, skranke.Unavailable, err)
	}
	return seq, nil
}

// durableHead returns once the feed is durable up to seq, a head read by
// feedDurableHeadQuery (flushed: what it read of the WAL). A head the WAL
// was flushed past, or one this shopd knows durable, is; for another it
// waits for a barrier (durableBarrier) that started after the head was
// read, shared with the readers that need one meanwhile: the barrier's
// commit follows the head's in the WAL, and is flushed with it. The head's
// own group is sending its barrier then, on whichever shopd, and the two
// flushes are mostly one.
func (s *Postgres) durableHead(ctx context.Context, seq int64, flushed bool) error {
	if !flushed && seq > s.durable.Load() {
		if _, err := s.barriers.get(ctx); err != nil {
			return fmt.Errorf("wait until the changes feed is durable: %w", err)
		}
	}
	s.noteDurable(seq)
	return nil
}

// runBarrier runs durableBarrier on the barrier's connection, as the read
// of Postgres.barriers (which shares one for many, as the feed's head is
// read for many polls; the number is unused). A barrier that failed is
// sent once more, on a new connection if the pool dropped the old one:
// it only waits, and a group whose barrier fails is refused whole.
func (s *Postgres) runBarrier(ctx context.Context) (int64, error) {
	_, err := s.barrier.Exec(ctx, durableBarrier)
	if err != nil && ctx.Err() == nil {
		_, err = s.barrier.Exec(ctx, durableBarrier)
	}
	return 0, err
}

// barrierTimeout bounds a barrier: a server that takes longer to flush,
// or a synchronous standby to acknowledge, has the groups waiting for it
// answered 503, to be sent again under their idempotency keys, rather than
// every Update of the shopd and its Close waiting on a connection that may
// be dead.
const barrierTimeout = time.Minute

func (t *pgTx) Centres() ([]skranke.Centre, error) {
	return pgListDocs[skranke.Centre](t, "shop.pgTx.Centres", "SELECT doc FROM centres ORDER BY id")
}

func (t *pgTx) Centre(id string) (skranke.Centre, error) {
	var c skranke.Centre
	err := t.getDoc("shop.pgTx.Centre", "centre "+id, &c, "SELECT doc FROM centres WHERE id = $1", id)
	return c, err
}

func (t *pgTx) PutCentre(c skranke.Centre) error {
	doc, _ := json.Marshal(c)
	return t.exec("shop.pgTx.PutCentre", `INSERT INTO centres (id, doc) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, c.ID, doc)
}

func (t *pgTx) DeskByToken(hash string) (skranke.DeskInfo, error) {
	var d skranke.DeskInfo
	err := t.getDoc("shop.pgTx.DeskByToken", "desk", &d, "SELECT doc FROM desks WHERE token_hash = $1", hash)
	return d, err
}

func (t *pgTx) PutDesk(d skranke.DeskInfo, tokenHash string) error {
	doc, _ := json.Marshal(d)
	// SQLite's INSERT OR REPLACE also drops another desk holding the token.
	if err := t.exec("shop.pgTx.PutDesk", "DELETE FROM desks WHERE token_hash = $1 AND id <> $2", tokenHash, d.ID); err != nil {
		return err
	}
	return t.exec("shop.pgTx.PutDesk", `INSERT INTO desks (id, centre_id, token_hash, doc) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET centre_id = excluded.centre_id, token_hash = excluded.token_hash, doc = excluded.doc`,
		d.ID, d.CentreID, tokenHash, doc)
}

func (t *pgTx) Staff(centreID string) ([]skranke.Staff, error) {
	return pgListDocs[skranke.Staff](t, "shop.pgTx.Staff", "SELECT doc FROM staff WHERE centre_id = $1 ORDER BY id", centreID)
}

func (t *pgTx) StaffMember(id string) (skranke.Staff, error) {
	var s skranke.Staff
	err := t.getDocAhead(aheadStaff+id, "shop.pgTx.StaffMember", "staff member "+id, &s, "SELECT doc FROM staff WHERE id = $1", id)
	return s, err
}

func (t *pgTx) PutStaff(s skranke.Staff) error {
	doc, _ := json.Marshal(s)
	return t.exec("shop.pgTx.PutStaff", `INSERT INTO staff (id, centre_id, role, doc) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET centre_id = excluded.centre_id, role = excluded.role, doc = excluded.doc`,
		s.ID, s.CentreID, string(s.Role), doc)
}

func (t *pgTx) Products() ([]skranke.Product, error) {
	return pgListDocs[skranke.Product](t, "shop.pgTx.Products", "SELECT doc FROM products ORDER BY id")
}

func (t *pgTx) Product(id string) (skranke.Product, error) {
	var p skranke.Product
	err := t.getDoc("shop.pgTx.Product", "product "+id, &p, "SELECT doc FROM products WHERE id = $1", id)
	return p, err
}

func (t *pgTx) PutProduct(p skranke.Product) error {
	doc, _ := json.Marshal(p)
	return t.exec("shop.pgTx.PutProduct", `INSERT INTO products (id, kind, doc) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, doc = excluded.doc`, p.ID, string(p.Kind), doc)
}

func (t *pgTx) Purchase(code string) (*skranke.Purchase, error) {
	const op = "shop.pgTx.Purchase"
	r, ok := t.takeAhead(aheadPurchase + code)
	if !ok {
		err := t.queryRow(purchaseQuery, code).Scan(&r.doc, &r.unsearched)
		r.found = err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, internal(op, err)
		}
	}
	if !r.found {
		return nil, skranke.E(op, skranke.NotFound, "purchase "+code+" not found")
	}
	p := new(skranke.Purchase)
	if err := decodeDoc(op, "purchase "+code, r.doc, p); err != nil {
		return nil, err
	}
	if t.stored != nil {
		t.stored[code] = pgStoredPurchase{buyer: p.Buyer, unsearched: r.unsearched, lines: slices.Clone(p.Lines)}
	}
	return p, nil
}

// pgStoredPurchase is what a purchase's rows hold, as the running Update
// read them: enough for PutPurchase to write only what changed.
type pgStoredPurchase struct {
	buyer      skranke.Buyer
	unsearched bool // Its search text is '' (stored before migration 0003).
	lines      []skranke.Line
}

func (t *pgTx) PurchaseDoc(code string) (string, json.RawMessage, error) {
	var centre string
	var doc []byte
	err := t.queryRow("SELECT centre_id, doc FROM purchases WHERE code = $1", code).Scan(&centre, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, skranke.E("shop.pgTx.PurchaseDoc", skranke.NotFound, "purchase "+code+" not found")
	}
	return centre, doc, internal("shop.pgTx.PurchaseDoc", err)
}

// PutPurchase writes a purchase with the next feed number. A purchase the
// running Update read (a delivery's, a credit's) is updated in place:
// its row, whose indexed columns a change leaves as they were, so that
// PostgreSQL can rewrite it on its page without touching an index (a HOT
// update); its place in the feed (purchase_feed); and those of its lines
// that changed. The search text is written only when what it is made of
// (the buyer; the code is the row's key) changed. Any other purchase is
// inserted or replaced whole.
func (t *pgTx) PutPurchase(p *skranke.Purchase) error {
	const op = "shop.pgTx.PutPurchase"
	seq, err := t.nextSeq()
	if err != nil {
		return err
	}
	p.Seq = seq
	t.purchaseDoc = storedDoc{}
	doc, err := json.Marshal(p)
	if err != nil {
		return internal(op, err)
	}
	t.purchaseDoc = storedDoc{key: p.Code, doc: doc}
	t.touch(aheadPurchase + p.Code)
	if old, ok := t.stored[p.Code]; ok && sameLines(old.lines, p.Lines) {
		t.stored[p.Code] = pgStoredPurchase{buyer: p.Buyer, lines: slices.Clone(p.Lines)}
		var search *string
		if old.unsearched || old.buyer != p.Buyer {
			text := skranke.SearchText(p)
			search = &text
			err = t.groupRow(groupPurchases, op, "purchases", `UPDATE purchases SET status = $2, buyer_name = $3, seq = $4, updated_at = $5, doc = $6, search = $7 WHERE code = $1`,
				[]any{p.Code, string(p.Status), p.Buyer.Name, seq, p.UpdatedAt.UnixMilli(), doc, text},
				p.Code, string(p.Status), p.Buyer.Name, seq, p.UpdatedAt.UnixMilli(), doc, search)
		} else {
			err = t.groupRow(groupPurchases, op, "purchases", `UPDATE purchases SET status = $2, buyer_name = $3, seq = $4, updated_at = $5, doc = $6 WHERE code = $1`,
				[]any{p.Code, string(p.Status), p.Buyer.Name, seq, p.UpdatedAt.UnixMilli(), doc},
				p.Code, string(p.Status), p.Buyer.Name, seq, p.UpdatedAt.UnixMilli(), doc, search)
		}
		if err != nil {
			return err
		}
		if err := t.groupRow(groupFeed, op, "purchase_feed", "UPDATE purchase_feed SET seq = $2 WHERE code = $1",
			[]any{p.Code, seq}, p.Code, seq); err != nil {
			return err
		}
		return t.updateLines(op, p.Code, old.lines, p.Lines)
	}
	if t.stored != nil {
		t.stored[p.Code] = pgStoredPurchase{buyer: p.Buyer, lines: slices.Clone(p.Lines)}
	}
	if err := t.write(op, "purchases", `INSERT INTO purchases (code, centre_id, status, buyer_name, seq, created_at, updated_at, doc, search)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (code) DO UPDATE SET status = excluded.status, buyer_name = excluded.buyer_name,
			seq = excluded.seq, updated_at = excluded.updated_at, doc = excluded.doc, search = excluded.search`,
		p.Code, p.CentreID, string(p.Status), p.Buyer.Name, seq, p.CreatedAt.UnixMilli(), p.UpdatedAt.UnixMilli(), doc, skranke.SearchText(p)); err != nil {
		return err
	}
	if err := t.write(op, "purchase_feed", `INSERT INTO purchase_feed (code, centre_id, seq) VALUES ($1, $2, $3)
		ON CONFLICT (code) DO UPDATE SET seq = excluded.seq`, p.Code, p.CentreID, seq); err != nil {
		return err
	}
	if len(p.Lines) == 0 {
		return nil
	}
	// All lines in one statement: one round trip whatever their number.
	n := len(p.Lines)
	ids, products, names, kinds := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	qty, price, vat, disc, deliv := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, l := range p.Lines {
		ids[i], products[i], names[i], kinds[i] = l.ID, l.ProductID, l.Name, string(l.Kind)
		qty[i], price[i], vat[i], disc[i], deliv[i] = int64(l.Quantity), int64(l.UnitPrice), int64(l.VATRate), int64(l.Discount), int64(l.Delivered)
	}
	return t.write(op, "purchase_lines", `INSERT INTO purchase_lines (purchase_code, line_id, product_id, name, kind, quantity, unit_price, vat_rate, discount, delivered)
		SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
		ON CONFLICT (purchase_code, line_id) DO UPDATE SET quantity = excluded.quantity, delivered = excluded.delivered,
			unit_price = excluded.unit_price, discount = excluded.discount`,
		p.Code, ids, products, names, kinds, qty, price, vat, disc, deliv)
}

// sameLines reports whether two versions of a purchase have the same
// lines, in the same order.
func sameLines(a, b []skranke.Line) bool {
	return slices.EqualFunc(a, b, func(x, y skranke.Line) bool { return x.ID == y.ID })
}

// updateLines writes the columns of purchase_lines that PutPurchase's
// upsert writes (quantity, delivered, unit price, discount) for the lines
// whose values differ from what was read: a delivery changes one or two.
func (t *pgTx) updateLines(op, code string, old, lines []skranke.Line) error {
	var ids []string
	var qty, deliv, price, disc []int64
	for i, l := range lines {
		o := old[i]
		if o.Quantity == l.Quantity && o.Delivered == l.Delivered && o.UnitPrice == l.UnitPrice && o.Discount == l.Discount {
			continue
		}
		ids = append(ids, l.ID)
		qty, deliv = append(qty, int64(l.Quantity)), append(deliv, int64(l.Delivered))
		price, disc = append(price, int64(l.UnitPrice)), append(disc, int64(l.Discount))
	}
	if t.group != nil {
		for i, id := range ids {
			if err := t.groupRow(groupLines, op, "purchase_lines", "", nil, code, id, qty[i], deliv[i], price[i], disc[i]); err != nil {
				return err
			}
		}
		return nil
	}
	switch len(ids) {
	case 0:
		return nil
	case 1:
		return t.write(op, "purchase_lines", `UPDATE purchase_lines SET quantity = $3, delivered = $4, unit_price = $5, discount = $6
			WHERE purchase_code = $1 AND line_id = $2`, code, ids[0], qty[0], deliv[0], price[0], disc[0])
	}
	return t.write(op, "purchase_lines", `UPDATE purchase_lines l SET quantity = v.q, delivered = v.d, unit_price = v.u, discount = v.x
		FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS v(id, q, d, u, x)
		WHERE l.purchase_code = $1 AND l.line_id = v.id`, code, ids, qty, deliv, price, disc)
}

func (t *pgTx) Delivery(id string) (skranke.Delivery, error) {
	var d skranke.Delivery
	err := t.getDocAhead(aheadDelivery+id, "shop.pgTx.Delivery", "delivery "+id, &d, deliveryQuery, id)
	return d, err
}

func (t *pgTx) AddDelivery(centreID string, d skranke.Delivery) error {
	t.deliveryDoc = storedDoc{}
	doc, err := json.Marshal(d)
	if err != nil {
		return internal("shop.pgTx.AddDelivery", err)
	}
	t.deliveryDoc = storedDoc{key: d.ID, doc: doc}
	t.touch(aheadDelivery + d.ID)
	args := []any{d.ID, d.PurchaseCode, centreID, d.At.UnixNano(), doc}
	return t.groupRow(groupDeliveries, "shop.pgTx.AddDelivery", "deliveries", "INSERT INTO deliveries (id, purchase_code, centre_id, at, doc) VALUES ($1, $2, $3, $4, $5)",
		args, args...)
}

func (t *pgTx) Credit(id string) (skranke.Credit, error) {
	var c skranke.Credit
	err := t.getDoc("shop.pgTx.Credit", "credit "+id, &c, "SELECT doc FROM credits WHERE id = $1", id)
	return c, err
}

func (t *pgTx) AddCredit(centreID string, c skranke.Credit) error {
	doc, _ := json.Marshal(c)
	return t.write("shop.pgTx.AddCredit", "credits", "INSERT INTO credits (id, purchase_code, centre_id, at, doc) VALUES ($1, $2, $3, $4, $5)",
		c.ID, c.PurchaseCode, centreID, c.At.UnixNano(), doc)
}

func (t *pgTx) Reversal(id string) (skranke.Reversal, error) {
	var r skranke.Reversal
	err := t.getDoc("shop.pgTx.Reversal", "reversal "+id, &r, "SELECT doc FROM reversals WHERE id = $1", id)
	return r, err
}

func (t *pgTx) AddReversal(centreID string, r skranke.Reversal) error {
	doc, _ := json.Marshal(r)
	return t.write("shop.pgTx.AddReversal", "reversals", "INSERT INTO reversals (id, delivery_id, purchase_code, centre_id, at, doc) VALUES ($1, $2, $3, $4, $5, $6)",
		r.ID, r.DeliveryID, r.PurchaseCode, centreID, r.At.UnixNano(), doc)
}

func (t *pgTx) Card(code string) (*skranke.Card, error) {
	var c skranke.Card
	if err := t.getDoc("shop.pgTx.Card", "gift card "+code, &c, "SELECT doc FROM cards WHERE code = $1", code); err != nil {
		return nil, err
	}
	return &c, nil
}

func (t *pgTx) PutCard(c *skranke.Card) error {
	const op = "shop.pgTx.PutCard"
	seq, err := t.nextSeq()
	if err != nil {
		return err
	}
	c.Seq = seq
	doc, err := json.Marshal(c)
	if err != nil {
		return internal(op, err)
	}
	clear(t.ahead)
	t.touch(aheadCards + c.PurchaseCode)
	return t.write(op, "cards", `INSERT INTO cards (code, centre_id, status, balance, parent_code, purchase_code, seq, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (code) DO UPDATE SET status = excluded.status, balance = excluded.balance, seq = excluded.seq, doc = excluded.doc`,
		c.Code, c.CentreID, string(c.Status), int64(c.Balance), nullable(c.ParentCode), nullable(c.PurchaseCode), seq, doc)
}

func (t *pgTx) CardsOfPurchase(code string) ([]skranke.Card, error) {
	if r, ok := t.takeAhead(aheadCards + code); ok {
		cards := []skranke.Card{}
		return cards, decodeDoc("shop.pgTx.CardsOfPurchase", "gift cards of "+code, r.doc, &cards)
	}
	return pgListDocs[skranke.Card](t, "shop.pgTx.CardsOfPurchase",
		"SELECT doc FROM cards WHERE purchase_code = $1 AND parent_code IS NULL ORDER BY seq", code)
}

func (t *pgTx) Redemption(id string) (skranke.Redemption, error) {
	var r skranke.Redemption
	err := t.getDoc("shop.pgTx.Redemption", "redemption "+id, &r, "SELECT doc FROM redemptions WHERE id = $1", id)
	return r, err
}

func (t *pgTx) AddRedemption(centreID string, r skranke.Redemption) error {
	doc, _ := json.Marshal(r)
	return t.write("shop.pgTx.AddRedemption", "redemptions", "INSERT INTO redemptions (id, card_code, centre_id, at, doc) VALUES ($1, $2, $3, $4, $5)",
		r.ID, r.CardCode, centreID, r.At.UnixNano(), doc)
}

func (t *pgTx) Redemptions(cardCodes []string) ([]skranke.Redemption, error) {
	if len(cardCodes) == 0 {
		return []skranke.Redemption{}, nil
	}
	return pgListDocs[skranke.Redemption](t, "shop.pgTx.Redemptions",
		"SELECT doc FROM redemptions WHERE card_code = ANY($1) ORDER BY at, id", cardCodes)
}

func (t *pgTx) Signature(id string) (Signature, error) {
	s := Signature{ID: id}
	var at int64
	err := t.queryRow("SELECT centre_id, desk_id, png, created_at FROM signatures WHERE id = $1", id).
		Scan(&s.CentreID, &s.DeskID, &s.PNG, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, skranke.E("shop.pgTx.Signature", skranke.NotFound, "signature "+id+" not found")
	}
	s.At = time.UnixMilli(at).UTC()
	return s, internal("shop.pgTx.Signature", err)
}

func (t *pgTx) PutSignature(s Signature) error {
	return t.exec("shop.pgTx.PutSignature", "INSERT INTO signatures (id, centre_id, desk_id, png, created_at) VALUES ($1, $2, $3, $4, $5)",
		s.ID, s.CentreID, s.DeskID, s.PNG, s.At.UnixMilli())
}

func (t *pgTx) Changes(centreID string, since int64, limit int) (Changes, error) {
	const op = "shop.pgTx.Changes"
	ch := Changes{Next: since, Purchases: []json.RawMessage{}, Cards: []json.RawMessage{}}
	upTo := int64(math.MaxInt64)
	if t.durable != nil {
		// Nothing the snapshot sees is handed out before it is durable
		// (see FeedHead).
		if t.feedCap == nil {
			if _, err := t.FeedHead(); err != nil {
				return ch, err
			}
		}
		upTo = *t.feedCap
	}
	// One statement over both tables: a page costs one round trip.
	n := 0
	err := t.queryEach(func(rows pgx.Rows) error {
		var seq int64
		var card bool
		var doc []byte
		if err := rows.Scan(&seq, &card, &doc); err != nil {
			return err
		}
		if n == limit {
			ch.More = true
			return nil
		}
		n++
		if card {
			ch.Cards = append(ch.Cards, doc)
		} else {
			ch.Purchases = append(ch.Purchases, doc)
		}
		ch.Next = seq
		return nil
	}, `(SELECT f.seq, false, p.doc FROM purchase_feed f JOIN purchases p ON p.code = f.code
			WHERE f.centre_id = $1 AND f.seq > $2 AND f.seq <= $4 ORDER BY f.seq LIMIT $3)
		UNION ALL (SELECT seq, true, doc FROM cards WHERE centre_id = $1 AND seq > $2 AND seq <= $4 ORDER BY seq LIMIT $3)
		ORDER BY 1 LIMIT $3`, centreID, since, limit+1, upTo)
	return ch, internal(op, err)
}

func (t *pgTx) Activity(centreID string, from, to time.Time) (Activity, error) {
	var a Activity
	var err error
	f, u := from.UnixNano(), to.UnixNano()
	if a.Deliveries, err = pgListDocs[skranke.Delivery](t, "shop.pgTx.Activity",
		"SELECT doc FROM deliveries WHERE centre_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id", centreID, f, u); err != nil {
		return a, err
	}
	if a.Redemptions, err = pgListDocs[skranke.Redemption](t, "shop.pgTx.Activity",
		"SELECT doc FROM redemptions WHERE centre_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id", centreID, f, u); err != nil {
		return a, err
	}
	if a.Credits, err = pgListDocs[skranke.Credit](t, "shop.pgTx.Activity",
		"SELECT doc FROM credits WHERE centre_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id", centreID, f, u); err != nil {
		return a, err
	}
	a.Reversals, err = pgListDocs[skranke.Reversal](t, "shop.pgTx.Activity",
		"SELECT doc FROM reversals WHERE centre_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id", centreID, f, u)
	return a, err
}

func (t *pgTx) Idempotency(scope, key string) (IdempotencyRecord, error) {
	r := IdempotencyRecord{Scope: scope, Key: key}
	var err error
	if a, ok := t.takeAhead(aheadIdem + scope + "\x00" + key); ok {
		r = a.idem
		if !a.found {
			err = pgx.ErrNoRows
		}
	} else {
		err = scanIdempotency(t.queryRow(idempotencyQuery, scope, key), &r)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return r, skranke.E("shop.pgTx.Idempotency", skranke.NotFound, "no such key")
	}
	return r, internal("shop.pgTx.Idempotency", err)
}

func (t *pgTx) PutIdempotency(r IdempotencyRecord) error {
	t.touch(aheadIdem + r.Scope + "\x00" + r.Key)
	args := []any{r.Scope, r.Key, r.Fingerprint, r.Status, r.ContentType, r.Body, r.CreatedAt.UnixMilli()}
	return t.groupRow(groupIdempotency, "shop.pgTx.PutIdempotency", "idempotency",
		"INSERT INTO idempotency (scope, key, fingerprint, status, content_type, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		args, args...)
}

func (t *pgTx) PurgeIdempotency(before time.Time) (int64, error) {
	return t.execCount("shop.pgTx.PurgeIdempotency", "DELETE FROM idempotency WHERE created_at < $1", before.UnixMilli())
}

func (t *pgTx) PaymentEvent(id string) (bool, error) {
	var one int
	err := t.queryRow("SELECT 1 FROM payment_events WHERE id = $1", id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, internal("shop.pgTx.PaymentEvent", err)
}

func (t *pgTx) AddPaymentEvent(id, reference string, status skranke.PaymentStatus, at time.Time) error {
	return t.exec("shop.pgTx.AddPaymentEvent", "INSERT INTO payment_events (id, reference, status, at) VALUES ($1, $2, $3, $4)",
		id, reference, string(status), at.UnixMilli())
}
