package shop

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// writerConn runs the writer's statements on the driver's connection
// itself, which the group committer holds for the whole of a group
// (sql.Conn.Raw). Through database/sql each statement cost a lock, a
// rebinding of the prepared statement to the transaction (Tx.StmtContext)
// and, for every query, a goroutine watching the transaction's context;
// with a dozen statements to a delivery that was a good part of its CPU.
// Statements are prepared once on the connection and kept while it lives.
// It is used only while holding the connection (SQLite.rawWriter).
type writerConn struct {
	conn  driver.Conn
	stmts map[string]driver.Stmt
	// writes counts the statements run that may have written (all but
	// those starting with SELECT): an Update of a group without
	// savepoints that fails having run none has nothing to undo (see
	// SQLite.runFast).
	writes int64
}

// use makes w run on conn, dropping the statements of an earlier
// connection (database/sql replaced it: it is closed, and so are they).
func (w *writerConn) use(conn driver.Conn) {
	if w.conn != conn {
		w.conn, w.stmts = conn, map[string]driver.Stmt{}
	}
}

// close closes the prepared statements of conn.
func (w *writerConn) close(conn driver.Conn) error {
	var errs []error
	if w.conn == conn {
		for q, st := range w.stmts {
			errs = append(errs, st.Close())
			delete(w.stmts, q)
		}
	}
	w.conn, w.stmts = nil, nil
	return errors.Join(errs...)
}

// stmt returns query prepared on the connection. Queries built with
// lists of varying length are many: past maxStmts kept, a statement is
// prepared for one use, and keep is false.
func (w *writerConn) stmt(ctx context.Context, query string) (st driver.Stmt, keep bool, err error) {
	if st := w.stmts[query]; st != nil {
		return st, true, nil
	}
	st, err = w.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	if len(w.stmts) >= maxStmts {
		return st, false, nil
	}
	w.stmts[query] = st
	return st, true, nil
}

// mayWrite reports whether query may write: it does not start with SELECT.
func mayWrite(query string) bool { return !strings.HasPrefix(query, "SELECT ") }

func (w *writerConn) exec(ctx context.Context, query string, args []any) (driver.Result, error) {
	if mayWrite(query) {
		w.writes++
	}
	st, keep, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if !keep {
		defer st.Close()
	}
	nv, err := namedValues(args)
	if err != nil {
		return nil, err
	}
	return st.(driver.StmtExecContext).ExecContext(ctx, nv)
}

func (w *writerConn) query(ctx context.Context, query string, args []any) (*driverRows, error) {
	if mayWrite(query) {
		w.writes++
	}
	st, keep, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	nv, err := namedValues(args)
	if err == nil {
		var rows driver.Rows
		if rows, err = st.(driver.StmtQueryContext).QueryContext(ctx, nv); err == nil {
			r := &driverRows{rows: rows, vals: make([]driver.Value, len(rows.Columns()))}
			if !keep {
				r.stmt = st
			}
			return r, nil
		}
	}
	if !keep {
		st.Close()
	}
	return nil, err
}

// namedValues converts a statement's arguments as database/sql would for
// the types the shop passes.
func namedValues(args []any) ([]driver.NamedValue, error) {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		var v driver.Value
		switch x := a.(type) {
		case nil, int64, float64, bool, []byte, string:
			v = x
		case int:
			v = int64(x)
		case json.RawMessage:
			v = []byte(x)
		default:
			var err error
			if v, err = driver.DefaultParameterConverter.ConvertValue(a); err != nil {
				return nil, fmt.Errorf("argument %d: %w", i+1, err)
			}
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv, nil
}

// rowIter is a query's rows: *sql.Rows, or driverRows on the writer.
type rowIter interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// rowScanner is a query's one row: *sql.Row, or driverRow on the writer.
type rowScanner interface {
	Scan(dest ...any) error
}

// driverRows is rowIter on the driver's rows.
type driverRows struct {
	rows driver.Rows
	stmt driver.Stmt // Closed with the rows: prepared for this query alone.
	vals []driver.Value
	err  error
	done bool
}

func (r *driverRows) Next() bool {
	if r.done {
		return false
	}
	if err := r.rows.Next(r.vals); err != nil {
		if err != io.EOF {
			r.err = err
		}
		r.Close()
		return false
	}
	return true
}

func (r *driverRows) Scan(dest ...any) error {
	if r.done {
		return errors.New("sql: Rows are closed")
	}
	if len(dest) != len(r.vals) {
		return fmt.Errorf("sql: expected %d destination arguments in Scan, not %d", len(r.vals), len(dest))
	}
	for i, d := range dest {
		if err := assign(d, r.vals[i]); err != nil {
			return fmt.Errorf("sql: Scan error on column index %d: %w", i, err)
		}
	}
	return nil
}

func (r *driverRows) Err() error { return r.err }

func (r *driverRows) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	err := r.rows.Close()
	if r.stmt != nil {
		err = errors.Join(err, r.stmt.Close())
	}
	return err
}

// driverRow is rowScanner on the first row of a query, which it closes.
type driverRow struct {
	rows *driverRows
	err  error
}

func (r driverRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// assign stores a column's value in dest, converting as database/sql does
// for the destinations the shop scans into.
func assign(dest any, v driver.Value) error {
	switch d := dest.(type) {
	case *[]byte:
		switch x := v.(type) {
		case []byte:
			*d = x // The driver copied it out of SQLite's memory.
		case string:
			*d = []byte(x)
		case nil:
			*d = nil
		default:
			return fmt.Errorf("converting %T to []byte is unsupported", v)
		}
		return nil
	case *json.RawMessage:
		return assign((*[]byte)(d), v)
	case *string:
		switch x := v.(type) {
		case string:
			*d = x
		case []byte:
			*d = string(x)
		case int64:
			*d = strconv.FormatInt(x, 10)
		default:
			return fmt.Errorf("converting %T to string is unsupported", v)
		}
		return nil
	case *int64:
		n, err := asInt64(v)
		*d = n
		return err
	case *int:
		n, err := asInt64(v)
		*d = int(n)
		return err
	case *bool:
		n, err := asInt64(v)
		*d = n != 0
		return err
	case *any:
		*d = v
		return nil
	case sql.Scanner:
		return d.Scan(v)
	}
	return fmt.Errorf("unsupported Scan destination %T", dest)
}

func asInt64(v driver.Value) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	case []byte:
		return strconv.ParseInt(string(x), 10, 64)
	}
	return 0, fmt.Errorf("converting %T to an integer is unsupported", v)
}
