package shop_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// testPurchase is a captured purchase of centre with one line.
func testPurchase(code, centre, buyer string) *skranke.Purchase {
	at := time.Now().UTC().Truncate(time.Millisecond)
	return &skranke.Purchase{Code: code, CentreID: centre, Status: skranke.Captured, Acquirer: "nets",
		Buyer: skranke.Buyer{Name: buyer}, CreatedAt: at, UpdatedAt: at,
		Lines: []skranke.Line{{ID: "1", ProductID: "p", Name: "Drop-in", Kind: skranke.Service, Quantity: 2, UnitPrice: 15000, VATRate: 25}}}
}

// feedOf reads the centre's whole feed: each purchase's seq by code, and
// the head.
func feedOf(t *testing.T, db shop.Store, centre string, since int64) (map[string]int64, int64) {
	t.Helper()
	seqs := map[string]int64{}
	var head int64
	err := db.View(t.Context(), func(tx shop.Tx) error {
		var err error
		if head, err = tx.FeedHead(); err != nil {
			return err
		}
		ch, err := tx.Changes(centre, since, 1000)
		for _, raw := range ch.Purchases {
			var p skranke.Purchase
			if err := jsonUnmarshal(raw, &p); err != nil {
				return err
			}
			seqs[p.Code] = p.Seq
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return seqs, head
}

// TestGroupCommitNumbersTheFeed: the Updates of one group commit share the
// feed's counter. A desk that read the feed up to its head must find in it
// everything committed after, in a later group or after a refused Update
// in the same group; a refused Update's purchase is not in the feed.
func TestGroupCommitNumbersTheFeed(t *testing.T) { eachStore(t, testGroupCommitNumbersTheFeed) }

func testGroupCommitNumbersTheFeed(t *testing.T, s store) {
	t.Parallel()
	db := s.open(t)
	const centre = "c-feed"
	if err := db.Update(t.Context(), func(tx shop.Tx) error { return tx.PutCentre(skranke.Centre{ID: centre, Name: "Feed"}) }); err != nil {
		t.Fatal(err)
	}
	put := func(code string, fail bool) func(shop.Tx) error {
		return func(tx shop.Tx) error {
			if err := tx.PutPurchase(testPurchase(code, centre, "Kari Nordmann")); err != nil {
				return err
			}
			if fail {
				return skranke.E("test", skranke.Conflict, "refused after its write")
			}
			return nil
		}
	}
	res := shop.RunGroupForTest(db, put(validRef("FEEDAAA"), false), put(validRef("FEEDBBB"), true), put(validRef("FEEDCCC"), false))
	if res[0] != nil || res[1] == nil || res[2] != nil {
		t.Fatalf("group results %v, want only the second refused", res)
	}
	seqs, head := feedOf(t, db, centre, 0)
	a, c := seqs[validRef("FEEDAAA")], seqs[validRef("FEEDCCC")]
	if _, ok := seqs[validRef("FEEDBBB")]; ok || a == 0 || c == 0 || len(seqs) != 2 {
		t.Fatalf("feed after the first group: %v, want the first and third purchase only", seqs)
	}
	if !(a < c && c <= head) {
		t.Fatalf("seqs %d, %d and head %d: want them in the Updates' order and the head at or past the last", a, c, head)
	}

	// The next group, and a plain Update after it, are above the head a
	// desk has read: its next poll finds them.
	res = shop.RunGroupForTest(db, put(validRef("FEEDDDD"), false), put(validRef("FEEDAAA"), false))
	if res[0] != nil || res[1] != nil {
		t.Fatal(res)
	}
	if err := db.Update(t.Context(), put(validRef("FEEDEEE"), false)); err != nil {
		t.Fatal(err)
	}
	later, head2 := feedOf(t, db, centre, head)
	if len(later) != 3 || later[validRef("FEEDDDD")] <= head || later[validRef("FEEDAAA")] <= later[validRef("FEEDDDD")] ||
		later[validRef("FEEDEEE")] <= later[validRef("FEEDAAA")] || head2 < later[validRef("FEEDEEE")] {
		t.Fatalf("feed after head %d: %v (head %d), want the three writes above it in order", head, later, head2)
	}
}

// TestDeliveryKeepsThePurchaseSearchable: a delivery leaves the buyer's
// words alone, so the purchase is found as before, with its new state; a
// change of buyer is found by the new name and no longer by the old.
func TestDeliveryKeepsThePurchaseSearchable(t *testing.T) {
	eachStore(t, testDeliveryKeepsThePurchaseSearchable)
}

func testDeliveryKeepsThePurchaseSearchable(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	p := srv.CreatePurchase(skranke.Purchase{Status: skranke.Captured, Lines: []skranke.Line{{ProductID: "dropin-sal", Quantity: 2}},
		Buyer: skranke.Buyer{Name: "Sigvor Kvalheimsdal", Email: "sigvor@example.no", Phone: "+47 915 11 223"}})
	search := func(q string) []skranke.PurchaseSummary {
		t.Helper()
		a := c.get("/purchases?q=" + url.QueryEscape(q))
		wantStatus(t, a, http.StatusOK)
		var page skranke.SearchPage
		a.decode(t, &page)
		return page.Purchases
	}
	found := func(q string) *skranke.PurchaseSummary {
		t.Helper()
		for _, s := range search(q) {
			if s.Code == p.Code {
				return &s
			}
		}
		return nil
	}
	wantStatus(t, c.post("/purchases/"+p.Code+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()}), http.StatusCreated)
	for _, q := range []string{"kvalheimsdal", "sigvor@example.no", "91511223", p.Code} {
		if got := found(q); got == nil || got.Remaining != 0 {
			t.Errorf("q=%q after the delivery: %+v, want the purchase with nothing left to hand over", q, got)
		}
	}

	err := srv.DB.Update(t.Context(), func(tx shop.Tx) error {
		q, err := tx.Purchase(p.Code)
		if err != nil {
			return err
		}
		q.Buyer.Name = "Tormod Ystebø"
		return tx.PutPurchase(q)
	})
	if err != nil {
		t.Fatal(err)
	}
	if found("ystebø") == nil || found("tormod") == nil {
		t.Error("the new buyer's name does not find the purchase")
	}
	if got := found("kvalheimsdal"); got != nil {
		t.Errorf("the old buyer's name still finds the purchase: %+v", got)
	}
}

// TestDeliveryWritesTheRowsOfThePurchase: on SQLite a delivery updates
// only what changed in a purchase's row; what it leaves must still be
// right. The lines' counts in purchase_lines (for reporting) follow the
// delivery, and a purchase stored before search texts existed (search ”)
// gets its text when it changes.
func TestDeliveryWritesTheRowsOfThePurchase(t *testing.T) {
	t.Parallel()
	srv := shoptest.Start(t, shoptest.WithBulk(20))
	codes, _ := deliverable(t, srv.DB)
	raw, err := sql.Open("sqlite", "file:"+srv.DBPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	old, fresh := codes[0], codes[1]
	if _, err := raw.Exec("UPDATE purchases SET search = '' WHERE code = ?", old); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	for _, code := range []string{old, fresh} {
		wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()}), http.StatusCreated)
		p := srv.Purchase(code)
		var search string
		if err := raw.QueryRow("SELECT search FROM purchases WHERE code = ?", code).Scan(&search); err != nil {
			t.Fatal(err)
		}
		if want := skranke.SearchText(p); search != want {
			t.Errorf("%s: search text %q, want %q", code, search, want)
		}
		rows, err := raw.Query("SELECT line_id, quantity, delivered FROM purchase_lines WHERE purchase_code = ? ORDER BY line_id", code)
		if err != nil {
			t.Fatal(err)
		}
		var got []skranke.Line
		for rows.Next() {
			var l skranke.Line
			if err := rows.Scan(&l.ID, &l.Quantity, &l.Delivered); err != nil {
				t.Fatal(err)
			}
			got = append(got, l)
		}
		rows.Close()
		var want []skranke.Line
		for _, l := range p.Lines {
			want = append(want, skranke.Line{ID: l.ID, Quantity: l.Quantity, Delivered: l.Delivered})
		}
		slices.SortFunc(want, func(a, b skranke.Line) int { return strings.Compare(a.ID, b.ID) })
		if !slices.Equal(got, want) || !p.FullyDelivered() {
			t.Errorf("%s: purchase_lines %+v, want %+v", code, got, want)
		}
	}
	a := c.get("/purchases?q=" + url.QueryEscape(srv.Purchase(old).Buyer.Name))
	wantStatus(t, a, http.StatusOK)
	var page skranke.SearchPage
	a.decode(t, &page)
	if !slices.ContainsFunc(page.Purchases, func(s skranke.PurchaseSummary) bool { return s.Code == old }) {
		t.Errorf("the purchase whose search text was computed on delivery is not found by its buyer's name")
	}
}

// TestCheckpointerCopiesTheWALBack: on SQLite the WAL is copied back into
// the database file by a checkpointer of its own, not by the commit that
// fills it; after the Updates that wake it, it must have done so.
func TestCheckpointerCopiesTheWALBack(t *testing.T) {
	t.Parallel()
	db := store{name: "sqlite"}.open(t)
	for i := range shop.CheckpointEvery + 10 {
		err := db.Update(t.Context(), func(tx shop.Tx) error {
			return tx.PutCentre(skranke.Centre{ID: fmt.Sprintf("c-%d", i), Name: "Centre"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The checkpoints run on their own goroutine: wait for one that copied.
	timeout := time.After(time.Minute)
	for {
		frames, next := shop.CheckpointedFrames(db)
		if frames > 0 {
			return
		}
		select {
		case <-next:
		case <-timeout:
			t.Fatalf("no checkpoint copied the WAL back after %d Updates", shop.CheckpointEvery+10)
		}
	}
}
