package shop_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// roundTrips counts what a PostgreSQL store sends: each statement sent on
// its own and each batch is one round trip (n); statements counts the
// statements, whether sent alone or in a batch.
type roundTrips struct {
	n, statements atomic.Int64
	mu            sync.Mutex
	batch         map[*pgx.Conn][]string // Statements of each batch under way.
	// events lists, in order, the COMMITs that returned, the barriers
	// (see shop.Postgres) that started and that returned, and what the
	// test notes (see event); a barrier is neither a round trip nor a
	// statement of the transaction's.
	events []string
}

// barrierCall marks the context of a barrier's statement.
type barrierCall struct{}

func (r *roundTrips) event(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if d.SQL == shop.DurableBarrierForTest {
		r.event("barrier")
		return context.WithValue(ctx, barrierCall{}, true)
	}
	r.n.Add(1)
	r.statements.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	if ctx.Value(barrierCall{}) != nil && d.Err == nil {
		r.event("barrier returned")
	}
}
func (r *roundTrips) TraceBatchStart(ctx context.Context, c *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.batch == nil {
		r.batch = map[*pgx.Conn][]string{}
	}
	r.batch[c] = nil
	return ctx
}
func (r *roundTrips) TraceBatchQuery(_ context.Context, c *pgx.Conn, d pgx.TraceBatchQueryData) {
	r.statements.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batch[c] = append(r.batch[c], d.SQL)
}
func (r *roundTrips) TraceBatchEnd(_ context.Context, c *pgx.Conn, d pgx.TraceBatchEndData) {
	r.mu.Lock()
	b := r.batch[c]
	delete(r.batch, c)
	r.mu.Unlock()
	if slices.Contains(b, "COMMIT") && d.Err == nil {
		r.event("commit")
	}
}

// answeredDurable checks the events since from, in which the test noted
// "answered" when each of a series of Updates sent one after another was
// answered: each must have been answered after a barrier that started
// after its COMMIT returned had returned.
func (r *roundTrips) answeredDurable(t *testing.T, from int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	state := "" // What the current Update got to.
	answered := 0
	for _, e := range r.events[from:] {
		switch {
		case e == "commit":
			state = "committed"
		case e == "barrier" && state == "committed":
			state = "barrier"
		case e == "barrier returned" && state == "barrier":
			state = "durable"
		case e == "answered":
			answered++
			if state != "durable" {
				t.Errorf("update %d was answered before a barrier that started after its commit returned (events: %v)", answered, r.events[from:])
			}
			state = ""
		}
	}
}

// A delivery holds the chain's write lock (see shop.Postgres) while its
// statements go to the server and back, so the number of round trips is
// what caps deliveries per second across all shopd: its reads (key,
// session, staff member, purchase, delivery id) go in one round trip, and
// its writes with the COMMIT. Each statement costs the server (and shopd)
// work of its own besides the rows it reads or writes, so the reads are
// one statement, and so are the writes with the feed counter's update:
// with the transaction's BEGIN, write lock, counter and COMMIT, six. The
// COMMIT does not wait for the flush, which would hold the lock meanwhile;
// the desk is answered once a barrier on a connection of its own has
// waited for it. A lookup is one statement.
func TestPostgresRoundTrips(t *testing.T) {
	t.Parallel()
	seeded := shoptest.Start(t, shoptest.WithPostgres(pg.Cluster(t)), shoptest.WithBulk(20))
	codes, _ := deliverable(t, seeded.DB)
	seeded.Stop()
	rt := &roundTrips{}
	db, err := shop.OpenPostgres(context.Background(), seeded.DBPath, shop.PostgresOptions{Tracer: rt})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(shop.New(db, shop.Config{}))
	defer srv.Close()
	c := &client{t: t, base: srv.URL + shop.APIPrefix, token: shop.DemoDeskToken, staff: shop.DemoStaffID, http: srv.Client()}
	deliver := func(code string) {
		t.Helper()
		wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()}), http.StatusCreated)
	}
	// The first prepares the statements and reads the desk's token.
	deliver(codes[0])
	const n = 5
	before, stmts := rt.n.Load(), rt.statements.Load()
	rt.mu.Lock()
	events := len(rt.events)
	rt.mu.Unlock()
	for _, code := range codes[1 : 1+n] {
		deliver(code)
		rt.event("answered")
	}
	rt.answeredDurable(t, events)
	if got := float64(rt.n.Load()-before) / n; got > 2 {
		t.Errorf("a delivery took %.1f round trips to PostgreSQL; want at most 2 (its reads, then its writes and the commit)", got)
	}
	if got := float64(rt.statements.Load()-stmts) / n; got > 6 {
		t.Errorf("a delivery took %.1f statements; want at most 6 (BEGIN, the write lock, the feed counter, its reads, its writes and the counter's, COMMIT)", got)
	}
	before = rt.n.Load()
	for _, code := range codes[:n] {
		wantStatus(t, c.get("/purchases/"+code), http.StatusOK)
	}
	if got := float64(rt.n.Load()-before) / n; got > 1 {
		t.Errorf("a lookup took %.1f round trips to PostgreSQL; want 1", got)
	}
}

