package shop_test

// The security group (issue 10): each test reproduces an attack or a
// failure that the shop let through, against a real shopd over loopback, on
// SQLite and on PostgreSQL, and checks what staff or the shop's owner would
// notice.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// clock is a settable time for the server under test.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.ns.Store(t.UnixNano()); return c }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration)     { c.ns.Add(int64(d)) }
func (c *clock) option() shoptest.Option { return shoptest.WithClock(c.now) }

// syncBuffer is a log sink that tests read while the server writes.
type syncBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// item 1: the shop took the acting staff member from X-Staff-ID.
func TestSecurityStaffIdentityComesFromASession(t *testing.T) {
	eachStore(t, testSecurityStaffIdentityComesFromASession)
}

func testSecurityStaffIdentityComesFromASession(t *testing.T, s store) {
	t.Parallel()
	clk := newClock(time.Now())
	srv := s.start(t, clk.option())
	code := srv.Code("paid-course") // 1 490 kr.
	credit := shop.CreditRequest{ID: "steal-1", Amount: 149000, Reason: "refund"}

	// The attack: only desk 2's token, and a manager's name in a header.
	c := newClient(t, srv)
	c.token, c.staff = shop.DemoDesk2Token, ""
	a := c.do("POST", "/purchases/"+code+"/credits", mustJSON(t, credit), map[string]string{"Idempotency-Key": newKey(), "X-Staff-ID": shop.DemoManagerID})
	wantStatus(t, a, http.StatusUnauthorized)
	if got := a.errorCode(t); got != "unauthorized" {
		t.Errorf("code %q, want unauthorized", got)
	}
	if p := srv.Purchase(code); len(p.Credits) != 0 {
		t.Fatalf("a credit was recorded on the strength of X-Staff-ID: %+v", p.Credits)
	}

	// A manager's session from desk 1 is no good with desk 2's token.
	mgr := srv.OpenSession(shop.DemoDeskToken, shop.DemoManagerID)
	a = c.do("POST", "/purchases/"+code+"/credits", mustJSON(t, credit), map[string]string{"Idempotency-Key": newKey(), shop.SessionHeader: mgr})
	wantStatus(t, a, http.StatusUnauthorized)

	// Staff at another centre cannot log in here.
	b, _ := json.Marshal(shop.SessionRequest{StaffID: shop.DemoOtherManagerID, PIN: shop.DemoOtherManagerPIN})
	wantStatus(t, c.do("POST", "/staff/sessions", b, nil), http.StatusUnauthorized)

	// With its session at its desk, the manager credits, and the shop
	// records the manager's name from the session.
	c.token = shop.DemoDeskToken
	a = c.do("POST", "/purchases/"+code+"/credits", mustJSON(t, credit), map[string]string{"Idempotency-Key": newKey(), shop.SessionHeader: mgr})
	wantStatus(t, a, http.StatusCreated)
	var res shop.CreditResult
	a.decode(t, &res)
	if res.Credit.StaffID != shop.DemoManagerID || res.Credit.StaffName != "Ingrid Solbakken" {
		t.Errorf("credit by %s (%s), want ingrid", res.Credit.StaffID, res.Credit.StaffName)
	}

	// A staff member's session cannot credit, whatever X-Staff-ID says.
	kari := srv.OpenSession("", shop.DemoStaffID)
	a = c.do("POST", "/purchases/"+srv.Code("promo")+"/credits", mustJSON(t, shop.CreditRequest{ID: "c2", Amount: 100, Reason: "x"}),
		map[string]string{"Idempotency-Key": newKey(), shop.SessionHeader: kari, "X-Staff-ID": shop.DemoManagerID})
	wantStatus(t, a, http.StatusForbidden)

	// Idle for 31 minutes: the session has expired.
	clk.add(31 * time.Minute)
	a = c.do("POST", "/purchases/"+srv.Code("promo")+"/credits", mustJSON(t, shop.CreditRequest{ID: "c3", Amount: 100, Reason: "x"}),
		map[string]string{"Idempotency-Key": newKey(), shop.SessionHeader: mgr})
	wantStatus(t, a, http.StatusUnauthorized)
	if !strings.Contains(string(a.body), "expired") {
		t.Errorf("the refusal does not say the session expired: %s", a.body)
	}

	// Used every 20 minutes a session lives on; locking the desk ends it.
	mgr = srv.OpenSession("", shop.DemoManagerID)
	for i := range 3 {
		clk.add(20 * time.Minute)
		a = c.do("POST", "/purchases/"+srv.Code("promo")+"/credits", mustJSON(t, shop.CreditRequest{ID: fmt.Sprint("slide-", i), Amount: 100, Reason: "x"}),
			map[string]string{"Idempotency-Key": newKey(), shop.SessionHeader: mgr})
		wantStatus(t, a, http.StatusCreated)
	}
	wantStatus(t, c.do("DELETE", "/staff/sessions/current", nil, map[string]string{shop.SessionHeader: mgr}), http.StatusNoContent)
	a = c.do("POST", "/purchases/"+srv.Code("promo")+"/credits", mustJSON(t, shop.CreditRequest{ID: "after-logout", Amount: 100, Reason: "x"}),
		map[string]string{"Idempotency-Key": newKey(), shop.SessionHeader: mgr})
	wantStatus(t, a, http.StatusUnauthorized)

	// Redemptions need a session too.
	card := srv.IssueCard(10000)
	a = c.do("POST", "/giftcards/"+card.Code+"/redemptions", mustJSON(t, shop.RedeemRequest{ID: "r-nosession", Amount: 100}),
		map[string]string{"Idempotency-Key": newKey(), "X-Staff-ID": shop.DemoStaffID})
	wantStatus(t, a, http.StatusUnauthorized)
	if got := srv.Card(card.Code); got.Balance != 10000 {
		t.Errorf("balance %d after a refused redemption", got.Balance)
	}
}

