package shop_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// roundTrips counts what a PostgreSQL store sends: each statement sent on
// its own and each batch is one round trip (n); statements counts the
// statements, whether sent alone or in a batch.
type roundTrips struct{ n, statements atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	r.statements.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	r.statements.Add(1)
}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// A delivery holds the chain's write lock (see shop.Postgres) while its
// statements go to the server and back, so the number of round trips is
// what caps deliveries per second across all shopd: its reads (key,
// session, staff member, purchase, delivery id) go in one round trip, and
// its writes with the COMMIT. Each statement costs the server (and shopd)
// work of its own besides the rows it reads or writes, so the reads are
// one statement, and so are the writes with the feed counter's update:
// with the transaction's BEGIN, write lock, counter and COMMIT, six. A
// lookup is one statement.
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
	for _, code := range codes[1 : 1+n] {
		deliver(code)
	}
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