// A group of deliveries holds the chain's write lock while the server runs
// its statements, and each statement costs the server work of its own
// (bind, executor start and end, a lock and the opened indexes of each
// table it writes) besides its rows: the writes of all the group's
// deliveries go as one statement, whatever their number. Those refused
// leave nothing behind, whether refused before they wrote or after, and
// the others are committed whole.
func TestGroupOfDeliveriesWritesInOneStatement(t *testing.T) {
	t.Parallel()
	seeded := shoptest.Start(t, shoptest.WithPostgres(pg.Cluster(t)), shoptest.WithBulk(40))
	codes, _ := deliverable(t, seeded.DB)
	seeded.Stop()
	rt := &roundTrips{}
	db, err := shop.OpenPostgres(context.Background(), seeded.DBPath, shop.PostgresOptions{Tracer: rt})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const scope = "desk:test"
	deliver := func(code, id string, refuse error, after bool) shop.MutationForTest {
		return shop.MutationForTest{IdemScope: scope, IdemKey: "key-" + id, Purchase: code, Delivery: id, Fn: func(tx shop.Tx) error {
			if refuse != nil && !after {
				return refuse
			}
			if err := deliverWhole(tx, scope, code, id); err != nil {
				return err
			}
			if after {
				return refuse
			}
			return nil
		}}
	}
	// The first prepares the statements.
	if err := shop.RunMutationsAheadForTest(db, deliver(codes[0], "d-0", nil, false))[0]; err != nil {
		t.Fatal(err)
	}
	refused := skranke.E("test", skranke.Conflict, "refused")
	next := 1 // The first purchase not yet delivered.
	for _, tc := range []struct {
		name    string
		refuse  map[int]bool // Which of the group are refused, true: after their writes.
		maxStmt int64
	}{
		{"all delivered", nil, 6},
		{"some refused before they wrote", map[int]bool{1: false, 4: false}, 6},
		// Refused after it wrote, before its writes went to the
		// server: its rows are dropped from the group's.
		{"one refused after it wrote", map[int]bool{2: true}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 6
			var ms []shop.MutationForTest
			var mine []string
			for i := range n {
				code := codes[next]
				next++
				mine = append(mine, code)
				var refuse error
				after, ok := tc.refuse[i]
				if ok {
					refuse = refused
				}
				ms = append(ms, deliver(code, fmt.Sprintf("%s-%d", strings.ReplaceAll(tc.name, " ", "-"), i), refuse, after))
			}
			seqs := map[string]int64{} // Each purchase's place in the feed before.
			for _, code := range mine {
				if err := db.View(context.Background(), func(tx shop.Tx) error {
					p, err := tx.Purchase(code)
					seqs[code] = p.Seq
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
			stmts := rt.statements.Load()
			res := shop.RunMutationsAheadForTest(db, ms...)
			if got := rt.statements.Load() - stmts; got > tc.maxStmt {
				t.Errorf("a group of %d deliveries took %d statements; want at most %d (BEGIN, the write lock, the feed counter, their reads, their writes and the counter's, COMMIT)", n, got, tc.maxStmt)
			}
			for i, err := range res {
				_, refuse := tc.refuse[i]
				if refuse != (err != nil) {
					t.Errorf("delivery %d: %v; want refused %v", i, err, refuse)
				}
				err = db.View(context.Background(), func(tx shop.Tx) error {
					p, err := tx.Purchase(mine[i])
					if err != nil {
						return err
					}
					_, derr := tx.Delivery(ms[i].Delivery)
					_, ierr := tx.Idempotency(scope, ms[i].IdemKey)
					written := p.Seq != seqs[mine[i]]
					done := !p.Remaining() && written
					if refuse && (written || derr == nil || ierr == nil) {
						t.Errorf("refused delivery %d left behind: purchase written %v, delivery %v, key %v", i, written, derr, ierr)
					}
					if !refuse && (!done || derr != nil || ierr != nil) {
						t.Errorf("delivery %d not committed whole: purchase delivered %v, delivery %v, key %v", i, done, derr, ierr)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// lockWatch counts round trips and statements as roundTrips does, and
// says on asked each time a batch that asks for the chain's write lock is
// sent.
type lockWatch struct {
	roundTrips
	asked chan struct{}
}

func (w *lockWatch) TraceBatchStart(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	for _, q := range d.Batch.QueuedQueries {
		if strings.Contains(q.SQL, "pg_advisory_xact_lock") {
			select {
			case w.asked <- struct{}{}:
			default: // Nobody waits for so many.
			}
		}
	}
	return w.roundTrips.TraceBatchStart(ctx, c, d)
}

// While another shopd holds the chain's write lock, the mutations that
// reach a shopd queue up behind its group waiting for the lock. Once a
// group found that (mutations arrived while it asked for the lock), the
// next takes the lock in a round trip of its own and then reads ahead for
// all that came meanwhile in one statement, and writes for all in one:
// six statements a group, not eight (the first mutations' reads and
// writes, then the late ones'). A shopd that finds the lock free again
// goes back to asking for it with its first reads: a delivery alone is
// two round trips.
func TestGroupThatWaitedForTheLockReadsOnce(t *testing.T) {
	t.Parallel()
	seeded := shoptest.Start(t, shoptest.WithPostgres(pg.Cluster(t)), shoptest.WithBulk(40))
	codes, _ := deliverable(t, seeded.DB)
	seeded.Stop()
	ctx := context.Background()
	w := &lockWatch{asked: make(chan struct{}, 64)}
	db, err := shop.OpenPostgres(ctx, seeded.DBPath, shop.PostgresOptions{Tracer: w})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// other stands for another shopd, holding the lock.
	other, err := pgx.Connect(ctx, seeded.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	const scope = "desk:test"
	next := 0 // The first purchase not yet delivered.
	deliveries := func(n int) []shop.MutationForTest {
		var ms []shop.MutationForTest
		for range n {
			code, id := codes[next], fmt.Sprintf("d-%d", next)
			next++
			ms = append(ms, shop.MutationForTest{IdemScope: scope, IdemKey: "key-" + id, Purchase: code, Delivery: id, Cards: true,
				Fn: func(tx shop.Tx) error { return deliverWhole(tx, scope, code, id) }})
		}
		return ms
	}
	check := func(what string, errs []error) {
		t.Helper()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: delivery %d: %v", what, i, err)
			}
		}
	}
	drain := func() {
		for {
			select {
			case <-w.asked:
			default:
				return
			}
		}
	}
	// behindTheLock delivers one purchase while other holds the lock, and
	// five more that arrive while the first waits for it; it returns the
	// statements and round trips the group took.
	behindTheLock := func(what string) (stmts, trips int64) {
		t.Helper()
		tx, err := other.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", shop.PostgresWriteLockForTest); err != nil {
			t.Fatal(err)
		}
		drain()
		s0, n0 := w.statements.Load(), w.n.Load()
		first := shop.EnqueueMutationsForTest(db, deliveries(1)...)
		<-w.asked // The group of the first waits for the lock.
		late := shop.EnqueueMutationsForTest(db, deliveries(5)...)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check(what, first())
		check(what, late())
		return w.statements.Load() - s0, w.n.Load() - n0
	}
	// The first prepares the statements.
	check("first", shop.EnqueueMutationsForTest(db, deliveries(1)...)())
	behindTheLock("the first wait")
	if stmts, trips := behindTheLock("the next wait"); stmts > 6 || trips > 3 {
		t.Errorf("a group of 6 deliveries that waited for the lock took %d statements in %d round trips; want at most 6 (BEGIN, the write lock, the feed counter, their reads, their writes and the counter's, COMMIT) in 3", stmts, trips)
	}
	// Alone, the first takes the lock on its own still, and finds it free.
	check("alone", shop.EnqueueMutationsForTest(db, deliveries(1)...)())
	n0 := w.n.Load()
	check("alone again", shop.EnqueueMutationsForTest(db, deliveries(1)...)())
	if trips := w.n.Load() - n0; trips > 2 {
		t.Errorf("a delivery alone, the lock free, took %d round trips; want 2 (its reads with the lock, then its writes and the commit)", trips)
	}
}

// deliverWhole hands over in tx all that is left of purchase code as
// delivery id, and keeps the answer under idempotency key "key-"+id in
// scope, as the delivery handler does.
func deliverWhole(tx shop.Tx, scope, code, id string) error {
	p, err := tx.Purchase(code)
	if err != nil {
		return err
	}
	d := skranke.Delivery{ID: id, PurchaseCode: code, At: time.Now()}
	for i := range p.Lines {
		d.Lines = append(d.Lines, skranke.DeliveredLine{LineID: p.Lines[i].ID, Quantity: p.Lines[i].Remaining()})
		p.Lines[i].Delivered = p.Lines[i].Quantity
	}
	p.Deliveries = append(p.Deliveries, d)
	if err := tx.AddDelivery(p.CentreID, d); err != nil {
		return err
	}
	if err := tx.PutPurchase(p); err != nil {
		return err
	}
	return tx.PutIdempotency(shop.IdempotencyRecord{Scope: scope, Key: "key-" + id, Fingerprint: "f",
		Status: http.StatusCreated, ContentType: "application/json", Body: []byte("{}"), CreatedAt: time.Now()})
}
