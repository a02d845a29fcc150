package shop_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// TestGroupFailureStaysWithItsUpdate: on PostgreSQL the Updates that arrive
// together commit as one transaction, each under a savepoint. One whose
// statement the server refuses (here a read sent on its own, the first of
// its Update) must fail alone, and the desks whose Updates shared the
// group get their answers.
func TestGroupFailureStaysWithItsUpdate(t *testing.T) {
	db := store{name: "postgres", pg: pg.Cluster(t)}.open(t)
	ok := func(id string) func(shop.Tx) error {
		return func(tx shop.Tx) error { return tx.PutCentre(skranke.Centre{ID: id, Name: id}) }
	}
	// PostgreSQL refuses a NUL byte in a text parameter.
	bad := func(tx shop.Tx) error {
		_, err := tx.Card("bad\x00code")
		return err
	}
	purgeThenBad := func(tx shop.Tx) error {
		if _, err := tx.PurgeIdempotency(time.Now()); err != nil {
			return err
		}
		return bad(tx)
	}
	for _, tc := range []struct {
		name  string
		fns   []func(shop.Tx) error
		fails int
	}{
		{"good then bad", []func(shop.Tx) error{ok("g1"), bad}, 1},
		{"bad then good", []func(shop.Tx) error{bad, ok("g2")}, 0},
		{"a write then a bad read between good ones", []func(shop.Tx) error{ok("g3"), purgeThenBad, ok("g4")}, 1},
	} {
		res := shop.RunGroupForTest(db, tc.fns...)
		for i, err := range res {
			if (err != nil) != (i == tc.fails) {
				t.Errorf("%s: Update %d: %v; want only Update %d to fail", tc.name, i, err, tc.fails)
			}
		}
	}
	if err := db.View(t.Context(), func(tx shop.Tx) error {
		for _, id := range []string{"g1", "g2", "g3", "g4"} {
			if _, err := tx.Centre(id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Errorf("a good Update's write is not there: %v", err)
	}
}

// TestMalformedInputIsRefusedOnEveryStore: a delivery id or idempotency key
// that is not printable text is the desk's mistake (400) on both stores, never a
// server failure.
func TestMalformedInputIsRefusedOnEveryStore(t *testing.T) {
	eachStore(t, func(t *testing.T, s store) {
		srv := s.start(t, shoptest.WithBulk(5))
		codes, _ := deliverable(t, srv.DB)
		c := newClient(t, srv)
		a := c.post("/purchases/"+codes[0]+"/deliveries", newKey(), shop.DeliveryRequest{ID: "bad\x00id"})
		wantStatus(t, a, http.StatusBadRequest)
		a = c.post("/purchases/"+codes[0]+"/deliveries", "key\xff", shop.DeliveryRequest{ID: "d-1"}) // Not UTF-8.
		wantStatus(t, a, http.StatusBadRequest)
		a = c.post("/actions/%00x/resolve", newKey(), nil)
		wantStatus(t, a, http.StatusBadRequest)
	})
}