// item 1: deliveries recorded offline are stored and shown as stated by
// the desk.
func TestSecurityOfflineDeliveriesAreStatedByTheDesk(t *testing.T) {
	eachStore(t, testSecurityOfflineDeliveriesAreStatedByTheDesk)
}

func testSecurityOfflineDeliveriesAreStatedByTheDesk(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	c.staff = ""
	code := srv.Code("paid-course")
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)

	// Without a session and without saying it was offline: refused.
	a := c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "off-0"})
	wantStatus(t, a, http.StatusUnauthorized)
	// Offline, but naming someone from another centre: refused.
	a = c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "off-0", RecordedOffline: true, StatedBy: shop.DemoOtherManagerID})
	wantStatus(t, a, http.StatusForbidden)

	a = c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "off-1", At: at, RecordedOffline: true, StatedBy: shop.DemoStaff2ID})
	wantStatus(t, a, http.StatusCreated)
	var res shop.DeliveryResult
	a.decode(t, &res)
	if !res.Delivery.StatedByDesk || res.Delivery.StaffID != shop.DemoStaff2ID || !res.Delivery.At.Equal(at) {
		t.Fatalf("offline delivery recorded as %+v, want stated by the desk, by jonas, at %s", res.Delivery, at)
	}

	var act shop.Activity
	c.get("/deliveries?from="+at.Add(-time.Minute).Format(time.RFC3339)).decode(t, &act)
	found := false
	for _, d := range act.Deliveries {
		if d.ID == "off-1" {
			found = true
			if !d.StatedByDesk {
				t.Error("/deliveries does not show the offline delivery as stated by the desk")
			}
		} else if d.StatedByDesk {
			t.Errorf("/deliveries shows %s, made online, as stated by the desk", d.ID)
		}
	}
	if !found {
		t.Error("/deliveries does not list the offline delivery")
	}
	raw := c.get("/changes?since=0&limit=1000").body
	if !bytes.Contains(raw, []byte(`"id":"off-1"`)) || !bytes.Contains(raw, []byte(`"stated_by_desk":true`)) {
		t.Error("/changes does not show the offline delivery as stated by the desk")
	}

	// Credits and redemptions cannot be recorded offline.
	body := mustJSON(t, map[string]any{"id": "off-credit", "amount": 100, "reason": "x", "recorded_offline": true, "stated_by": shop.DemoManagerID})
	wantStatus(t, c.do("POST", "/purchases/"+srv.Code("promo")+"/credits", body, map[string]string{"Idempotency-Key": newKey()}), http.StatusUnauthorized)
}

// item 2: PIN digests were sent to every desk; nothing stopped guessing.
func TestSecurityPINsStayAtTheShopAndGuessingLocks(t *testing.T) {
	eachStore(t, testSecurityPINsStayAtTheShopAndGuessingLocks)
}

