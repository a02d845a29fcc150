package shop

import (
	"fmt"
	"strings"
)

// groupForm is a write that a group of mutations (see runFast) sends for
// all of them as one statement: its rows, one per call of pgTx.groupRow,
// go to the server as arrays, one per column, that the statement unnests.
// A delivery writes five tables; as a statement of its own each (or one
// per delivery, see pgTx.write) the server paid, for every delivery, the
// work of a statement on each table (bind, executor start and end,
// relation and index locks, opening each index), about as much as the
// rows themselves cost it.
type groupForm struct {
	name string
	// query reads its rows from unnest($1::type[], ...) of cols.
	query string
	// cols are the columns' types: text, ntext (text or NULL, a *string),
	// bigint, int, bytea. The first keys of them are the row's key: no
	// two rows in one statement may have the same (see groupRow).
	cols []string
	keys int
}

// The writes of a delivery (and of the mutations that write the same
// rows), and the feed's counter. UPDATE … FROM unnest joins the rows to
// the table: runFast keeps those joins on the table's key index (see
// groupSettings), whatever the sizes the plan is made for.
var (
	groupDeliveries = &groupForm{name: "deliveries", keys: 1,
		cols: []string{"text", "text", "text", "bigint", "bytea"},
		query: `INSERT INTO deliveries (id, purchase_code, centre_id, at, doc)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[])`}
	// groupPurchases updates purchases in place (see PutPurchase); a NULL
	// search text leaves it as it is.
	groupPurchases = &groupForm{name: "purchases", keys: 1,
		cols: []string{"text", "text", "text", "bigint", "bigint", "bytea", "ntext"},
		query: `UPDATE purchases p SET status = v.status, buyer_name = v.buyer, seq = v.seq, updated_at = v.at,
				doc = v.doc, search = coalesce(v.search, p.search)
			FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bytea[], $7::text[])
				AS v (code, status, buyer, seq, at, doc, search)
			WHERE p.code = v.code`}
	groupFeed = &groupForm{name: "purchase_feed", keys: 1,
		cols: []string{"text", "bigint"},
		query: `UPDATE purchase_feed f SET seq = v.seq FROM unnest($1::text[], $2::bigint[]) AS v (code, seq)
			WHERE f.code = v.code`}
	groupLines = &groupForm{name: "purchase_lines", keys: 2,
		cols: []string{"text", "text", "bigint", "bigint", "bigint", "bigint"},
		query: `UPDATE purchase_lines l SET quantity = v.q, delivered = v.d, unit_price = v.u, discount = v.x
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS v (code, id, q, d, u, x)
			WHERE l.purchase_code = v.code AND l.line_id = v.id`}
	groupIdempotency = &groupForm{name: "idempotency", keys: 2,
		cols: []string{"text", "text", "text", "int", "text", "bytea", "bigint"},
		query: `INSERT INTO idempotency (scope, key, fingerprint, status, content_type, body, created_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::bytea[], $7::bigint[])`}
	groupMeta = &groupForm{name: "meta", keys: 1,
		cols:  []string{"text", "bigint"},
		query: `UPDATE meta m SET value = v.value FROM unnest($1::text[], $2::bigint[]) AS v (key, value) WHERE m.key = v.key`}
)

// groupSettings, set for the transaction of a group of mutations, keeps
// the joins of the group's writes (UPDATE … FROM unnest) nested loops over
// the tables' key indexes. Their generic plans (see OpenPostgres) are
// made once per connection, for arrays of unknown length: on a new shop's
// near-empty tables the planner would choose to scan a table whole and
// hash it, and keep that plan while the table grows.
const groupSettings = `set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
	set_config('enable_mergejoin', 'off', true)`

// groupWrites holds the rows of a group's writes not yet queued, in the
// order written.
type groupWrites struct {
	rows  []groupRowOf
	keys  map[string]bool // The rows' keys, form name first.
	seals int             // Times sealed into the batch.
}

