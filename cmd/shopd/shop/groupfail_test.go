package shop_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// TestGroupFailureStaysWithItsUpdate: on PostgreSQL the Updates that arrive
// together commit as one transaction. One that fails, because the server
// refuses its statement (here a read sent on its own, the first of its
// Update) or because it refuses itself after writing, must fail alone and
// leave nothing of its writes, and the desks whose Updates shared the group
// get their answers. Mutations run without savepoints until one fails (see
// shop.Postgres), other Updates each in a savepoint: both are checked.
func TestGroupFailureStaysWithItsUpdate(t *testing.T) {
	db := store{name: "postgres", pg: pg.Cluster(t)}.open(t)
	n := 0
	var want, gone []string
	ok := func() func(shop.Tx) error {
		n++
		id := fmt.Sprintf("g%d", n)
		want = append(want, id)
		return func(tx shop.Tx) error { return tx.PutCentre(skranke.Centre{ID: id, Name: id}) }
	}
	// PostgreSQL refuses a NUL byte in a text parameter.
	bad := func(tx shop.Tx) error {
		_, err := tx.Card("bad\x00code")
		return err
	}
	purgeThenBad := func() func(shop.Tx) error {
		return func(tx shop.Tx) error {
			if _, err := tx.PurgeIdempotency(time.Now()); err != nil {
				return err
			}
			return bad(tx)
		}
	}
	// refused writes, then refuses itself as a handler does (a purchase
	// already delivered): before anything of it is sent, or after its
	// write went to the server with a read.
	refused := func(afterRead bool) func(shop.Tx) error {
		n++
		id := fmt.Sprintf("g%d", n)
		gone = append(gone, id)
		return func(tx shop.Tx) error {
			if err := tx.PutCentre(skranke.Centre{ID: id, Name: id}); err != nil {
				return err
			}
			if afterRead {
				if _, err := tx.Card("no-such-card"); skranke.KindOf(err) != skranke.NotFound {
					return fmt.Errorf("read a card: %v", err)
				}
			}
			return skranke.E("test", skranke.Conflict, "refused")
		}
	}
	for _, run := range []struct {
		name string
		run  func(db shop.DB, fns ...func(shop.Tx) error) []error
	}{{"updates", shop.RunGroupForTest}, {"mutations", shop.RunMutationsForTest}} {
		for _, tc := range []struct {
			name  string
			fns   []func(shop.Tx) error
			fails int
		}{
			{"good then bad", []func(shop.Tx) error{ok(), bad}, 1},
			{"bad then good", []func(shop.Tx) error{bad, ok()}, 0},
			{"a write then a bad read between good ones", []func(shop.Tx) error{ok(), purgeThenBad(), ok()}, 1},
			{"refused between good ones", []func(shop.Tx) error{ok(), refused(false), ok()}, 1},
			{"refused after a read between good ones", []func(shop.Tx) error{ok(), refused(true), ok()}, 1},
		} {
			res := run.run(db, tc.fns...)
			for i, err := range res {
				if (err != nil) != (i == tc.fails) {
					t.Errorf("%s, %s: Update %d: %v; want only Update %d to fail", run.name, tc.name, i, err, tc.fails)
				}
			}
		}
	}
	if err := db.View(t.Context(), func(tx shop.Tx) error {
		for _, id := range want {
			if _, err := tx.Centre(id); err != nil {
				return fmt.Errorf("a good Update's write is not there: %w", err)
			}
		}
		for _, id := range gone {
			if _, err := tx.Centre(id); skranke.KindOf(err) != skranke.NotFound {
				return fmt.Errorf("a refused Update's write is there: centre %s: %v", id, err)
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
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
