package shop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

func TestIdempotency(t *testing.T) { eachStore(t, testIdempotency) }

func testIdempotency(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	code := srv.Code("many-lines")
	path := "/purchases/" + code + "/deliveries"
	body := shop.DeliveryRequest{ID: "idem-1", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}}
	key := newKey()

	first := c.post(path, key, body)
	wantStatus(t, first, http.StatusCreated)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("a first request was marked as replayed")
	}

	t.Run("same key and body replays the first answer", func(t *testing.T) {
		again := c.post(path, key, body)
		wantStatus(t, again, http.StatusCreated)
		if !bytes.Equal(again.body, first.body) {
			t.Errorf("replay differs from the first answer:\n%s\n%s", first.body, again.body)
		}
		if again.header.Get("Idempotent-Replayed") != "true" {
			t.Error("replay not marked Idempotent-Replayed: true")
		}
		if got := srv.Purchase(code).Lines[1].Delivered; got != 1 {
			t.Errorf("line 2 delivered %d after the replay, want 1", got)
		}
	})
	t.Run("same key and another body is refused", func(t *testing.T) {
		other := body
		other.Lines = []skranke.DeliveredLine{{LineID: "2", Quantity: 2}}
		a := c.post(path, key, other)
		wantStatus(t, a, http.StatusUnprocessableEntity)
		if code := a.errorCode(t); code != "conflict" {
			t.Errorf("error code %q, want conflict", code)
		}
		a = c.post("/purchases/"+srv.Code("paid-course")+"/deliveries", key, body)
		wantStatus(t, a, http.StatusUnprocessableEntity)
	})
	t.Run("missing key is refused", func(t *testing.T) {
		a := c.post(path, "", shop.DeliveryRequest{ID: "idem-2"})
		wantStatus(t, a, http.StatusBadRequest)
		if code := a.errorCode(t); code != "invalid" {
			t.Errorf("error code %q, want invalid", code)
		}
		if got := srv.Purchase(code).Lines[1].Delivered; got != 1 {
			t.Errorf("line 2 delivered %d after a keyless request, want 1", got)
		}
	})
	t.Run("keys belong to their desk", func(t *testing.T) {
		c2 := newClient(t, srv)
		c2.token = shop.DemoDesk2Token
		a := c2.post(path, key, shop.DeliveryRequest{ID: "idem-3", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}})
		wantStatus(t, a, http.StatusCreated)
		if a.header.Get("Idempotent-Replayed") != "" {
			t.Error("another desk's key was replayed")
		}
	})
	t.Run("same delivery id under a new key hands over nothing more", func(t *testing.T) {
		a := c.post(path, newKey(), body)
		wantStatus(t, a, http.StatusCreated)
		var res shop.DeliveryResult
		a.decode(t, &res)
		if res.Delivery.ID != "idem-1" || res.Purchase.Lines[1].Delivered != 2 {
			t.Errorf("got delivery %s with line 2 delivered %d; want idem-1 and 2 (idem-1 and idem-3)", res.Delivery.ID, res.Purchase.Lines[1].Delivered)
		}
	})
	t.Run("concurrent resends of one request deliver once", func(t *testing.T) {
		key := newKey()
		c.uploadSignature("sig-idem-4")
		body := shop.DeliveryRequest{ID: "idem-4", Lines: []skranke.DeliveredLine{{LineID: "4", Quantity: 1}}, SignatureID: "sig-idem-4"}
		var wg gosync.WaitGroup
		answers := make([]answer, 10)
		for i := range answers {
			wg.Go(func() { answers[i], _ = tryPost(c, path, key, body) })
		}
		wg.Wait()
		for i, a := range answers {
			if a.status != http.StatusCreated || !bytes.Equal(a.body, answers[0].body) {
				t.Errorf("answer %d: %d %s; want 201 and the same body as answer 0", i, a.status, a.body)
			}
		}
		if got := srv.Purchase(code).Lines[3].Delivered; got != 1 {
			t.Errorf("line 4 delivered %d, want 1", got)
		}
	})
}

// Codes in paths are read however they are spelt ("k7rm-4qx2" is
// K7RM4QX2), so a desk resending a delivery under its key with the code
// spelt otherwise sends the same request: it gets the first answer, not a
// 422 saying the key was used for a different request.
func TestResendWithTheCodeSpeltOtherwiseIsTheSameRequest(t *testing.T) {
	eachStore(t, testResendWithTheCodeSpeltOtherwiseIsTheSameRequest)
}