func testSecurityPINsStayAtTheShopAndGuessingLocks(t *testing.T, s store) {
	t.Parallel()
	clk := newClock(time.Now())
	logs := &syncBuffer{}
	srv := s.start(t, clk.option(), shoptest.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	c := newClient(t, srv)

	raw := c.get("/staff").body
	for _, leak := range []string{"pin", "salt", "hash", "argon", "verifier"} {
		if bytes.Contains(bytes.ToLower(raw), []byte(leak)) {
			t.Errorf("GET /staff sends %q: %s", leak, raw)
		}
	}
	var staff struct{ Staff []map[string]any }
	json.Unmarshal(raw, &staff)
	for _, m := range staff.Staff {
		for k := range m {
			if k != "id" && k != "name" && k != "role" && k != "centre_id" {
				t.Errorf("GET /staff sends member %q", k)
			}
		}
	}

	login := func(pin string) answer {
		b, _ := json.Marshal(shop.SessionRequest{StaffID: shop.DemoStaff2ID, PIN: pin})
		return c.do("POST", "/staff/sessions", b, nil)
	}
	for i := range shop.MaxPINFailures {
		a := login(fmt.Sprintf("%04d", i))
		wantStatus(t, a, http.StatusUnauthorized)
	}
	a := login(shop.DemoStaff2PIN) // Right, but too late.
	wantStatus(t, a, http.StatusLocked)
	if got := a.errorCode(t); got != "locked" {
		t.Errorf("code %q, want locked", got)
	}
	if n := strings.Count(logs.String(), "wrong staff PIN"); n != shop.MaxPINFailures {
		t.Errorf("%d wrong PINs logged at WARN, want %d:\n%s", n, shop.MaxPINFailures, logs)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Error("the lockout is not logged at WARN")
	}
	// Others are not locked; the locked one is let in after 15 minutes.
	srv.OpenSession("", shop.DemoStaffID)
	clk.add(shop.PINLockout + time.Second)
	a = login(shop.DemoStaff2PIN)
	wantStatus(t, a, http.StatusCreated)
	var res shop.SessionResult
	a.decode(t, &res)
	if res.Token == "" || res.Staff.ID != shop.DemoStaff2ID || res.Staff.Role != skranke.RoleStaff {
		t.Errorf("session %+v", res)
	}

	// Guesses in parallel are counted too: at most MaxPINFailures wrong.
	var wg gosync.WaitGroup
	var unauthorized, locked atomic.Int64
	for i := range 20 {
		wg.Go(func() {
			b, _ := json.Marshal(shop.SessionRequest{StaffID: shop.DemoAccountantID, PIN: fmt.Sprintf("%06d", i)})
			req, _ := http.NewRequest("POST", c.base+"/staff/sessions", bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+srv.DeskToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusUnauthorized:
				unauthorized.Add(1)
			case http.StatusLocked:
				locked.Add(1)
			}
		})
	}
	wg.Wait()
	if unauthorized.Load() != shop.MaxPINFailures || locked.Load() != 20-shop.MaxPINFailures {
		t.Errorf("20 parallel guesses: %d checked, %d locked; want %d checked", unauthorized.Load(), locked.Load(), shop.MaxPINFailures)
	}
}

// A desk (any holder of a desk token) logging in as staff ids that do not
// exist made shopd keep a mutex per id for ever: staffLocks was filled
// before the id was looked up and never emptied.
func TestSecurityLoginsAsUnknownStaffIDsDoNotGrowMemory(t *testing.T) {
	srv := shoptest.Start(t)
	c := newClient(t, srv)
	c.staff = "" // No session: a login needs none.
	before := shop.StaffLocksForTest(srv.Shop)
	const n = 300
	for i := range n {
		a := c.do("POST", "/staff/sessions", []byte(fmt.Sprintf(`{"staff_id":"ghost-%d","pin":"0000"}`, i)), nil)
		wantStatus(t, a, http.StatusUnauthorized)
	}
	if got := shop.StaffLocksForTest(srv.Shop) - before; got >= n {
		t.Errorf("after %d logins as unknown staff ids shopd keeps %d more PIN mutexes; want them not kept (unbounded growth)", n, got)
	}
}

// item 2: wrong desk tokens could be tried without end.
func TestSecurityWrongDeskTokensAreRateLimited(t *testing.T) {
	eachStore(t, testSecurityWrongDeskTokensAreRateLimited)
}

func testSecurityWrongDeskTokensAreRateLimited(t *testing.T, s store) {
	t.Parallel()
	logs := &syncBuffer{}
	srv := s.start(t, shoptest.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	c := newClient(t, srv)
	for i := range shop.MaxTokenFailures {
		c.token = fmt.Sprint("guess-", i)
		wantStatus(t, c.get("/desk"), http.StatusUnauthorized)
	}
	c.token = "guess-more" // The address is blocked for wrong tokens.
	a := c.get("/desk")
	wantStatus(t, a, http.StatusTooManyRequests)
	if got := a.errorCode(t); got != "locked" {
		t.Errorf("code %q, want locked", got)
	}
	if n := strings.Count(logs.String(), "wrong desk token"); n != shop.MaxTokenFailures+1 {
		t.Errorf("%d wrong tokens logged, want %d", n, shop.MaxTokenFailures+1)
	}
	// Not for the right one: desks may share the guesser's address (see
	// TestGuardRightTokensPassAnAddressBlock).
	c.token = srv.DeskToken
	wantStatus(t, c.get("/desk"), http.StatusOK)
}

// item 2: manager PINs had four digits.
func TestSecurityPINPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role skranke.Role
		pin  string
		ok   bool
	}{
		{skranke.RoleStaff, "1234", true},
		{skranke.RoleStaff, "123", false},
		{skranke.RoleManager, "9999", false},
		{skranke.RoleManager, "12345", false},
		{skranke.RoleManager, "123456", true},
		{skranke.RoleAccountant, "5555", false},
		{skranke.RoleStaff, "12a4", false},
	} {
		v, err := shop.NewPINVerifier(tc.role, tc.pin)
		if (err == nil) != tc.ok {
			t.Errorf("%s PIN %q: err %v, want ok=%v", tc.role, tc.pin, err, tc.ok)
		}
		if err == nil && (!shop.VerifyPIN(v, tc.pin) || shop.VerifyPIN(v, "000000") || !strings.HasPrefix(v, "$argon2id$")) {
			t.Errorf("verifier %q does not check PIN %q", v, tc.pin)
		}
	}
	if len(shop.DemoManagerPIN) < shop.MinManagerPINLen || len(shop.DemoAccountantPIN) < shop.MinManagerPINLen {
		t.Error("a demo manager or accountant PIN is shorter than the policy")
	}
}

