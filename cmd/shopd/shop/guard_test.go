package shop_test

// The guard group (review of a103bbf): wrong desk tokens from a shared
// address, control characters the stores treated differently, what a 500
// tells, and paths the mux answered with HTML. Each runs on SQLite and on
// PostgreSQL.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// Desks behind one load balancer share its address: someone there sending
// wrong tokens must not lock the desks out, while guessing stays held.
func TestGuardRightTokensPassAnAddressBlock(t *testing.T) {
	eachStore(t, testGuardRightTokensPassAnAddressBlock)
}

func testGuardRightTokensPassAnAddressBlock(t *testing.T, s store) {
	t.Parallel()
	logs := &syncBuffer{}
	srv := s.start(t, shoptest.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		shoptest.WithConfig(func(c *shop.Config) { c.DeskCacheTTL = -1 })) // Every request looks its token up.
	desk := newClient(t, srv)
	wantStatus(t, desk.get("/desk"), http.StatusOK) // Desk 1 was accepted here before the attack.

	guess := newClient(t, srv)
	for i := range shop.MaxTokenFailures {
		guess.token = fmt.Sprint("guess-", i)
		wantStatus(t, guess.get("/desk"), http.StatusUnauthorized)
	}
	guess.token = "guess-more"
	a := guess.get("/desk")
	wantStatus(t, a, http.StatusTooManyRequests)
	if got := a.errorCode(t); got != "locked" {
		t.Errorf("code %q, want locked", got)
	}

	// The desks' right tokens from the same address: accepted.
	a = desk.get("/desk")
	wantStatus(t, a, http.StatusOK)
	var got struct {
		Desk skranke.DeskInfo `json:"desk"`
	}
	a.decode(t, &got)
	if got.Desk.ID != shop.DemoDeskID {
		t.Fatalf("desk %q, want %q", got.Desk.ID, shop.DemoDeskID)
	}
	// A desk never seen here is looked up within the budget for such
	// addresses, so it gets in too.
	desk2 := newClient(t, srv)
	desk2.token = shop.DemoDesk2Token
	wantStatus(t, desk2.get("/desk"), http.StatusOK)

	// Guessing on from there: refused, and past the budget refused without
	// a lookup.
	looked := strings.Count(logs.String(), "wrong desk token")
	guesses, unchecked := 0, false
	for ; guesses < 1000 && !unchecked; guesses++ {
		guess.token = fmt.Sprint("guess-burst-", guesses)
		wantStatus(t, guess.get("/desk"), http.StatusTooManyRequests)
		unchecked = strings.Contains(logs.String(), "refused unchecked")
	}
	if !unchecked {
		t.Fatalf("%d guesses from a blocked address were all looked up", guesses)
	}
	if n := strings.Count(logs.String(), "wrong desk token") - looked; n >= guesses {
		t.Errorf("%d of %d guesses from a blocked address were looked up", n, guesses)
	}
	// Desk 1 is still let in while the guesses go on.
	wantStatus(t, desk.get("/desk"), http.StatusOK)
}

// Text with control characters was stored by SQLite and refused by
// PostgreSQL with a 500: both refuse it now with a 400, before the store.
func TestGuardControlCharactersAreRefused(t *testing.T) {
	eachStore(t, testGuardControlCharactersAreRefused)
}