func testResendWithTheCodeSpeltOtherwiseIsTheSameRequest(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	code := srv.Code("many-lines")
	before := srv.Purchase(code).Lines[1].Delivered
	key := newKey()
	body := shop.DeliveryRequest{ID: "spelt-otherwise", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}}
	first := c.post("/purchases/"+code+"/deliveries", key, body)
	wantStatus(t, first, http.StatusCreated)
	spelt := strings.ToLower(code[:4]) + "-" + strings.ToLower(code[4:])
	resend := c.post("/purchases/"+spelt+"/deliveries", key, body)
	wantStatus(t, resend, http.StatusCreated)
	if string(resend.body) != string(first.body) {
		t.Errorf("the resend under %s got another answer:\n%s\nwant the first:\n%s", spelt, resend.body, first.body)
	}
	if got := srv.Purchase(code).Lines[1].Delivered; got != before+1 {
		t.Errorf("line 2 has %d delivered after a delivery and its resend, want %d", got, before+1)
	}
}

func TestDeliveryRules(t *testing.T) { eachStore(t, testDeliveryRules) }

func testDeliveryRules(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)

	t.Run("over-delivery is refused with the current state", func(t *testing.T) {
		code := srv.Code("partly-delivered") // Line 1: 2 T-shirts, 1 handed over.
		a := c.post("/purchases/"+code+"/deliveries", newKey(),
			shop.DeliveryRequest{ID: "over-1", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 2}}})
		wantStatus(t, a, http.StatusConflict)
		if code := a.errorCode(t); code != "conflict" {
			t.Errorf("code %q, want conflict", code)
		}
		var st struct{ Purchase skranke.Purchase }
		a.decode(t, &st)
		if st.Purchase.Code != code || st.Purchase.Lines[0].Delivered != 1 || st.Purchase.Lines[0].Remaining() != 1 {
			t.Fatalf("the refusal carries %+v, want the purchase with 1 of 2 T-shirts delivered", st.Purchase)
		}
		if got := srv.Purchase(code).Lines[0].Delivered; got != 1 {
			t.Errorf("after the refusal line 1 delivered %d, want 1", got)
		}
	})
	t.Run("empty lines deliver everything that remains", func(t *testing.T) {
		code := srv.Code("partly-delivered")
		c.uploadSignature("sig-rest-1")
		a := c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "rest-1", SignatureID: "sig-rest-1"})
		wantStatus(t, a, http.StatusCreated)
		var res shop.DeliveryResult
		a.decode(t, &res)
		if !res.Purchase.FullyDelivered() || len(res.Delivery.Lines) != 2 || res.Delivery.StaffName != "Kari Nordmann" {
			t.Fatalf("got %+v", res)
		}
		a = c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "rest-2"})
		wantStatus(t, a, http.StatusConflict)
	})
	t.Run("unpaid purchases are not payable until captured", func(t *testing.T) {
		for _, label := range []string{"pending", "failed", "cancelled", "credited"} {
			code := srv.Code(label)
			a := c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "np-" + label})
			wantStatus(t, a, http.StatusUnprocessableEntity)
			if ec := a.errorCode(t); ec != "not_payable" {
				t.Errorf("%s: code %q, want not_payable", label, ec)
			}
		}
		code := srv.Code("pending")
		key, body := newKey(), shop.DeliveryRequest{ID: "np-later"}
		wantStatus(t, c.post("/purchases/"+code+"/deliveries", key, body), http.StatusUnprocessableEntity)
		srv.Notify(code, skranke.Captured)
		// The refusal was not recorded under the key: the resend is judged afresh.
		wantStatus(t, c.post("/purchases/"+code+"/deliveries", key, body), http.StatusCreated)
	})
	t.Run("bad requests", func(t *testing.T) {
		code := srv.Code("paid-physical")
		for name, tc := range map[string]struct {
			body   any
			staff  string
			status int
		}{
			"unknown line":  {shop.DeliveryRequest{ID: "b1", Lines: []skranke.DeliveredLine{{LineID: "9", Quantity: 1}}}, shop.DemoStaffID, 400},
			"zero quantity": {shop.DeliveryRequest{ID: "b2", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 0}}}, shop.DemoStaffID, 400},
			"no id":         {shop.DeliveryRequest{}, shop.DemoStaffID, 400},
			"not JSON":      {"[", shop.DemoStaffID, 400},
			"no staff":      {shop.DeliveryRequest{ID: "b3"}, "", 401},
		} {
			t.Run(name, func(t *testing.T) {
				cc := *c
				cc.t, cc.staff = t, tc.staff
				wantStatus(t, cc.post("/purchases/"+code+"/deliveries", newKey(), tc.body), tc.status)
			})
		}
		if p := srv.Purchase(code); len(p.Deliveries) != 0 {
			t.Errorf("bad requests left deliveries: %+v", p.Deliveries)
		}
	})
	t.Run("concurrent desks never over-deliver", func(t *testing.T) {
		code := srv.Code("paid-physical") // Line 2: 2 T-shirts.
		c.uploadSignature("sig-concurrent")
		var wg gosync.WaitGroup
		statuses := make([]int, 20)
		for i := range statuses {
			wg.Go(func() {
				a, err := tryPost(c, "/purchases/"+code+"/deliveries", newKey(),
					shop.DeliveryRequest{ID: newKey(), Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}, SignatureID: "sig-concurrent"})
				if err == nil {
					statuses[i] = a.status
				}
			})
		}
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
			default:
				t.Errorf("status %d, want 201 or 409", s)
			}
		}
		if p := srv.Purchase(code); created != 2 || p.Lines[1].Delivered != 2 || len(p.Deliveries) != 2 {
			t.Fatalf("%d deliveries accepted, line delivered %d; want 2 and 2", created, p.Lines[1].Delivered)
		}
	})
}