// groupRowOf is a row of form f.
type groupRowOf struct {
	f    *groupForm
	key  string
	vals []any
}

// groupMark is how far a groupWrites was, to drop what came after.
type groupMark struct{ n, seals int }

func (g *groupWrites) mark() groupMark { return groupMark{len(g.rows), g.seals} }

// groupRow queues a row of form f's write: it goes to the server with the
// rows of the other mutations of the group, in one statement with the
// group's other writes (see sealGroup). Outside a group it is the
// single-row write single with args.
func (t *pgTx) groupRow(f *groupForm, op, table, single string, args []any, row ...any) error {
	if t.group == nil {
		return t.write(op, table, single, args...)
	}
	t.forgetAhead()
	t.unsentWrites++
	// The writes pending (see write) were queued before this one.
	t.sealPending()
	g := t.group
	var key strings.Builder
	key.WriteString(f.name)
	for _, v := range row[:f.keys] {
		fmt.Fprintf(&key, "\x00%v", v)
	}
	k := key.String()
	if g.keys[k] {
		// A row written twice: the second write must see the first.
		t.sealGroup()
	}
	g.rows = append(g.rows, groupRowOf{f: f, key: k, vals: row})
	g.keys[k] = true
	return nil
}

// dropGroupRows forgets the rows held since m, taken after the last seal.
func (t *pgTx) dropGroupRows(m groupMark) {
	g := t.group
	for _, r := range g.rows[m.n:] {
		delete(g.keys, r.key)
	}
	g.rows = g.rows[:m.n]
}

// sealGroup queues the rows held as one statement: each form's rows in
// one write, all writes in one statement (see mergeWrites), the forms in
// the order first written.
func (t *pgTx) sealGroup() {
	g := t.group
	if g == nil || len(g.rows) == 0 {
		return
	}
	var forms []*groupForm
	byForm := map[*groupForm][][]any{}
	for _, r := range g.rows {
		if byForm[r.f] == nil {
			forms = append(forms, r.f)
		}
		byForm[r.f] = append(byForm[r.f], r.vals)
	}
	ws := make([]pendingWrite, 0, len(forms))
	var cache strings.Builder
	cache.WriteString("group")
	names := make([]string, 0, len(forms))
	for _, f := range forms {
		ws = append(ws, pendingWrite{op: f.name, table: f.name, query: f.query, args: columns(f, byForm[f])})
		cache.WriteString("\x00" + f.name)
		names = append(names, f.name)
	}
	g.rows = g.rows[:0]
	clear(g.keys)
	g.seals++
	op := "write " + strings.Join(names, ", ")
	if len(ws) == 1 {
		t.enqueue(op, ws[0].query, ws[0].args...)
		return
	}
	query, ok := t.merged[cache.String()]
	if !ok {
		query = mergeWrites(ws)
		t.merged[cache.String()] = query
	}
	var args []any
	for _, w := range ws {
		args = append(args, w.args...)
	}
	t.enqueue(op, query, args...)
}

// columns returns rows of form f as one array per column.
func columns(f *groupForm, rows [][]any) []any {
	out := make([]any, len(f.cols))
	for c, typ := range f.cols {
		switch typ {
		case "text":
			a := make([]string, len(rows))
			for i, r := range rows {
				a[i] = r[c].(string)
			}
			out[c] = a
		case "ntext":
			a := make([]*string, len(rows))
			for i, r := range rows {
				a[i] = r[c].(*string)
			}
			out[c] = a
		case "bigint":
			a := make([]int64, len(rows))
			for i, r := range rows {
				a[i] = r[c].(int64)
			}
			out[c] = a
		case "int":
			a := make([]int32, len(rows))
			for i, r := range rows {
				a[i] = int32(r[c].(int))
			}
			out[c] = a
		case "bytea":
			a := make([][]byte, len(rows))
			for i, r := range rows {
				a[i] = r[c].([]byte)
			}
			out[c] = a
		default:
			panic("groupForm " + f.name + ": unknown column type " + typ)
		}
	}
	return out
}