func testGuardControlCharactersAreRefused(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	ws := newClient(t, srv)
	ws.token, ws.staff = srv.ShopToken, ""
	purchase := func(edit func(p *skranke.Purchase)) skranke.Purchase {
		p := skranke.Purchase{CentreID: shop.DemoCentreID, Buyer: skranke.Buyer{Name: "Kari Nordmann", Email: "kari@example.no", Phone: "+47 900 00 000"},
			Status: skranke.Captured, Lines: []skranke.Line{{ID: "l1", Name: "Drikkeflaske", Kind: skranke.Physical, Quantity: 1, UnitPrice: 14950, VATRate: 25}}}
		edit(&p)
		return p
	}
	for name, p := range map[string]skranke.Purchase{
		"NUL in buyer.name":       purchase(func(p *skranke.Purchase) { p.Buyer.Name = "Kari\x00Nordmann" }),
		"NUL in lines[].name":     purchase(func(p *skranke.Purchase) { p.Lines[0].Name = "Drikke\x00flaske" }),
		"NUL in lines[].id":       purchase(func(p *skranke.Purchase) { p.Lines[0].ID = "l\x001" }),
		"NUL in product_id":       purchase(func(p *skranke.Purchase) { p.Lines[0].ProductID = "p\x001" }),
		"NUL in centre_id":        purchase(func(p *skranke.Purchase) { p.CentreID = shop.DemoCentreID + "\x00" }),
		"tab in buyer.email":      purchase(func(p *skranke.Purchase) { p.Buyer.Email = "kari@example.no\t" }),
		"newline in buyer.phone":  purchase(func(p *skranke.Purchase) { p.Buyer.Phone = "+47\n900" }),
		"DEL in buyer.name":       purchase(func(p *skranke.Purchase) { p.Buyer.Name = "Kari\x7f" }),
		"C1 NEL in lines[].name":  purchase(func(p *skranke.Purchase) { p.Lines[0].Name = "Drikke\u0085flaske" }),
		"ESC in buyer.name":       purchase(func(p *skranke.Purchase) { p.Buyer.Name = "\x1b@Kari" }),
		"NUL in acquirer":         purchase(func(p *skranke.Purchase) { p.Acquirer = "nets\x00" }),
		"U+009F in buyer.name":    purchase(func(p *skranke.Purchase) { p.Buyer.Name = "Kari\u009f" }),
		"NUL after a backslash":   purchase(func(p *skranke.Purchase) { p.Buyer.Name = "Kari\\\x00" }),
		"CR in lines[].productid": purchase(func(p *skranke.Purchase) { p.Lines[0].ProductID = "\r" }),
	} {
		a := ws.post("/purchases", newKey(), p)
		if a.status != http.StatusBadRequest || a.errorCode(t) != "invalid" {
			t.Errorf("%s: status %d, want 400 invalid: %s", name, a.status, a.body)
		}
	}
	// Text that only looks like it: accepted.
	ok := purchase(func(p *skranke.Purchase) {
		p.Buyer.Name = "Åse Ødegård\u00a0Bråten \\n \\u0000 😀"
		p.Lines[0].Name = `Flaske "stor" \t`
	})
	a := ws.post("/purchases", newKey(), ok)
	wantStatus(t, a, http.StatusCreated)
	var made skranke.Purchase
	a.decode(t, &made)
	if made.Buyer.Name != ok.Buyer.Name || made.Lines[0].Name != ok.Lines[0].Name {
		t.Fatalf("stored %q / %q, want %q / %q", made.Buyer.Name, made.Lines[0].Name, ok.Buyer.Name, ok.Lines[0].Name)
	}

	for name, card := range map[string]shop.CardRequest{
		"NUL in centre_id":     {Amount: 10000, CentreID: "x\x00"},
		"NUL in purchase_code": {Amount: 10000, PurchaseCode: made.Code + "\x00"},
	} {
		a := ws.post("/giftcards", newKey(), card)
		if a.status != http.StatusBadRequest || a.errorCode(t) != "invalid" {
			t.Errorf("gift card with %s: status %d, want 400 invalid: %s", name, a.status, a.body)
		}
	}

	c := newClient(t, srv)
	c.staff = ""
	code := srv.Code("paid-course")
	a = c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "nul-1", RecordedOffline: true, StatedBy: shop.DemoStaffID + "\x00"})
	if a.status != http.StatusBadRequest || a.errorCode(t) != "invalid" {
		t.Errorf("stated_by with NUL: status %d, want 400 invalid: %s", a.status, a.body)
	}
	if p := srv.Purchase(code); len(p.Deliveries) != 0 {
		t.Errorf("the refused delivery was recorded: %+v", p.Deliveries)
	}
	c.staff = shop.DemoManagerID
	a = c.post("/purchases/"+code+"/credits", newKey(), shop.CreditRequest{ID: "nul-c", Amount: 100, Reason: "goodwill\x00"})
	if a.status != http.StatusBadRequest || a.errorCode(t) != "invalid" {
		t.Errorf("credit reason with NUL: status %d, want 400 invalid: %s", a.status, a.body)
	}
	for _, path := range []string{"/signatures/a%00b", "/purchases/" + code + "%00", "/giftcards/a%7Fb", "/purchases?q=kari%00", "/purchases?q=kari%C2%85"} {
		a := c.get(path)
		if a.status != http.StatusBadRequest || a.errorCode(t) != "invalid" {
			t.Errorf("GET %s: status %d, want 400 invalid: %s", path, a.status, a.body)
		}
	}
	// A signature is PNG, not text: its bytes are not looked at so.
	c.uploadSignature("sig-ctl")
}

// failingStore fails every transaction the way a store fails inside:
// with its own words.
type failingStore struct{ shop.Store }

var errInside = skranke.E("shop.pgTx.Purchase", skranke.Internal, errors.New(`ERROR: invalid byte sequence for encoding "UTF8": 0x00 (SQLSTATE 22021)`))

func (f failingStore) View(ctx context.Context, fn func(shop.Tx) error) error   { return errInside }
func (f failingStore) Update(ctx context.Context, fn func(shop.Tx) error) error { return errInside }

// A 500 told the caller the failing function and the store's error.
func TestGuardInternalErrorsTellOnlyAnIncident(t *testing.T) {
	eachStore(t, testGuardInternalErrorsTellOnlyAnIncident)
}