func TestReadsAndErrors(t *testing.T) { eachStore(t, testReadsAndErrors) }

func testReadsAndErrors(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)

	var desk struct {
		Desk   skranke.DeskInfo
		Centre skranke.Centre
	}
	c.get("/desk").decode(t, &desk)
	if desk.Desk.ID != shop.DemoDeskID || desk.Centre.ID != shop.DemoCentreID {
		t.Errorf("desk %+v", desk)
	}
	var staff struct{ Staff []skranke.Staff }
	c.get("/staff").decode(t, &staff)
	if len(staff.Staff) != 4 {
		t.Errorf("%d staff, want the centre's 4", len(staff.Staff))
	}
	for _, s := range staff.Staff {
		if s.PINSalt != "" || s.PINHash != "" {
			t.Errorf("%s: GET /staff sends PIN material", s.ID)
		}
	}
	var products struct{ Products []skranke.Product }
	c.get("/products").decode(t, &products)
	if len(products.Products) < 18 {
		t.Errorf("%d products", len(products.Products))
	}

	code := srv.Code("paid-course")
	var p skranke.Purchase
	a := c.get("/purchases/" + strings.ToLower(code[:4]) + "-" + strings.ToLower(code[4:]))
	wantStatus(t, a, http.StatusOK)
	a.decode(t, &p)
	if p.Code != code || p.Buyer.Name != "Åse Ødegård" {
		t.Errorf("grouped lower-case lookup gave %s %s", p.Code, p.Buyer.Name)
	}

	for name, tc := range map[string]struct {
		method, path, token string
		body                []byte
		status              int
		code                string
	}{
		"unknown path":       {"GET", "/nothing", srv.DeskToken, nil, 404, "not_found"},
		"wrong method":       {"DELETE", "/purchases/" + code, srv.DeskToken, nil, 405, "invalid"},
		"no token":           {"GET", "/desk", "", nil, 401, "unauthorized"},
		"bad token":          {"GET", "/desk", "nope", nil, 401, "unauthorized"},
		"shop token on desk": {"GET", "/desk", shop.DemoShopToken, nil, 401, "unauthorized"},
		"desk token on shop": {"POST", "/purchases", srv.DeskToken, []byte(`{}`), 401, "unauthorized"},
		"bad check":          {"GET", "/purchases/" + badCheck(code), srv.DeskToken, nil, 400, "invalid"},
		"unknown purchase":   {"GET", "/purchases/" + validRef("ZZZZZZZ"), srv.DeskToken, nil, 404, "not_found"},
		"other centre":       {"GET", "/purchases/" + srv.Code("other-centre"), srv.DeskToken, nil, 404, "not_found"},
		"body too large":     {"POST", "/purchases/" + code + "/deliveries", srv.DeskToken, bytes.Repeat([]byte(" "), shop.MaxBody+1), 413, "invalid"},
	} {
		t.Run(name, func(t *testing.T) {
			cc := *c
			cc.t, cc.token = t, tc.token
			a := cc.do(tc.method, tc.path, tc.body, map[string]string{"Idempotency-Key": newKey()})
			wantStatus(t, a, tc.status)
			if got := a.errorCode(t); got != tc.code {
				t.Errorf("code %q, want %q", got, tc.code)
			}
		})
	}
}

