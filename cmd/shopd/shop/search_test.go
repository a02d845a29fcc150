package shop_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

func TestSearchPurchases(t *testing.T) { eachStore(t, testSearchPurchases) }

func testSearchPurchases(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	line := []skranke.Line{{ProductID: "dropin-sal", Quantity: 1}}
	ase := srv.CreatePurchase(skranke.Purchase{Status: skranke.Captured, Lines: line,
		Buyer: skranke.Buyer{Name: "Åsne Øyvårdsdal", Email: "asne.oyvardsdal@example.no", Phone: "+47 404 69 481"}})
	// The same buyer at another centre of the chain: never the desk's to see.
	srv.CreatePurchase(skranke.Purchase{Status: skranke.Captured, Lines: line, CentreID: shop.DemoOtherCentreID,
		Buyer: skranke.Buyer{Name: "Åsne Øyvårdsdal", Email: "asne.oyvardsdal@example.no", Phone: "+47 404 69 481"}})

	search := func(t *testing.T, q string, extra ...string) skranke.SearchPage {
		t.Helper()
		a := c.get("/purchases?q=" + url.QueryEscape(q) + strings.Join(extra, ""))
		wantStatus(t, a, http.StatusOK)
		var page skranke.SearchPage
		a.decode(t, &page)
		return page
	}
	for _, q := range []string{"asne", "ÅSNE ØYVÅRDSDAL", "oyvardsdal", "Øyvå", "asne.oyvardsdal@example.no", "+47 404 69 481",
		"40469481", "0047 40469481", strings.ToLower(ase.Code[2:6]), ase.Code[:4] + "-" + ase.Code[4:], `"åsne" -øyvård*`} {
		t.Run("finds "+q, func(t *testing.T) {
			page := search(t, q)
			if len(page.Purchases) != 1 || page.Purchases[0].Code != ase.Code {
				t.Fatalf("q=%q found %+v, want only %s", q, page.Purchases, ase.Code)
			}
			got := page.Purchases[0]
			if got.Buyer != "Åsne Øyvårdsdal" || got.Status != skranke.Captured || got.Remaining != 1 || got.CreatedAt.IsZero() {
				t.Errorf("summary %+v", got)
			}
		})
	}
	t.Run("finds nothing for another buyer or FTS syntax", func(t *testing.T) {
		// NEAR is a word like any other: no buyer has it, so nothing is found.
		for _, q := range []string{"zzyzx", `"asne" NEAR oyvard`, "asne AND zzyzx"} {
			if page := search(t, q); len(page.Purchases) != 0 {
				t.Fatalf("q=%q found %+v", q, page.Purchases)
			}
		}
	})
	t.Run("bad queries are refused with a message", func(t *testing.T) {
		for _, q := range []string{"", "a", `"`, "*", "-", "NE", strings.Repeat("å", 1000), "\xff\xfe"} {
			a := c.get("/purchases?q=" + url.QueryEscape(q))
			wantStatus(t, a, http.StatusBadRequest)
			if code := a.errorCode(t); code != "invalid" {
				t.Errorf("q=%q: code %q", q, code)
			}
		}
		for _, extra := range []string{"&limit=0", "&limit=101", "&limit=x", "&cursor=garbage"} {
			a := c.get("/purchases?q=ase" + extra)
			wantStatus(t, a, http.StatusBadRequest)
		}
	})
	t.Run("pages newest first without gaps or repeats", func(t *testing.T) {
		var want []string
		for i := range 5 {
			p := srv.CreatePurchase(skranke.Purchase{Status: skranke.Pending, Lines: line,
				CreatedAt: time.Now().Add(-time.Duration(i) * time.Hour), Buyer: skranke.Buyer{Name: "Paginert Pedersen"}})
			want = append(want, p.Code)
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			extra := "&limit=2"
			if cursor != "" {
				extra += "&cursor=" + url.QueryEscape(cursor)
			}
			page := search(t, "paginert", extra)
			if len(page.Purchases) > 2 {
				t.Fatalf("page of %d, limit 2", len(page.Purchases))
			}
			for _, p := range page.Purchases {
				got = append(got, p.Code)
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("pages gave %v, want newest first %v", got, want)
		}
	})
	t.Run("delivery records the ID check", func(t *testing.T) {
		a := c.post("/purchases/"+ase.Code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "idcheck-1", IDChecked: true})
		wantStatus(t, a, http.StatusCreated)
		ds := srv.Deliveries(ase.Code)
		if len(ds) != 1 || !ds[0].IDChecked {
			t.Fatalf("deliveries %+v, want one with the ID checked", ds)
		}
		if page := search(t, "oyvardsdal"); len(page.Purchases) != 1 || page.Purchases[0].Remaining != 0 {
			t.Fatalf("after delivery %+v, want nothing remaining", page.Purchases)
		}
	})
}

// TestSearchAmongMany searches a centre of 12,000 bulk purchases, in a
// chain whose other centre has as many, for words a few purchases have
// (looked up in the word index), for words most have beside a rare one
// (the rare one looked up, the common ones tested on what it finds), for
// several common words (looked up together) and for one most have (the
// centre walked newest first), and compares each page with the desk's
// centre's purchases chosen by hand.
func TestSearchAmongMany(t *testing.T) { eachStore(t, testSearchAmongMany) }

func testSearchAmongMany(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	ctx := context.Background()
	codes, err := srv.DB.SeedBulk(ctx, shop.DemoCentreID, 12_000)
	if err != nil {
		t.Fatal(err)
	}
	// The same kinds of buyers at the other centre: the index finds them
	// too, and the search must leave them out.
	if _, err := srv.DB.SeedBulk(ctx, shop.DemoOtherCentreID, 12_000); err != nil {
		t.Fatal(err)
	}
	// The demo's purchases are left out of the comparison: their e-mail
	// addresses are all at example.no, so the queries below, which name
	// another host, a Kari or a Hansen, cannot find them.
	var all []*skranke.Purchase
	err = srv.DB.View(ctx, func(tx shop.Tx) error {
		for _, c := range codes {
			p, err := tx.Purchase(c)
			if err != nil {
				return err
			}
			all = append(all, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].CreatedAt.Equal(all[j].CreatedAt) {
			return all[i].CreatedAt.After(all[j].CreatedAt)
		}
		return all[i].Code > all[j].Code
	})
	some := all[len(all)/3]
	for _, p := range all[len(all)/3:] {
		if some = p; !strings.HasSuffix(p.Buyer.Email, "example.no") && p.Buyer.Phone != "" {
			break
		}
	}
	_, host, _ := strings.Cut(some.Buyer.Email, "@")
	host, _, _ = strings.Cut(host, ".")
	for _, q := range []string{some.Buyer.Email, some.Buyer.Phone + " " + host, some.Code[1:6] + " " + host, "com", "hansen com", "gmail kari", "kari", "no com"} {
		t.Run(q, func(t *testing.T) {
			pq := skranke.ParseSearch(q)
			var want []string
			for _, p := range all {
				if len(want) < 30 && pq.Matches(skranke.SearchText(p)) {
					want = append(want, p.Code)
				}
			}
			c := newClient(t, srv)
			a := c.get("/purchases?q=" + url.QueryEscape(q))
			wantStatus(t, a, http.StatusOK)
			var page skranke.SearchPage
			a.decode(t, &page)
			var got []string
			for _, p := range page.Purchases {
				got = append(got, p.Code)
			}
			if len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("q=%q found %v, want the newest matching %v", q, got, want)
			}
		})
	}
}