func testGuardInternalErrorsTellOnlyAnIncident(t *testing.T, s store) {
	t.Parallel()
	db := s.open(t)
	logs := &syncBuffer{}
	h := shop.New(failingStore{db}, shop.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil)), ShopToken: shop.DemoShopToken})
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c := &client{t: t, base: hs.URL + shop.APIPrefix, token: shop.DemoShopToken, http: hs.Client()}
	a := c.post("/purchases", newKey(), skranke.Purchase{Buyer: skranke.Buyer{Name: "Kari"}})
	wantStatus(t, a, http.StatusInternalServerError)
	if a.errorCode(t) != "internal" {
		t.Fatalf("code of %s, want internal", a.body)
	}
	var e struct {
		Error struct {
			Message  string `json:"message"`
			Incident string `json:"incident"`
		} `json:"error"`
	}
	a.decode(t, &e)
	for _, leak := range []string{"SQLSTATE", "UTF8", "pgTx", "shop."} {
		if strings.Contains(string(a.body), leak) {
			t.Errorf("the 500 answer tells %q: %s", leak, a.body)
		}
	}
	if len(e.Error.Incident) < 8 || !strings.Contains(e.Error.Message, e.Error.Incident) {
		t.Fatalf("the 500 answer names no incident: %s", a.body)
	}
	// The log has the whole error under the incident id.
	found := false
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["incident"] != e.Error.Incident {
			continue
		}
		found = true
		if rec["level"] != "ERROR" || !strings.Contains(fmt.Sprint(rec["err"]), "SQLSTATE 22021") || rec["path"] != shop.APIPrefix+"/purchases" {
			t.Errorf("incident logged as %s", line)
		}
	}
	if !found {
		t.Errorf("incident %s not in the log:\n%s", e.Error.Incident, logs.String())
	}
	// Two failures, two incidents.
	var e2 struct {
		Error struct {
			Incident string `json:"incident"`
		} `json:"error"`
	}
	c.post("/purchases", newKey(), skranke.Purchase{Buyer: skranke.Buyer{Name: "Kari"}}).decode(t, &e2)
	if e2.Error.Incident == e.Error.Incident {
		t.Errorf("two failures share incident %s", e.Error.Incident)
	}
}

// Unclean paths got ServeMux's redirect, an HTML page or no body at all.
func TestGuardUncleanPathsAnswerJSON(t *testing.T) {
	eachStore(t, testGuardUncleanPathsAnswerJSON)
}

func testGuardUncleanPathsAnswerJSON(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	c.staff = ""
	// Follow no redirect: the answer itself must be the contract's.
	c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ method, path string }{
		{"GET", "//desk"},
		{"GET", "/purchases/../desk"},
		{"GET", "/./desk"},
		{"GET", "/purchases/" + srv.Code("paid-course") + "/.."},
		{"POST", "/purchases//x/deliveries"},
		{"POST", "/purchases/x/./deliveries"},
	} {
		a := c.do(tc.method, tc.path, []byte(`{"id":"d1"}`), map[string]string{"Idempotency-Key": newKey()})
		if a.status != http.StatusNotFound || a.errorCode(t) != "not_found" {
			t.Errorf("%s %s: status %d, want 404 not_found: %s", tc.method, tc.path, a.status, a.body)
		}
		if loc := a.header.Get("Location"); loc != "" {
			t.Errorf("%s %s: redirected to %s", tc.method, tc.path, loc)
		}
	}
	// Clean paths still work.
	wantStatus(t, c.get("/desk"), http.StatusOK)
}

// A desk whose cursor is beyond the feed's head saw numbers the database
// never gave (it was restored from an earlier copy): "nothing new" would
// let it miss the changes that get those numbers again.
func TestGuardCursorBeyondTheHeadIsGone(t *testing.T) {
	eachStore(t, testGuardCursorBeyondTheHeadIsGone)
}

func testGuardCursorBeyondTheHeadIsGone(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	var page struct {
		Next int64 `json:"next"`
		More bool  `json:"more"`
	}
	for page.Next == 0 || page.More {
		c.get(fmt.Sprintf("/changes?since=%d&limit=1000", page.Next)).decode(t, &page)
	}
	head := page.Next
	a := c.get(fmt.Sprintf("/changes?since=%d", head))
	wantStatus(t, a, http.StatusOK)
	a.decode(t, &page)
	if page.Next != head || page.More {
		t.Fatalf("at the head: next %d more %v, want %d false", page.Next, page.More, head)
	}
	a = c.get(fmt.Sprintf("/changes?since=%d", head+3))
	wantStatus(t, a, http.StatusGone)
	if code := a.errorCode(t); code != "conflict" {
		t.Errorf("code %q, want conflict", code)
	}
	var gone struct {
		Head *int64 `json:"head"`
	}
	a.decode(t, &gone)
	if gone.Head == nil || *gone.Head != head {
		t.Errorf("the 410 names head %v, want %d: %s", gone.Head, head, a.body)
	}
}