func TestOfflineDeliveryKeepsItsTime(t *testing.T) { eachStore(t, testOfflineDeliveryKeepsItsTime) }

func testOfflineDeliveryKeepsItsTime(t *testing.T, s store) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	srv := s.start(t, shoptest.WithClock(func() time.Time { return now }))
	c := newClient(t, srv)
	past := now.Add(-90 * time.Minute) // The purchase was made two hours before now.
	a := c.post("/purchases/"+srv.Code("paid-course")+"/deliveries", newKey(), shop.DeliveryRequest{ID: "offline-1", At: past})
	wantStatus(t, a, http.StatusCreated)
	a = c.post("/purchases/"+srv.Code("delivered")+"/deliveries", newKey(), shop.DeliveryRequest{ID: "x"})
	wantStatus(t, a, http.StatusConflict)
	c.uploadSignature("s")
	// A desk clock two days ahead is refused; two minutes ahead is taken
	// as the shop's now.
	a = c.post("/purchases/"+srv.Code("authorized")+"/deliveries", newKey(), shop.DeliveryRequest{ID: "future-1", At: now.Add(48 * time.Hour), SignatureID: "s"})
	wantStatus(t, a, http.StatusBadRequest)
	a = c.post("/purchases/"+srv.Code("authorized")+"/deliveries", newKey(), shop.DeliveryRequest{ID: "future-1", At: now.Add(2 * time.Minute), SignatureID: "s"})
	wantStatus(t, a, http.StatusCreated)

	period := func(from, to time.Time) map[string]time.Time {
		var act shop.Activity
		c.get("/deliveries?from="+from.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339)).decode(t, &act)
		out := map[string]time.Time{}
		for i, d := range act.Deliveries {
			if i > 0 && d.At.Before(act.Deliveries[i-1].At) {
				t.Errorf("deliveries out of order: %s before %s", d.At, act.Deliveries[i-1].At)
			}
			if d.At.Before(from) || !d.At.Before(to) {
				t.Errorf("delivery %s at %s outside [%s, %s)", d.ID, d.At, from, to)
			}
			out[d.ID] = d.At
		}
		return out
	}
	got := period(now.Add(-2*time.Hour), now.Add(time.Second))
	if !got["offline-1"].Equal(past) || !got["future-1"].Equal(now) {
		t.Fatalf("activity %v; want offline-1 at %s and future-1 at the shop's now %s", got, past, now)
	}
	got = period(now.Add(-80*time.Minute), now)
	if _, ok := got["offline-1"]; ok {
		t.Errorf("a period after the offline delivery lists it")
	}
	if _, ok := got["future-1"]; ok {
		t.Errorf("a period ending at now lists a delivery made at now")
	}
	wantStatus(t, c.get("/deliveries?from=yesterday"), http.StatusBadRequest)
}

// panicStore is a store whose reads blow up, as a bug in a handler would.
type panicStore struct{ shop.Store }

func (panicStore) View(context.Context, func(shop.Tx) error) error { panic("boom") }

func TestServerFailuresAreJSON(t *testing.T) { eachStore(t, testServerFailuresAreJSON) }

func testServerFailuresAreJSON(t *testing.T, s store) {
	t.Parallel()
	t.Run("database gone", func(t *testing.T) {
		srv := s.start(t)
		c := newClient(t, srv)
		srv.DB.Close()
		a := c.get("/health")
		wantStatus(t, a, http.StatusServiceUnavailable)
		if code := a.errorCode(t); code != "unavailable" {
			t.Errorf("health: code %q", code)
		}
		a = c.get("/purchases/" + srv.Code("paid-course"))
		wantStatus(t, a, http.StatusInternalServerError)
		if code := a.errorCode(t); code != "internal" {
			t.Errorf("lookup: code %q", code)
		}
	})
	t.Run("panic", func(t *testing.T) {
		srv := s.start(t)
		hs := httptest.NewServer(shop.New(panicStore{srv.DB}, shop.Config{}))
		defer hs.Close()
		c := newClient(t, srv)
		c.base = hs.URL + shop.APIPrefix
		a := c.get("/health")
		wantStatus(t, a, http.StatusInternalServerError)
		if code := a.errorCode(t); code != "internal" {
			t.Errorf("code %q", code)
		}
	})
}

