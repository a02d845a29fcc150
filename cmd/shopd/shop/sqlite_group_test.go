package shop_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// TestSQLiteGroupFailureStaysWithItsUpdate: on SQLite the Updates that
// arrive together commit as one transaction; mutations (requests under an
// idempotency key) run without savepoints until one fails after writing,
// other Updates each in a savepoint. One that fails, because SQLite
// refuses its statement or because it refuses itself after writing, or
// whose idempotency record cannot go in, must fail alone and leave
// nothing of its writes, and the others commit. Both ways are checked.
func TestSQLiteGroupFailureStaysWithItsUpdate(t *testing.T) {
	t.Parallel()
	db := store{name: "sqlite"}.open(t)
	record := func(key string) shop.IdempotencyRecord {
		return shop.IdempotencyRecord{Scope: "desk:test", Key: key, Fingerprint: "f", Status: http.StatusCreated,
			ContentType: "application/json", Body: []byte(`{"key":"` + key + `"}`), CreatedAt: time.Now()}
	}
	if err := db.Update(t.Context(), func(tx shop.Tx) error { return tx.PutIdempotency(record("taken")) }); err != nil {
		t.Fatal(err)
	}
	n := 0
	var want, gone []string
	// ok writes a centre and an idempotency record, as a request does.
	ok := func() func(shop.Tx) error {
		n++
		id := fmt.Sprintf("g%d", n)
		want = append(want, id)
		return func(tx shop.Tx) error {
			if err := tx.PutCentre(skranke.Centre{ID: id, Name: id}); err != nil {
				return err
			}
			return tx.PutIdempotency(record(id))
		}
	}
	// bad's statement fails: a delivery of a purchase that does not exist
	// (foreign keys are on).
	bad := func(tx shop.Tx) error {
		return tx.AddDelivery(shop.DemoCentreID, skranke.Delivery{ID: "d-bad", PurchaseCode: "NOSUCH", At: time.Now()})
	}
	// badRead's read fails: more variables than SQLite takes.
	badRead := func(tx shop.Tx) error {
		_, err := tx.Redemptions(make([]string, 40_000))
		return err
	}
	// refused writes, then refuses itself as a handler does.
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
				case "key":
					err = tx.PutIdempotency(record(id))
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
	// taken puts a record under a key the table has (a handler that did
	// not look it up first): refused by the table's unique index.
	taken := func() func(shop.Tx) error {
		n++
		id := fmt.Sprintf("g%d", n)
		gone = append(gone, id)
		return func(tx shop.Tx) error {
			if err := tx.PutCentre(skranke.Centre{ID: id, Name: id}); err != nil {
				return err
			}
			return tx.PutIdempotency(record("taken"))
		}
	}
	for _, run := range []struct {
		name string
		run  func(db shop.DB, fns ...func(shop.Tx) error) []error
	}{{"updates", shop.RunGroupForTest}, {"mutations", shop.RunSQLiteMutationsForTest}} {
		for _, tc := range []struct {
			name  string
			fns   []func(shop.Tx) error
			fails int
		}{
			{"good then bad", []func(shop.Tx) error{ok(), bad}, 1},
			{"bad then good", []func(shop.Tx) error{bad, ok()}, 0},
			{"a bad read between good ones", []func(shop.Tx) error{ok(), badRead, ok()}, 1},
			{"refused before writing between good ones", []func(shop.Tx) error{ok(), refused("read"), ok()}, 1},
			{"refused after a write between good ones", []func(shop.Tx) error{ok(), refused("write"), ok()}, 1},
			{"refused after its key between good ones", []func(shop.Tx) error{ok(), refused("read", "key"), ok()}, 1},
			{"refused after a read and a write between good ones", []func(shop.Tx) error{ok(), refused("read", "write"), ok()}, 1},
			{"a key taken between good ones", []func(shop.Tx) error{ok(), taken(), ok()}, 1},
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
			r, err := tx.Idempotency("desk:test", id)
			if err != nil {
				return fmt.Errorf("a good Update's idempotency record is not there: %w", err)
			}
			if got, want := string(r.Body), string(record(id).Body); got != want {
				return fmt.Errorf("key %s answers %s; want %s", id, got, want)
			}
		}
		for _, id := range gone {
			if _, err := tx.Centre(id); skranke.KindOf(err) != skranke.NotFound {
				return fmt.Errorf("a refused Update's write is there: centre %s: %v", id, err)
			}
			if _, err := tx.Idempotency("desk:test", id); skranke.KindOf(err) != skranke.NotFound {
				return fmt.Errorf("a refused Update's key is there: %s: %v", id, err)
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// TestSQLiteMutationsReadTheKeysOfTheirGroup: on SQLite a group of
// mutations runs without savepoints. A request sent twice into one group
// must find its first answer, and a purge in the group must see the
// records put before it.
func TestSQLiteMutationsReadTheKeysOfTheirGroup(t *testing.T) {
	t.Parallel()
	db := store{name: "sqlite"}.open(t)
	const scope = "desk:test"
	at := time.Now().Add(-time.Hour)
	// Whether each found its key, as its last run found it (a mutation
	// may run again).
	replays := make([]bool, 5)
	keyed := func(i int, key string) func(shop.Tx) error {
		return func(tx shop.Tx) error {
			r, err := tx.Idempotency(scope, key)
			replays[i] = err == nil
			if err == nil {
				if string(r.Body) != `{"n":1}` || !r.CreatedAt.Equal(at.Truncate(time.Millisecond)) {
					return fmt.Errorf("key %s found as %s at %v; want {\"n\":1} at %v", key, r.Body, r.CreatedAt, at)
				}
				return nil
			}
			return tx.PutIdempotency(shop.IdempotencyRecord{Scope: scope, Key: key, Fingerprint: "f", Status: http.StatusCreated,
				ContentType: "application/json", Body: []byte(`{"n":1}`), CreatedAt: at})
		}
	}
	var purged int64
	purge := func(tx shop.Tx) (err error) {
		purged, err = tx.PurgeIdempotency(at.Add(time.Minute))
		return err
	}
	res := shop.RunSQLiteMutationsForTest(db, keyed(0, "k1"), keyed(1, "k1"), keyed(2, "k2"), purge, keyed(3, "k2"), keyed(4, "k3"))
	for i, err := range res {
		if err != nil {
			t.Errorf("mutation %d: %v", i, err)
		}
	}
	if want := []bool{false, true, false, false, false}; !slices.Equal(replays, want) {
		t.Errorf("the requests found their keys %v; want %v", replays, want)
	}
	if purged != 2 {
		t.Errorf("the purge removed %d records; want the 2 put before it", purged)
	}
	if err := db.View(t.Context(), func(tx shop.Tx) error {
		for key, want := range map[string]bool{"k1": false, "k2": true, "k3": true} {
			if _, err := tx.Idempotency(scope, key); (err == nil) != want {
				return fmt.Errorf("key %s: %v; want it there: %v", key, err, want)
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}