// BenchmarkSecurityVerifyPIN measures what one PIN guess costs against the
// shop's verifier.
func BenchmarkSecurityVerifyPIN(b *testing.B) {
	v, err := shop.NewPINVerifier(skranke.RoleManager, "123456")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		shop.VerifyPIN(v, "654321")
	}
}

// BenchmarkSecurityOldPINDigest measures what one guess cost against the
// PBKDF2 digests (10 000 rounds) that GET /staff used to hand out.
func BenchmarkSecurityOldPINDigest(b *testing.B) {
	for b.Loop() {
		skranke.HashPIN("654321", "00112233445566778899aabbccddeeff")
	}
}

// item 5: a redemption or credit held by a proxy after the desk gave up
// committed later, though the desk had told staff nothing was done. Each
// round: the shop's write lock is held; the desk's request goes through a
// proxy that keeps it going upstream; the desk gives up, resolves the
// action's key, and the lock is let go. What resolve said must be what
// happened.
func TestSecurityResolveFencesLostActions(t *testing.T) {
	eachStore(t, testSecurityResolveFencesLostActions)
}

func testSecurityResolveFencesLostActions(t *testing.T, s store) {
	t.Parallel()
	arrived := make(chan string, 100)
	srv := s.start(t, shoptest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" {
				arrived <- r.URL.Path
			}
			next.ServeHTTP(w, r)
		})
	}))
	target, _ := url.Parse(srv.URL)
	upstream := make(chan int, 1)
	var gate atomic.Pointer[chan struct{}] // When set, the proxy holds requests until it is closed.
	rp := httputil.NewSingleHostReverseProxy(target)
	// Like a TLS terminator, the proxy finishes the upstream request after
	// its client hung up.
	received := make(chan struct{}, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		if g := gate.Load(); g != nil {
			<-*g
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
		upstream <- rec.Code
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer proxy.Close()
	c := newClient(t, srv)
	session := c.session()
	desk := &http.Client{}
	waitFor := func(path string) {
		t.Helper()
		for {
			select {
			case p := <-arrived:
				if p == path {
					return
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("%s never reached the shop", path)
			}
		}
	}

	outcomes := map[string]int{}
	mismatches := 0
	round := func(kind string, i int) {
		var path string
		var body any
		var card *skranke.Card
		var purchase *skranke.Purchase
		if kind == "redemption" {
			card = srv.IssueCard(10000)
			path = shop.APIPrefix + "/giftcards/" + card.Code + "/redemptions"
			body = shop.RedeemRequest{ID: fmt.Sprint("fence-r-", i), Amount: 2500}
		} else {
			purchase = srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Fence"}, Status: skranke.Captured,
				Lines: []skranke.Line{{ProductID: "dropin-sal", Quantity: 1}}})
			path = shop.APIPrefix + "/purchases/" + purchase.Code + "/credits"
			body = shop.CreditRequest{ID: fmt.Sprint("fence-c-", i), Amount: 5000, Reason: "fence"}
		}
		if kind == "credit" && c.staff != shop.DemoManagerID {
			c.staff = shop.DemoManagerID
			session = c.session()
		}
		key := newKey()
		// Even rounds hold the shop's write lock while the request waits
		// for it inside the shop; odd rounds hold the request in the proxy.
		inProxy := i%2 == 1
		held, release := make(chan struct{}), make(chan struct{})
		lockDone := make(chan error, 1)
		g := make(chan struct{})
		if inProxy {
			gate.Store(&g)
		} else {
			go func() {
				lockDone <- srv.DB.Update(context.Background(), func(shop.Tx) error {
					close(held)
					<-release
					return nil
				})
			}()
			<-held
		}
		// The desk gives up once its request is with the proxy, as it would
		// at its timeout.
		giveUp, cancel := context.WithCancel(context.Background())
		go func() {
			<-received
			cancel()
		}()
		req, _ := http.NewRequestWithContext(giveUp, "POST", proxy.URL+path, bytes.NewReader(mustJSON(t, body)))
		req.Header.Set("Authorization", "Bearer "+srv.DeskToken)
		req.Header.Set(shop.SessionHeader, session)
		req.Header.Set("Idempotency-Key", key)
		if resp, err := desk.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("round %d: the desk got an answer (%d) while its request was held", i, resp.StatusCode)
		}
		if !inProxy {
			waitFor(path)
		}
		// The desk gives up and settles the action.
		resolved := make(chan shop.ResolveResult, 1)
		go func() {
			a, err := tryResolve(c, key)
			if err != nil || a.status != http.StatusOK {
				t.Errorf("round %d: resolve: %v %d %s", i, err, a.status, a.body)
				resolved <- shop.ResolveResult{}
				return
			}
			var r shop.ResolveResult
			json.Unmarshal(a.body, &r)
			resolved <- r
		}()
		if !inProxy {
			waitFor(shop.APIPrefix + "/actions/" + key + "/resolve")
			close(release)
			if err := <-lockDone; err != nil {
				t.Fatal(err)
			}
		}
		r := <-resolved
		if inProxy {
			gate.Store(nil)
			close(g)
		}
		late := <-upstream // The held original, finished.
		outcomes[r.State]++

		var applied bool
		if kind == "redemption" {
			applied = srv.Card(card.Code).Balance != 10000
		} else {
			applied = len(srv.Purchase(purchase.Code).Credits) != 0
		}
		switch {
		case r.State == "applied" && applied && late == http.StatusCreated && r.Status == http.StatusCreated:
		case r.State == "abandoned" && !applied && late == http.StatusConflict:
		default:
			mismatches++
			t.Errorf("%s round %d: resolve said %q (status %d), the original got %d, and the shop applied it: %v",
				kind, i, r.State, r.Status, late, applied)
		}
		// Once settled, a resend changes nothing either way.
		again := tryPostKey(t, c, path, key, body)
		if r.State == "abandoned" && again != http.StatusConflict {
			t.Errorf("%s round %d: a resend after abandon got %d, want 409", kind, i, again)
		}
	}
	for i := range 20 {
		round("redemption", i)
	}
	for i := range 20 {
		round("credit", i)
	}
	t.Logf("%d mismatches in 40 rounds; outcomes %v", mismatches, outcomes)
	if mismatches != 0 {
		t.Fatalf("%d mismatches", mismatches)
	}
	// Resolving a key never used fences it; resolving again says the same.
	key := newKey()
	for range 2 {
		a, err := tryResolve(c, key)
		if err != nil || a.status != http.StatusOK || !bytes.Contains(a.body, []byte(`"abandoned"`)) {
			t.Fatalf("resolve of an unused key: %v %d %s", err, a.status, a.body)
		}
	}
}

