package shop

import (
	"slices"
	"strconv"
	"strings"
)

// pendingWrite is a write queued by pgTx.write, not yet in the batch.
type pendingWrite struct {
	op, table, query string
	args             []any
}

// write queues a write to table, as exec does, to go to the server as one
// statement with the writes that follow it up to the running Update's next
// read, statement of another kind or end (see seal): WITH w0 AS (INSERT
// ...), w1 AS (UPDATE ...) UPDATE ... A delivery writes five tables, and
// the server's work for a statement (bind, executor start and end,
// relation locks) costs it about as much again as the rows it writes.
//
// A write to a table that holds rows read ahead (see readAhead) must say
// which (see pgTx.touch). Statements so merged see the database as it was before all of them (one
// snapshot), so only writes to different tables go together: none of them
// reads what another writes, and no row is written twice in one
// statement. Foreign keys are checked when the whole statement is done,
// and see all of its rows.
func (t *pgTx) write(op, table, query string, args ...any) error {
	t.forgetAhead()
	t.unsentWrites++
	t.sealGroup()
	if t.merged == nil {
		t.queue(op, query, args...)
		return nil
	}
	for _, w := range t.pending {
		if w.table == table {
			t.sealPending()
			break
		}
	}
	t.pending = append(t.pending, pendingWrite{op: op, table: table, query: query, args: args})
	return nil
}

// seal queues the writes held: a group's rows (see groupRow) and the
// pending writes. At most one of them holds any: each seals the other
// before it takes a write, so that they go in the order written.
func (t *pgTx) seal() {
	t.sealGroup()
	t.sealPending()
}

// sealPending queues the pending writes, as one statement if there are
// several.
func (t *pgTx) sealPending() {
	switch len(t.pending) {
	case 0:
		return
	case 1:
		w := t.pending[0]
		t.pending = t.pending[:0]
		t.enqueue(w.op, w.query, w.args...)
		return
	}
	var key strings.Builder
	n := 0
	for _, w := range t.pending {
		key.WriteString(w.query)
		key.WriteByte(0)
		n += len(w.args)
	}
	query, ok := t.merged[key.String()]
	if !ok {
		query = mergeWrites(t.pending)
		t.merged[key.String()] = query
	}
	if query == "" {
		// Parameters that could not be numbered anew: one by one.
		for _, w := range t.pending {
			t.enqueue(w.op, w.query, w.args...)
		}
		t.pending = t.pending[:0]
		return
	}
	args := make([]any, 0, n)
	ops := make([]string, 0, len(t.pending))
	for _, w := range t.pending {
		args = append(args, w.args...)
		ops = append(ops, w.op)
	}
	t.pending = t.pending[:0]
	t.enqueue(strings.Join(slices.Compact(ops), ", "), query, args...)
}

// mergeWrites returns the statement that runs ws as one: each but the
// last as a WITH query, their parameters numbered on from the one
// before's; "" if a statement's parameters are not $1 to $n, each used.
func mergeWrites(ws []pendingWrite) string {
	var b strings.Builder
	b.WriteString("WITH ")
	off := 0
	for i, w := range ws {
		q, n, ok := renumber(w.query, off)
		if !ok || n != len(w.args) {
			return ""
		}
		off += n
		switch {
		case i == len(ws)-1:
			b.WriteString(" ")
			b.WriteString(q)
		default:
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("w" + strconv.Itoa(i) + " AS (" + q + ")")
		}
	}
	return b.String()
}

// renumber adds off to the number of each parameter ($1, $2, ...) of
// query outside quoted text, and says how many parameters it has (the
// highest number) and whether each of $1 to that is used.
func renumber(query string, off int) (string, int, bool) {
	var b strings.Builder
	seen := map[int]bool{}
	top := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(query[i+1 : j])
			seen[n] = true
			top = max(top, n)
			b.WriteString("$" + strconv.Itoa(n+off))
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), top, len(seen) == top && quote == 0
}
