package shop

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	_ "modernc.org/sqlite" // The database/sql driver "sqlite".
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	wstmts  *stmtCache // Prepared statements of the writer.
	rstmts  *stmtCache // Prepared statements of the readers.
	commits *groupCommitter
	once    sync.Once
}

// OpenSQLite opens (creating if needed) the database at path and brings its
// schema up to date.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	// synchronous(FULL): a desk forgets an action once the shop answered
	// 201, so a commit must survive a power cut, not only a crash. It costs
	// an fsync per write transaction, which group commit (Update) shares
	// among the Updates that arrive together.
	base := "file:" + filepath.ToSlash(path) +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=cache_size(-32000)"
	writer, err := sql.Open("sqlite", base+"&_txlock=immediate")
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
	s.wstmts, s.rstmts = newStmtCache(writer), newStmtCache(reader)
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
		err = errors.Join(s.rstmts.close(), s.wstmts.close(), s.reader.Close(), s.writer.Close())
	})
	return err
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
	// The statements run on the group's context: a desk hanging up must not
	// cancel a statement and with it the others' commit.
	ctx := context.Background()
	results := make([]error, len(group))
	finish := func(err error) { answer(group, results, err) }
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		finish(skranke.E(op, skranke.Internal, err))
		return
	}
	t := &sqlTx{ctx: ctx, tx: tx, stmts: s.wstmts}
	for i, j := range group {
		if err := j.ctx.Err(); err != nil {
			results[i] = skranke.E(op, skranke.Unavailable, err)
			continue
		}
		if err := t.exec(op, "SAVEPOINT u"); err != nil {
			tx.Rollback()
			finish(err)
			return
		}
		err := runUpdate(op, t, j.fn)
		if err == nil {
			err = t.exec(op, "RELEASE u")
		}
		if err != nil {
			results[i] = err
			// A failed savepoint leaves the others' writes alone. Should
			// SQLite have rolled back the whole transaction (a full disk,
			// an I/O error), there is nothing to return to: the group is
			// lost, and every Update in it fails.
			if rerr := errors.Join(t.exec(op, "ROLLBACK TO u"), t.exec(op, "RELEASE u")); rerr != nil {
				tx.Rollback()
				for k := range results {
					if k < i || results[k] == nil {
						results[k] = rerr
					}
				}
				finish(nil)
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tx.Rollback()
		finish(skranke.E(op, skranke.Internal, err))
		return
	}
	finish(nil)
	s.wstmts.flush(ctx)
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

// sqlTx implements Tx on a database/sql transaction.
type sqlTx struct {
	ctx   context.Context
	tx    sqlRunner  // A *sql.Tx, or the read pool for statements run alone (viewStatements).
	stmts *stmtCache // Of the pool tx is on; nil prepares every statement afresh.
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
func (t *sqlTx) query(query string, args ...any) (*sql.Rows, error) {
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
func (t *sqlTx) queryRow(query string, args ...any) *sql.Row {
	st, err := t.stmt(query)
	if err != nil || st == nil {
		// A Row carries its error to Scan; a failing query gives one.
		return t.tx.QueryRowContext(t.ctx, query, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
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

func (t *sqlTx) nextSeq() (int64, error) {
	var seq int64
	err := t.queryRow("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value").Scan(&seq)
	return seq, internal("shop.sqlTx.nextSeq", err)
}

func (t *sqlTx) FeedHead() (int64, error) {
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
	var p skranke.Purchase
	if err := t.getDoc("shop.sqlTx.Purchase", "purchase "+code, &p, "SELECT doc FROM purchases WHERE code = ?", code); err != nil {
		return nil, err
	}
	return &p, nil
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
	if err := t.exec(op, `INSERT INTO purchases (code, centre_id, status, buyer_name, seq, created_at, updated_at, doc, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET status = excluded.status, buyer_name = excluded.buyer_name,
			seq = excluded.seq, updated_at = excluded.updated_at, doc = excluded.doc, search = excluded.search`,
		p.Code, p.CentreID, string(p.Status), p.Buyer.Name, seq, p.CreatedAt.UnixMilli(), p.UpdatedAt.UnixMilli(), doc, skranke.SearchText(p)); err != nil {
		return err
	}
	for _, l := range p.Lines {
		if err := t.exec(op, `INSERT INTO purchase_lines (purchase_code, line_id, product_id, name, kind, quantity, unit_price, vat_rate, discount, delivered)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (purchase_code, line_id) DO UPDATE SET quantity = excluded.quantity, delivered = excluded.delivered,
				unit_price = excluded.unit_price, discount = excluded.discount`,
			p.Code, l.ID, l.ProductID, l.Name, string(l.Kind), l.Quantity, int64(l.UnitPrice), l.VATRate, int64(l.Discount), l.Delivered); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqlTx) Delivery(id string) (skranke.Delivery, error) {
	var d skranke.Delivery
	err := t.getDoc("shop.sqlTx.Delivery", "delivery "+id, &d, "SELECT doc FROM deliveries WHERE id = ?", id)
	return d, err
}

func (t *sqlTx) AddDelivery(centreID string, d skranke.Delivery) error {
	doc, _ := json.Marshal(d)
	return t.exec("shop.sqlTx.AddDelivery", "INSERT INTO deliveries (id, purchase_code, centre_id, at, doc) VALUES (?, ?, ?, ?, ?)",
		d.ID, d.PurchaseCode, centreID, d.At.UnixNano(), doc)
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
	res, err := t.tx.ExecContext(t.ctx, "DELETE FROM idempotency WHERE created_at < ?", before.UnixMilli())
	if err != nil {
		return 0, internal("shop.sqlTx.PurgeIdempotency", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
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