func tryResolve(c *client, key string) (answer, error) {
	req, _ := http.NewRequest("POST", c.base+"/actions/"+key+"/resolve", nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}, nil
}

// tryPostKey posts v straight to the shop under key and returns the status.
func tryPostKey(t *testing.T, c *client, apiPath, key string, v any) int {
	t.Helper()
	cc := *c
	cc.t = t
	a, err := tryPost(&cc, strings.TrimPrefix(apiPath, shop.APIPrefix), key, v)
	if err != nil {
		t.Fatal(err)
	}
	return a.status
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// item 6: two lines with one id and quantities near 2^63 summed to -1000,
// and 1 001 items were handed over on a purchase of 1.
func TestSecurityQuantitiesAndAmountsCannotOverflow(t *testing.T) {
	eachStore(t, testSecurityQuantitiesAndAmountsCannotOverflow)
}

func testSecurityQuantitiesAndAmountsCannotOverflow(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	code := srv.Code("paid-course") // One spinning card.
	for name, lines := range map[string][]skranke.DeliveredLine{
		"overflowing pair": {{LineID: "1", Quantity: math.MaxInt64}, {LineID: "1", Quantity: math.MinInt64 + 1001 + 1000}},
		"repeated line":    {{LineID: "1", Quantity: 1}, {LineID: "1", Quantity: 1}},
		"huge quantity":    {{LineID: "1", Quantity: math.MaxInt64}},
		"negative":         {{LineID: "1", Quantity: -1000}},
	} {
		a := c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "ovf-" + strings.ReplaceAll(name, " ", "-"), Lines: lines})
		if a.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", name, a.status, a.body)
		}
	}
	if p := srv.Purchase(code); p.Lines[0].Delivered != 0 || len(p.Deliveries) != 0 {
		t.Fatalf("after the refusals line 1 has %d delivered", p.Lines[0].Delivered)
	}

	// The web shop: quantity × price beyond int64, or beyond the bounds.
	ws := newClient(t, srv)
	ws.token, ws.staff = srv.ShopToken, ""
	for name, l := range map[string]skranke.Line{
		"product overflows": {Name: "x", Kind: skranke.Service, Quantity: 2, UnitPrice: math.MaxInt64/2 + 1, VATRate: 25},
		"quantity too big":  {Name: "x", Kind: skranke.Service, Quantity: math.MaxInt32, UnitPrice: 100, VATRate: 25},
		"amount too big":    {Name: "x", Kind: skranke.Service, Quantity: 10, UnitPrice: skranke.MaxAmount, VATRate: 25},
	} {
		a := ws.post("/purchases", newKey(), skranke.Purchase{CentreID: shop.DemoCentreID, Buyer: skranke.Buyer{Name: "Overflow"}, Lines: []skranke.Line{l}})
		if a.status != http.StatusBadRequest {
			t.Errorf("web shop %s: status %d, want 400: %s", name, a.status, a.body)
		}
	}
	// Two lines each within bounds whose sum is not.
	half := skranke.MaxAmount/2 + 1
	a := ws.post("/purchases", newKey(), skranke.Purchase{CentreID: shop.DemoCentreID, Buyer: skranke.Buyer{Name: "Overflow"}, Lines: []skranke.Line{
		{Name: "a", Kind: skranke.Service, Quantity: 1, UnitPrice: half, VATRate: 25}, {Name: "b", Kind: skranke.Service, Quantity: 1, UnitPrice: half, VATRate: 25}}})
	wantStatus(t, a, http.StatusBadRequest)

	card := srv.IssueCard(10000)
	a = c.post("/giftcards/"+card.Code+"/redemptions", newKey(), shop.RedeemRequest{ID: "ovf-r", Amount: math.MaxInt64})
	wantStatus(t, a, http.StatusBadRequest)
	c.staff = shop.DemoManagerID
	a = c.post("/purchases/"+code+"/credits", newKey(), shop.CreditRequest{ID: "ovf-c", Amount: math.MaxInt64, Reason: "x"})
	wantStatus(t, a, http.StatusBadRequest)
}

