package shop_test

import (
	"fmt"
	"net/http"
	"slices"
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
	// write went to the server with a read, or after a read (which sends
	// what the Updates before it queued) and a write.
	refused := func(steps ...string) func(shop.Tx) error {
		n++
		id := fmt.Sprintf("g%d", n)
		gone = append(gone, id)
		return func(tx shop.Tx) error {
			for _, step := range steps {
				var err error
				switch step {
				case "write":
					err = tx.PutCentre(skranke.Centre{ID: id, Name: id})
				case "read":
					if _, err = tx.Card("no-such-card"); skranke.KindOf(err) == skranke.NotFound {
						err = nil
					}
				}
				if err != nil {
					return fmt.Errorf("%s: %v", step, err)
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
			{"refused between good ones", []func(shop.Tx) error{ok(), refused("write"), ok()}, 1},
			{"refused after a write and a read between good ones", []func(shop.Tx) error{ok(), refused("write", "read"), ok()}, 1},
			{"refused after a read and a write between good ones", []func(shop.Tx) error{ok(), refused("read", "write"), ok()}, 1},
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

// TestMutationsReadWhatEarlierOnesInTheirGroupWrote: on PostgreSQL the
// rows the mutations of a group read ahead (a purchase, a delivery id, an
// idempotency key) are read together, before any of them runs. One that
// an earlier mutation of the group wrote must be read as it was written:
// a purchase delivered twice at once by two desks must not be handed over
// twice, and a request sent twice must find its first answer.
func TestMutationsReadWhatEarlierOnesInTheirGroupWrote(t *testing.T) {
	srv := shoptest.Start(t, shoptest.WithPostgres(pg.Cluster(t)), shoptest.WithBulk(5))
	codes, _ := deliverable(t, srv.DB)
	code := codes[0]
	const scope, key, delivery = "desk:test", "key-1", "delivery-1"
	var delivered []int // Units of the first line handed over, as each mutation read them.
	deliverOne := func(tx shop.Tx) error {
		p, err := tx.Purchase(code)
		if err != nil {
			return err
		}
		delivered = append(delivered, p.Lines[0].Delivered)
		p.Lines[0].Delivered++
		return tx.PutPurchase(p)
	}
	var replays []bool
	keyed := func(tx shop.Tx) error {
		_, err := tx.Idempotency(scope, key)
		replays = append(replays, err == nil)
		if err == nil {
			return nil
		}
		return tx.PutIdempotency(shop.IdempotencyRecord{Scope: scope, Key: key, Fingerprint: "f", Status: http.StatusCreated,
			ContentType: "application/json", Body: []byte("{}"), CreatedAt: time.Now()})
	}
	var found []bool
	recorded := func(tx shop.Tx) error {
		_, err := tx.Delivery(delivery)
		found = append(found, err == nil)
		if err == nil {
			return nil
		}
		return tx.AddDelivery(shop.DemoCentreID, skranke.Delivery{ID: delivery, PurchaseCode: code, At: time.Now()})
	}
	m := func(fn func(shop.Tx) error) shop.MutationForTest {
		return shop.MutationForTest{IdemScope: scope, IdemKey: key, Purchase: code, Delivery: delivery, Cards: true, Fn: fn}
	}
	res := shop.RunMutationsAheadForTest(srv.DB, m(deliverOne), m(keyed), m(recorded), m(deliverOne), m(keyed), m(recorded))
	for i, err := range res {
		if err != nil {
			t.Errorf("mutation %d: %v", i, err)
		}
	}
	if want := []int{delivered[0], delivered[0] + 1}; !slices.Equal(delivered, want) {
		t.Errorf("the two deliveries read %v units handed over; want %v", delivered, want)
	}
	if want := []bool{false, true}; !slices.Equal(replays, want) {
		t.Errorf("the two requests under one key found it %v; want %v", replays, want)
	}
	if want := []bool{false, true}; !slices.Equal(found, want) {
		t.Errorf("the two deliveries with one id found it %v; want %v", found, want)
	}
}