func TestDeliveryAnswerHoldsThePurchaseAsStored(t *testing.T) {
	eachStore(t, testDeliveryAnswerHoldsThePurchaseAsStored)
}

// testDeliveryAnswerHoldsThePurchaseAsStored: a delivery's answer carries
// the delivery and the purchase as the shop stored them, the purchase as a
// lookup serves it after, also for a buyer whose name holds characters
// JSON encoders may escape; on SQLite byte for byte (the answer is made
// of the documents just stored, not encoded again).
func testDeliveryAnswerHoldsThePurchaseAsStored(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	for _, name := range []string{"Kari Nordmann", "Berg & Sønn <Bedrift>"} {
		p := srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: name},
			Lines: []skranke.Line{{ProductID: "pt-60", Quantity: 2}, {ProductID: "dropin-sal", Quantity: 1}}})
		srv.Notify(p.Code, skranke.Authorized)
		srv.Notify(p.Code, skranke.Captured)
		a := c.post("/purchases/"+p.Code+"/deliveries", newKey(),
			shop.DeliveryRequest{ID: "stored-" + p.Code, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
		wantStatus(t, a, http.StatusCreated)
		var raw struct {
			Delivery, Purchase json.RawMessage
			Cards              *json.RawMessage
		}
		a.decode(t, &raw)
		lookup := c.get("/purchases/" + p.Code)
		wantStatus(t, lookup, http.StatusOK)
		var answered, stored skranke.Purchase
		jsonUnmarshal(raw.Purchase, &answered)
		lookup.decode(t, &stored)
		if answered.Buyer.Name != name || answered.Lines[0].Delivered != 1 || len(answered.Deliveries) != 1 ||
			answered.Seq != stored.Seq || !reflect.DeepEqual(answered, stored) {
			t.Errorf("%s: the answer's purchase\n%s\nis not the stored one\n%s", name, raw.Purchase, lookup.body)
		}
		var d skranke.Delivery
		jsonUnmarshal(raw.Delivery, &d)
		if !reflect.DeepEqual(d, stored.Deliveries[0]) {
			t.Errorf("%s: the answer's delivery %+v, stored %+v", name, d, stored.Deliveries[0])
		}
		if raw.Cards != nil {
			t.Errorf("%s: a delivery of no gift card answers cards %s", name, *raw.Cards)
		}
		if s.pg == nil && !bytes.Equal(raw.Purchase, bytes.TrimSuffix(lookup.body, []byte("\n"))) {
			t.Errorf("%s: the answer's purchase\n%s\ndiffers from the stored document\n%s", name, raw.Purchase, lookup.body)
		}
	}
}

func TestConcurrentDeliveriesOfOnePurchaseAllCount(t *testing.T) {
	eachStore(t, testConcurrentDeliveriesOfOnePurchaseAllCount)
}

// testConcurrentDeliveriesOfOnePurchaseAllCount: desks handing over units
// of one purchase at the same moment (their Updates share group commits)
// each see the others' hand-overs: every unit is handed over once, and
// one more is refused.
func testConcurrentDeliveriesOfOnePurchaseAllCount(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	const units = 12
	p := srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Kari Nordmann"},
		Lines: []skranke.Line{{ProductID: "dropin-sal", Quantity: units}}})
	srv.Notify(p.Code, skranke.Authorized)
	path := "/purchases/" + p.Code + "/deliveries"
	var wg gosync.WaitGroup
	answers := make([]answer, units)
	for i := range answers {
		wg.Go(func() {
			answers[i], _ = tryPost(c, path, newKey(), shop.DeliveryRequest{ID: newKey(), Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
		})
	}
	wg.Wait()
	for i, a := range answers {
		if a.status != http.StatusCreated {
			t.Errorf("delivery %d: %d %s", i, a.status, a.body)
		}
	}
	got := srv.Purchase(p.Code)
	if got.Lines[0].Delivered != units || len(got.Deliveries) != units {
		t.Errorf("after %d deliveries of 1 the line has %d delivered in %d deliveries", units, got.Lines[0].Delivered, len(got.Deliveries))
	}
	wantStatus(t, c.post(path, newKey(), shop.DeliveryRequest{ID: newKey(), Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}}), http.StatusConflict)
}