// item 7: physical goods were handed over without a signature, or with an
// unknown one, and any bytes passed for a PNG.
func TestSecuritySignaturesAreRequiredAndChecked(t *testing.T) {
	eachStore(t, testSecuritySignaturesAreRequiredAndChecked)
}

func testSecuritySignaturesAreRequiredAndChecked(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t, shoptest.WithConfig(func(cfg *shop.Config) { cfg.MaxSignaturesPerDay = 3 }))
	c := newClient(t, srv)
	code := srv.Code("paid-physical")
	for name, req := range map[string]shop.DeliveryRequest{
		"no signature":      {ID: "sig-none", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}},
		"unknown signature": {ID: "sig-unknown", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}, SignatureID: "never-uploaded"},
	} {
		a := c.post("/purchases/"+code+"/deliveries", newKey(), req)
		wantStatus(t, a, http.StatusBadRequest)
		if !strings.Contains(string(a.body), "signature") {
			t.Errorf("%s: the refusal does not mention the signature: %s", name, a.body)
		}
	}
	if p := srv.Purchase(code); len(p.Deliveries) != 0 {
		t.Fatalf("goods handed over without a signature: %+v", p.Deliveries)
	}
	// Another centre's signature is unknown here.
	other := newClient(t, srv)
	other.token, other.staff = shop.DemoOtherDeskToken, ""
	other.uploadSignature("sandnes-sig")
	a := c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "sig-other", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}, SignatureID: "sandnes-sig"})
	wantStatus(t, a, http.StatusBadRequest)

	big := func(w, h int) []byte {
		var buf bytes.Buffer
		png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h)))
		return buf.Bytes()
	}
	for name, b := range map[string][]byte{
		"framed garbage": []byte("\x89PNG\r\n\x1a\nnot really"),
		"truncated":      signaturePNG(t, 3)[:60],
		"too wide":       big(skranke.MaxSignatureWidth+1, 10),
		"too tall":       big(10, skranke.MaxSignatureHeight+1),
	} {
		a := c.do("PUT", "/signatures/bad-"+strings.ReplaceAll(name, " ", "-"), b, map[string]string{"Content-Type": "image/png"})
		if a.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", name, a.status, a.body)
		}
	}
	// The desk's 3rd signature of the day is fine (one above was Sandnes'),
	// the 4th is refused.
	c.uploadSignature("day-1")
	c.uploadSignature("day-22")
	c.uploadSignature("day-333")
	a = c.do("PUT", "/signatures/day-4444", signaturePNG(t, 4), map[string]string{"Content-Type": "image/png"})
	wantStatus(t, a, http.StatusTooManyRequests)

	a = c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "sig-ok", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}, SignatureID: "day-1"})
	wantStatus(t, a, http.StatusCreated)
}

