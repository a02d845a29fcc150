package shop_test

// What the web shop sends of a purchase's buyer is what a customer typed:
// the shop must bound what it stores and indexes of it.

import (
	"database/sql"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// The search text of a purchase holds every suffix of at least 3 digits
// of the buyer's phone (skranke.SearchText): its size grows with the
// square of the phone's length. The web shop passes on what a customer
// typed; a phone of 8 000 digits (an 8 kB body) makes a 32 MB search text
// that is stored, indexed, and computed again on every write of the
// purchase and every search that reads it; the 1 MiB body allowed makes
// one of about 500 GB.
func TestLongPhoneDoesNotBlowUpTheSearchText(t *testing.T) {
	srv := shoptest.Start(t)
	phone := strings.Repeat("1234567890", 800)
	a := buyPhone(newShopClient(t, srv), phone)
	if a.status == http.StatusBadRequest {
		return // Refused: fine.
	}
	wantStatus(t, a, http.StatusCreated)
	var p skranke.Purchase
	a.decode(t, &p)
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(srv.DBPath)+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT length(search) FROM purchases WHERE code = ?", p.Code).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 16*len(a.body) {
		t.Errorf("a %d-byte purchase stored a %d-byte search text (every suffix of its %d-digit phone): quadratic in the input", len(a.body), n, len(phone))
	}
}

// On PostgreSQL the same search text goes through to_tsvector, whose
// result is limited to 1 MB: a purchase whose buyer's phone has 2 500
// digits (a 2.6 kB body) failed with a 500 ("string is too long for
// tsvector") instead of being stored or refused with a 400. The buyer's
// limits refuse it now; TestPostgresLimitExceededIsABadRequest checks
// that a value over PostgreSQL's limits is a 400 all the same.
func TestLongPhoneOnPostgresIsNotAnInternalError(t *testing.T) {
	var logs syncBuffer
	srv := shoptest.Start(t, shoptest.WithPostgres(pg.Cluster(t)), shoptest.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	phone := strings.Repeat("1234567890", 250)
	a := buyPhone(newShopClient(t, srv), phone)
	if a.status >= 500 {
		t.Errorf("purchase with a %d-digit phone on PostgreSQL: %d %s\nlog: %.600s", len(phone), a.status, a.body, logs.String())
	}
}

// Each of the buyer's fields is refused with a 400 one character over its
// maximum (the contract's maxLength), and accepted at it: a web shop that
// lets customers type more learns so from the answer, not from a failure.
func TestBuyerFieldsOverTheirMaximaAreRefused(t *testing.T) {
	srv := shoptest.Start(t)
	c := newShopClient(t, srv)
	// "ø" is two bytes but one character, as the contract counts.
	at := skranke.Buyer{Name: strings.Repeat("ø", skranke.MaxBuyerName),
		Email: strings.Repeat("e", skranke.MaxBuyerEmail-len("@example.no")) + "@example.no",
		Phone: "+" + strings.Repeat("4", skranke.MaxBuyerPhone-1)}
	buy := func(b skranke.Buyer) answer {
		return c.post("/purchases", newKey(), skranke.Purchase{CentreID: shop.DemoCentreID, Buyer: b,
			Lines: []skranke.Line{{Name: "a", Kind: skranke.Service, Quantity: 1, UnitPrice: 100}}})
	}
	wantStatus(t, buy(at), http.StatusCreated)
	for field, over := range map[string]skranke.Buyer{
		"name":  {Name: at.Name + "ø", Email: at.Email, Phone: at.Phone},
		"email": {Name: at.Name, Email: "e" + at.Email, Phone: at.Phone},
		"phone": {Name: at.Name, Email: at.Email, Phone: at.Phone + "4"},
	} {
		a := buy(over)
		wantStatus(t, a, http.StatusBadRequest)
		if !strings.Contains(string(a.body), "buyer."+field) {
			t.Errorf("an over-long %s is refused with %s; want the answer to name buyer.%s", field, a.body, field)
		}
	}
}

// buyPhone has the web shop c post a purchase of one service whose buyer's
// phone is phone.
func buyPhone(c *client, phone string) answer {
	c.t.Helper()
	return c.post("/purchases", newKey(), skranke.Purchase{CentreID: shop.DemoCentreID, Buyer: skranke.Buyer{Name: "x", Phone: phone},
		Lines: []skranke.Line{{Name: "a", Kind: skranke.Service, Quantity: 1, UnitPrice: 100}}})
}
