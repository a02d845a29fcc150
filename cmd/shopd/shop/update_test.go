package shop_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// TestConcurrentUpdatesFailAlone runs many Updates at once, some refused by
// their rules after writing and some failing in the database, and checks
// that exactly the others' writes are kept: PostgreSQL commits concurrent
// Updates together, and one's failure must not touch its neighbours.
func TestConcurrentUpdatesFailAlone(t *testing.T) { eachStore(t, testConcurrentUpdatesFailAlone) }

func testConcurrentUpdatesFailAlone(t *testing.T, s store) {
	t.Parallel()
	db := s.open(t)
	ctx := context.Background()
	refused := errors.New("refused by the rules")
	const n = 60
	errs := make([]error, n)
	concurrently(n, func(i int) {
		errs[i] = db.Update(ctx, func(tx shop.Tx) error {
			id := fmt.Sprintf("c-%02d", i)
			if err := tx.PutCentre(skranke.Centre{ID: id, Name: id}); err != nil {
				return err
			}
			switch i % 3 {
			case 1:
				return refused
			case 2:
				// A delivery of a purchase that does not exist breaks
				// a foreign key: the database refuses the write.
				return tx.AddDelivery(id, skranke.Delivery{ID: "d-" + id, PurchaseCode: "NOSUCHP", At: time.Now()})
			}
			_, err := tx.Centre(id)
			return err
		})
	})
	kept := keptCentres(t, db)
	for i, err := range errs {
		id := fmt.Sprintf("c-%02d", i)
		switch i % 3 {
		case 0:
			if err != nil || !kept[id] {
				t.Errorf("update %d: %v, kept %v; want it committed", i, err, kept[id])
			}
		case 1:
			if !errors.Is(err, refused) || kept[id] {
				t.Errorf("update %d: %v, kept %v; want the rules' error and nothing kept", i, err, kept[id])
			}
		case 2:
			if err == nil || kept[id] {
				t.Errorf("update %d: %v, kept %v; want a database error and nothing kept", i, err, kept[id])
			}
		}
	}
}

// TestUpdatePanicFailsAlone panics in one of many concurrent Updates: both
// stores run a group of Updates in one goroutine, and a bug in one request
// must fail that request alone, not the process or its neighbours.
func TestUpdatePanicFailsAlone(t *testing.T) { eachStore(t, testUpdatePanicFailsAlone) }

func testUpdatePanicFailsAlone(t *testing.T, s store) {
	t.Parallel()
	db := s.open(t)
	ctx := context.Background()
	const n = 20
	errs := make([]error, n)
	concurrently(n, func(i int) {
		errs[i] = db.Update(ctx, func(tx shop.Tx) error {
			id := fmt.Sprintf("p-%02d", i)
			if err := tx.PutCentre(skranke.Centre{ID: id, Name: id}); err != nil {
				return err
			}
			if i == n/2 {
				panic("a bug in one request")
			}
			return nil
		})
	})
	kept := keptCentres(t, db)
	for i, err := range errs {
		id := fmt.Sprintf("p-%02d", i)
		if i == n/2 {
			if skranke.KindOf(err) != skranke.Internal || kept[id] {
				t.Errorf("panicking update: %v, kept %v; want an internal error and nothing kept", err, kept[id])
			}
			continue
		}
		if err != nil || !kept[id] {
			t.Errorf("update %d: %v, kept %v; want it committed", i, err, kept[id])
		}
	}
}

// keptCentres returns the ids of the centres db holds.
func keptCentres(t *testing.T, db shop.DB) map[string]bool {
	t.Helper()
	var centres []skranke.Centre
	if err := db.View(context.Background(), func(tx shop.Tx) error {
		var err error
		centres, err = tx.Centres()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, c := range centres {
		kept[c.ID] = true
	}
	return kept
}

// concurrently calls fn(0) to fn(n-1) on n goroutines released together,
// and waits for them.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}