// item 8: any past time was taken, and a year before 1678 wrapped and hid
// the delivery from every report.
func TestSecurityDeliveryTimesAreBounded(t *testing.T) {
	eachStore(t, testSecurityDeliveryTimesAreBounded)
}

func testSecurityDeliveryTimesAreBounded(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	code := srv.Code("paid-course") // Bought two hours ago.
	now := time.Now().UTC()
	for name, at := range map[string]time.Time{
		"year 1600":           time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		"before the purchase": now.Add(-3 * time.Hour),
		"an hour ahead":       now.Add(time.Hour),
		"year 3000":           time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		a := c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "at-" + strings.ReplaceAll(name, " ", "-"), At: at})
		if a.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", name, a.status, a.body)
		}
	}
	at := now.Add(-time.Hour).Truncate(time.Second)
	wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "at-ok", At: at}), http.StatusCreated)
	// Every report finds it, even over a period reaching before 1678.
	var act shop.Activity
	c.get("/deliveries?from=1600-01-01T00:00:00Z&to=2999-01-01T00:00:00Z").decode(t, &act)
	found := false
	for _, d := range act.Deliveries {
		found = found || (d.ID == "at-ok" && d.At.Equal(at))
	}
	if !found {
		t.Errorf("the delivery is missing from a report over all time: %+v", act.Deliveries)
	}
}

// item 9: an action id reused with a different body got the old answer.
func TestSecurityActionIDReusedWithADifferentBodyIsRefused(t *testing.T) {
	eachStore(t, testSecurityActionIDReusedWithADifferentBodyIsRefused)
}

func testSecurityActionIDReusedWithADifferentBodyIsRefused(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	code := srv.Code("many-lines")
	line1 := srv.Purchase(code).Lines[0].Delivered
	wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "reuse-d", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}}), http.StatusCreated)
	wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "reuse-d", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}}), http.StatusCreated)
	a := c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "reuse-d", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	wantStatus(t, a, http.StatusUnprocessableEntity)

	card := srv.IssueCard(10000)
	wantStatus(t, c.post("/giftcards/"+card.Code+"/redemptions", newKey(), shop.RedeemRequest{ID: "reuse-r", Amount: 1000}), http.StatusCreated)
	a = c.post("/giftcards/"+card.Code+"/redemptions", newKey(), shop.RedeemRequest{ID: "reuse-r", Amount: 9000})
	wantStatus(t, a, http.StatusUnprocessableEntity)

	c.staff = shop.DemoManagerID
	wantStatus(t, c.post("/purchases/"+code+"/credits", newKey(), shop.CreditRequest{ID: "reuse-c", Amount: 1000, Reason: "a"}), http.StatusCreated)
	a = c.post("/purchases/"+code+"/credits", newKey(), shop.CreditRequest{ID: "reuse-c", Amount: 5000, Reason: "a"})
	wantStatus(t, a, http.StatusUnprocessableEntity)
	if p := srv.Purchase(code); p.CreditedAmount() != 1000 || p.Lines[0].Delivered != line1 {
		t.Errorf("credited %d, line 1 delivered %d; want 1000 and %d", p.CreditedAmount(), p.Lines[0].Delivered, line1)
	}
}

// item 10: a captured payment notification could be replayed at any time.
func TestSecurityNotificationsCarryASignedTimestamp(t *testing.T) {
	eachStore(t, testSecurityNotificationsCarryASignedTimestamp)
}

func testSecurityNotificationsCarryASignedTimestamp(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	c.token, c.staff = "", ""
	code := srv.Code("pending")
	send := func(sig string, body []byte) answer {
		return c.do("POST", "/payments/notify", body, map[string]string{"X-Signature": sig})
	}
	body := mustJSON(t, shop.Notification{EventID: "ev-old", Reference: code, Status: skranke.Captured})
	mac := strings.SplitN(shop.SignNotification(srv.NotifySecret, time.Now(), body), "v1=", 2)[1]
	wantStatus(t, send(mac, body), http.StatusUnauthorized) // The old form, body only.
	wantStatus(t, send(shop.SignNotification(srv.NotifySecret, time.Now().Add(-10*time.Minute), body), body), http.StatusUnauthorized)
	wantStatus(t, send(shop.SignNotification(srv.NotifySecret, time.Now().Add(10*time.Minute), body), body), http.StatusUnauthorized)
	// A fresh signature with another timestamp swapped in does not match.
	fresh := shop.SignNotification(srv.NotifySecret, time.Now(), body)
	forged := fmt.Sprintf("t=%d,v1=%s", time.Now().Add(time.Minute).Unix(), strings.SplitN(fresh, "v1=", 2)[1])
	wantStatus(t, send(forged, body), http.StatusUnauthorized)
	if p := srv.Purchase(code); p.Status != skranke.Pending {
		t.Fatalf("a refused notification moved the purchase to %s", p.Status)
	}
	wantStatus(t, send(fresh, body), http.StatusOK)
	if p := srv.Purchase(code); p.Status != skranke.Captured {
		t.Errorf("status %s after a good notification", p.Status)
	}
}

// item 11: signatures were kept forever and any session could read them.
func TestSecuritySignaturesAreForManagersAndPurged(t *testing.T) {
	eachStore(t, testSecuritySignaturesAreForManagersAndPurged)
}

func testSecuritySignaturesAreForManagersAndPurged(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	png := c.uploadSignature("keep-me")
	for _, who := range []string{"", shop.DemoStaffID, shop.DemoAccountantID} {
		c.staff = who
		if a := c.get("/signatures/keep-me"); a.status == http.StatusOK {
			t.Errorf("%q read a signature", who)
		}
	}
	c.staff = shop.DemoManagerID
	if a := c.get("/signatures/keep-me"); a.status != http.StatusOK || !bytes.Equal(a.body, png) {
		t.Fatalf("the manager could not read the signature: %d", a.status)
	}
	ctx := context.Background()
	if n, err := shop.Purge(ctx, srv.DB, time.Now(), shop.DefaultSignatureRetention); err != nil || n.Signatures != 0 {
		t.Fatalf("purge now: %+v %v; want nothing purged", n, err)
	}
	wantStatus(t, c.get("/signatures/keep-me"), http.StatusOK)
	n, err := shop.Purge(ctx, srv.DB, time.Now().Add(shop.DefaultSignatureRetention+24*time.Hour), shop.DefaultSignatureRetention)
	if err != nil || n.Signatures == 0 {
		t.Fatalf("purge after the retention: %+v %v", n, err)
	}
	c.sessions = &gosync.Map{} // The purge ended the manager's session too.
	wantStatus(t, c.get("/signatures/keep-me"), http.StatusNotFound)
}

// item 2: shops upgraded from before kept PBKDF2 digests in the staff
// documents; the first right PIN replaces the digest with the shop's own
// verifier, and the digest is gone from the database.
func TestSecurityLegacyPINDigestsAreReplaced(t *testing.T) {
	eachStore(t, testSecurityLegacyPINDigestsAreReplaced)
}

func testSecurityLegacyPINDigestsAreReplaced(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	old := skranke.Staff{ID: "old-timer", Name: "Olav Gammel", Role: skranke.RoleStaff, CentreID: shop.DemoCentreID, PINSalt: "00112233445566778899aabbccddeeff"}
	var err error
	if old.PINHash, err = skranke.HashPIN("2468", old.PINSalt); err != nil {
		t.Fatal(err)
	}
	if err := srv.DB.Update(context.Background(), func(tx shop.Tx) error { return tx.PutStaff(old) }); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	login := func(pin string) int {
		return c.do("POST", "/staff/sessions", mustJSON(t, shop.SessionRequest{StaffID: old.ID, PIN: pin}), nil).status
	}
	if st := login("1111"); st != http.StatusUnauthorized {
		t.Fatalf("wrong PIN: %d", st)
	}
	if st := login("2468"); st != http.StatusCreated {
		t.Fatalf("right PIN against the old digest: %d", st)
	}
	err = srv.DB.View(context.Background(), func(tx shop.Tx) error {
		st, err := tx.StaffMember(old.ID)
		if err == nil && (st.PINHash != "" || st.PINSalt != "") {
			t.Error("the old digest is still in the staff document")
		}
		a, err := tx.StaffAuth(old.ID)
		if err == nil && (!strings.HasPrefix(a.Verifier, "$argon2id$") || a.Failures != 0) {
			t.Errorf("verifier %q, failures %d", a.Verifier, a.Failures)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := login("2468"); st != http.StatusCreated {
		t.Fatalf("right PIN against the new verifier: %d", st)
	}
}
