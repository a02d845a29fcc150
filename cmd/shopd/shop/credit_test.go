package shop_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

func TestCreditsAreForManagers(t *testing.T) { eachStore(t, testCreditsAreForManagers) }

func testCreditsAreForManagers(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	code := srv.Code("paid-physical") // 149 + 2 × 249 = 647 kr.
	path := "/purchases/" + code + "/credits"

	for _, who := range []string{shop.DemoStaffID, shop.DemoAccountantID} {
		c.staff = who
		a := c.post(path, newKey(), shop.CreditRequest{ID: "c-" + who, Amount: 100, Reason: "test"})
		wantStatus(t, a, http.StatusForbidden)
		if ec := a.errorCode(t); ec != "forbidden" {
			t.Errorf("%s: code %q, want forbidden", who, ec)
		}
	}
	c.staff = shop.DemoManagerID
	a := c.post(path, newKey(), shop.CreditRequest{ID: "c1", Amount: 14900, Reason: "Shaker knust"})
	wantStatus(t, a, http.StatusCreated)
	var res shop.CreditResult
	a.decode(t, &res)
	if res.Purchase.Status != skranke.Captured || res.Purchase.CreditedAmount() != 14900 || res.Credit.StaffName != "Ingrid Solbakken" {
		t.Fatalf("after a partial credit: %+v", res)
	}
	a = c.post(path, newKey(), shop.CreditRequest{ID: "c2", Amount: 49801, Reason: "Mer enn resten"})
	wantStatus(t, a, http.StatusConflict)
	var st struct{ Purchase skranke.Purchase }
	a.decode(t, &st)
	if st.Purchase.CreditedAmount() != 14900 {
		t.Errorf("refusal carries %+v", st.Purchase)
	}
	wantStatus(t, c.post(path, newKey(), shop.CreditRequest{ID: "c3", Amount: 100}), http.StatusBadRequest)
	wantStatus(t, c.post(path, newKey(), shop.CreditRequest{ID: "c4", Amount: -5, Reason: "x"}), http.StatusBadRequest)
	a = c.post(path, newKey(), shop.CreditRequest{ID: "c5", Amount: 49800, Reason: "Resten"})
	wantStatus(t, a, http.StatusCreated)
	a.decode(t, &res)
	if res.Purchase.Status != skranke.Credited {
		t.Fatalf("crediting the rest left status %s, want credited", res.Purchase.Status)
	}
	wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "after-credit"}), http.StatusUnprocessableEntity)
	wantStatus(t, c.post("/purchases/"+srv.Code("pending")+"/credits", newKey(), shop.CreditRequest{ID: "c6", Amount: 100, Reason: "x"}), http.StatusConflict)

	var act shop.Activity
	c.get("/deliveries").decode(t, &act)
	found := 0
	for _, cr := range act.Credits {
		if cr.PurchaseCode == code {
			found++
		}
	}
	if found != 2 {
		t.Errorf("the day's activity lists %d credits of %s, want 2", found, code)
	}
}

// notify posts a payment notification signed with secret.
func notify(t *testing.T, srv *shoptest.Server, secret string, n shop.Notification) answer {
	t.Helper()
	body, _ := json.Marshal(n)
	c := newClient(t, srv)
	c.token, c.staff = "", ""
	h := map[string]string{}
	if secret != "" {
		h["X-Signature"] = shop.SignNotification(secret, time.Now(), body)
	}
	return c.do("POST", "/payments/notify", body, h)
}

func TestPaymentNotifications(t *testing.T) { eachStore(t, testPaymentNotifications) }

func testPaymentNotifications(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	code := srv.Code("pending")
	ev := shop.Notification{EventID: "ev-1", Reference: code, Status: skranke.Authorized, Acquirer: "nets"}

	t.Run("unsigned or badly signed is refused", func(t *testing.T) {
		for name, secret := range map[string]string{"no signature": "", "wrong secret": "guess"} {
			a := notify(t, srv, secret, ev)
			wantStatus(t, a, http.StatusUnauthorized)
			if ec := a.errorCode(t); ec != "unauthorized" {
				t.Errorf("%s: code %q", name, ec)
			}
		}
		body, _ := json.Marshal(ev)
		c := newClient(t, srv)
		tampered := bytes.Replace(body, []byte("authorized"), []byte("captured"), 1)
		a := c.do("POST", "/payments/notify", tampered, map[string]string{"X-Signature": shop.SignNotification(srv.NotifySecret, time.Now(), body)})
		wantStatus(t, a, http.StatusUnauthorized)
		if s := srv.Purchase(code).Status; s != skranke.Pending {
			t.Fatalf("status %s after refused notifications, want pending", s)
		}
	})
	t.Run("a signed notification moves the status", func(t *testing.T) {
		a := notify(t, srv, srv.NotifySecret, ev)
		wantStatus(t, a, http.StatusOK)
		var p skranke.Purchase
		a.decode(t, &p)
		if p.Status != skranke.Authorized || srv.Purchase(code).Status != skranke.Authorized {
			t.Fatalf("status %s, want authorized", p.Status)
		}
	})
	t.Run("a replayed event is a no-op", func(t *testing.T) {
		seq := srv.Purchase(code).Seq
		replay := ev
		replay.Status = skranke.Cancelled // Same event id, whatever it says now.
		wantStatus(t, notify(t, srv, srv.NotifySecret, replay), http.StatusOK)
		if p := srv.Purchase(code); p.Status != skranke.Authorized || p.Seq != seq {
			t.Fatalf("after a replay: status %s seq %d, want authorized and %d", p.Status, p.Seq, seq)
		}
	})
	t.Run("capture, a late authorization, and an impossible move", func(t *testing.T) {
		wantStatus(t, notify(t, srv, srv.NotifySecret, shop.Notification{EventID: "ev-2", Reference: code, Status: skranke.Captured}), http.StatusOK)
		wantStatus(t, notify(t, srv, srv.NotifySecret, shop.Notification{EventID: "ev-3", Reference: code, Status: skranke.Authorized}), http.StatusOK)
		a := notify(t, srv, srv.NotifySecret, shop.Notification{EventID: "ev-4", Reference: code, Status: skranke.Pending})
		wantStatus(t, a, http.StatusConflict)
		if s := srv.Purchase(code).Status; s != skranke.Captured {
			t.Fatalf("status %s, want captured", s)
		}
		wantStatus(t, notify(t, srv, srv.NotifySecret, shop.Notification{EventID: "ev-5", Reference: validRef("ZZZZZZZ"), Status: skranke.Captured}), http.StatusNotFound)
		wantStatus(t, notify(t, srv, srv.NotifySecret, shop.Notification{EventID: "ev-6", Reference: code, Status: "paid"}), http.StatusBadRequest)
	})
}

func TestCreatePurchaseFromWebShop(t *testing.T) { eachStore(t, testCreatePurchaseFromWebShop) }

func testCreatePurchaseFromWebShop(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	p := srv.CreatePurchase(skranke.Purchase{
		Buyer:     skranke.Buyer{Name: "Åsmund Bjørkløf", Email: "asmund@example.no"},
		PromoCode: "VÅR10",
		Lines: []skranke.Line{
			{ProductID: "tskjorte-xl", Quantity: 2, Discount: 4980},
			{ProductID: "massasje-30", Quantity: 1},
		},
	})
	if len(p.Code) != 8 || p.Status != skranke.Pending || p.Lines[0].Name != "T-skjorte Aktiv, XL" || p.Lines[1].ID != "2" || p.Total() != 2*24900-4980+55000 {
		t.Fatalf("created %+v", p)
	}
	c := newClient(t, srv)
	var got skranke.Purchase
	c.get("/purchases/"+p.Code).decode(t, &got)
	if got.Buyer.Name != "Åsmund Bjørkløf" || got.PromoCode != "VÅR10" {
		t.Errorf("read back %+v", got)
	}
	c.token, c.staff = srv.ShopToken, ""
	wantStatus(t, c.post("/purchases", newKey(), skranke.Purchase{Buyer: skranke.Buyer{Name: "X"}}), http.StatusBadRequest)
	wantStatus(t, c.post("/purchases", newKey(), skranke.Purchase{Buyer: skranke.Buyer{Name: "X"},
		Lines: []skranke.Line{{ProductID: "nope", Quantity: 1}}}), http.StatusBadRequest)
	wantStatus(t, c.post("/purchases", newKey(), skranke.Purchase{Buyer: skranke.Buyer{Name: "X"},
		Lines: []skranke.Line{{Name: "Noe", Kind: skranke.Service, Quantity: 1, UnitPrice: 100, VATRate: 7}}}), http.StatusBadRequest)
}

func TestSignatures(t *testing.T) { eachStore(t, testSignatures) }

func testSignatures(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	png := signaturePNG(t, 1)
	a := c.do("PUT", "/signatures/sig-1", png, map[string]string{"Content-Type": "image/png"})
	wantStatus(t, a, http.StatusCreated)
	wantStatus(t, c.do("PUT", "/signatures/sig-1", png, nil), http.StatusCreated)
	wantStatus(t, c.do("PUT", "/signatures/sig-1", append(png, 'x'), nil), http.StatusUnprocessableEntity)
	wantStatus(t, c.do("PUT", "/signatures/sig-2", []byte("GIF89a"), nil), http.StatusBadRequest)
	wantStatus(t, c.do("PUT", "/signatures/sig-3", append(png, make([]byte, shop.MaxSignature)...), nil), http.StatusRequestEntityTooLarge)
	// Only managers see signatures.
	a = c.get("/signatures/sig-1")
	wantStatus(t, a, http.StatusForbidden)
	c.staff = shop.DemoManagerID
	got := c.get("/signatures/sig-1")
	wantStatus(t, got, http.StatusOK)
	if !bytes.Equal(got.body, png) || got.header.Get("Content-Type") != "image/png" {
		t.Errorf("GET gave %q (%s)", got.body, got.header.Get("Content-Type"))
	}
	other := newClient(t, srv)
	other.token, other.staff = shop.DemoOtherDeskToken, shop.DemoOtherManagerID
	wantStatus(t, other.get("/signatures/sig-1"), http.StatusNotFound)

	// The demo's signed deliveries have their PNGs.
	p := srv.Purchase(srv.Code("delivered-physical"))
	if id := p.Deliveries[0].SignatureID; id == "" {
		t.Fatal("the demo's physical delivery has no signature")
	} else if a := c.get("/signatures/" + id); a.status != 200 || !bytes.HasPrefix(a.body, png[:8]) {
		t.Errorf("demo signature %s: %d", id, a.status)
	}
}

// Staff who are not managers credit with a manager's approval: the
// manager's own staff session at this desk, opened with their PIN. The shop
// records both, and refuses an approval that is not a manager's.
func TestCreditApprovedByManager(t *testing.T) { eachStore(t, testCreditApprovedByManager) }

func testCreditApprovedByManager(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	code := srv.Code("paid-course")
	path := "/purchases/" + code + "/credits"
	approve := func(who string) string {
		c := newClient(t, srv)
		c.staff = who
		return c.session()
	}
	c := newClient(t, srv)
	c.staff = shop.DemoStaffID
	post := func(id, approver string) answer {
		b, _ := json.Marshal(shop.CreditRequest{ID: id, Amount: 10000, Reason: "Kurset ble flyttet"})
		return c.do("POST", path, b, map[string]string{"Idempotency-Key": newKey(), shop.ApproverHeader: approver})
	}
	for _, tc := range []struct{ name, approver string }{
		{"no approval", ""},
		{"an unknown session", "not-a-session"},
		{"a colleague who is no manager", approve(shop.DemoStaff2ID)},
	} {
		a := post("c-"+strings.ReplaceAll(tc.name, " ", "-"), tc.approver)
		wantStatus(t, a, http.StatusForbidden)
		if ec := a.errorCode(t); ec != "forbidden" {
			t.Errorf("%s: code %q, want forbidden (not unauthorized, which would end the staff's own session)", tc.name, ec)
		}
	}
	a := post("c1", approve(shop.DemoManagerID))
	wantStatus(t, a, http.StatusCreated)
	var res shop.CreditResult
	a.decode(t, &res)
	if res.Credit.StaffID != shop.DemoStaffID || res.Credit.ApprovedBy != shop.DemoManagerID || res.Credit.ApproverName != "Ingrid Solbakken" {
		t.Errorf("credit recorded as %+v, want by %s approved by %s", res.Credit, shop.DemoStaffID, shop.DemoManagerID)
	}
	var p skranke.Purchase
	c.get("/purchases/"+code).decode(t, &p)
	if len(p.Credits) != 1 || p.Credits[0].ApprovedBy != shop.DemoManagerID {
		t.Errorf("the purchase keeps %+v", p.Credits)
	}
	// A manager approves their own credits.
	c.staff = shop.DemoManagerID
	a = c.post(path, newKey(), shop.CreditRequest{ID: "c2", Amount: 100, Reason: "x"})
	wantStatus(t, a, http.StatusCreated)
	a.decode(t, &res)
	if res.Credit.ApprovedBy != shop.DemoManagerID {
		t.Errorf("a manager's own credit: approved by %q", res.Credit.ApprovedBy)
	}
}

// Credits by line: the shop prices them, and never gives back more of a
// line than was paid for less what was credited on it before.
func TestCreditByLine(t *testing.T) { eachStore(t, testCreditByLine) }

func testCreditByLine(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	c.staff = shop.DemoManagerID
	code := srv.Code("paid-physical") // Line 1: shaker 149; line 2: 2 × T-shirt 249.
	path := "/purchases/" + code + "/credits"
	shirt := func(n int) []skranke.CreditLine { return []skranke.CreditLine{{LineID: "2", Quantity: n, Amount: 1}} }

	a := c.post(path, newKey(), shop.CreditRequest{ID: "l1", Lines: shirt(1), Reason: "Trykkfeil"})
	wantStatus(t, a, http.StatusCreated)
	var res shop.CreditResult
	a.decode(t, &res)
	if res.Credit.Amount != 24900 || len(res.Credit.Lines) != 1 || res.Credit.Lines[0].Amount != 24900 {
		t.Fatalf("one T-shirt credited as %+v, want kr 249,00 priced by the shop", res.Credit)
	}
	if l := res.Purchase.Lines[1]; l.Credited != 1 || l.Remaining() != 1 {
		t.Errorf("T-shirt line after the credit: %+v", l)
	}
	// A resend is the same credit; other lines under its ID are refused.
	wantStatus(t, c.post(path, newKey(), shop.CreditRequest{ID: "l1", Lines: shirt(1), Reason: "Trykkfeil"}), http.StatusCreated)
	wantStatus(t, c.post(path, newKey(), shop.CreditRequest{ID: "l1", Lines: shirt(2), Reason: "Trykkfeil"}), http.StatusUnprocessableEntity)

	for _, tc := range []struct {
		name string
		in   shop.CreditRequest
		want int
	}{
		{"more than is left of the line", shop.CreditRequest{ID: "l2", Lines: shirt(2), Reason: "x"}, http.StatusConflict},
		{"an amount and lines", shop.CreditRequest{ID: "l3", Amount: 100, Lines: shirt(1), Reason: "x"}, http.StatusBadRequest},
		{"a line twice", shop.CreditRequest{ID: "l4", Lines: append(shirt(1), shirt(1)...), Reason: "x"}, http.StatusBadRequest},
		{"an unknown line", shop.CreditRequest{ID: "l5", Lines: []skranke.CreditLine{{LineID: "9", Quantity: 1}}, Reason: "x"}, http.StatusBadRequest},
		{"no units", shop.CreditRequest{ID: "l6", Lines: shirt(0), Reason: "x"}, http.StatusBadRequest},
	} {
		if a := c.post(path, newKey(), tc.in); a.status != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, a.status, tc.want, a.body)
		}
	}
	// The credited T-shirt is not handed over.
	c.staff = shop.DemoStaffID
	wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(),
		shop.DeliveryRequest{ID: "d1", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 2}}}), http.StatusConflict)
	c.uploadSignature("sig-credit-by-line")
	a = c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "d2", SignatureID: "sig-credit-by-line"})
	wantStatus(t, a, http.StatusCreated)
	var dres shop.DeliveryResult
	a.decode(t, &dres)
	if l := dres.Purchase.Lines[1]; l.Delivered != 1 {
		t.Errorf("everything that remains handed over %d T-shirts, want 1", l.Delivered)
	}
	// An amount after a line credit: never more than what is left in all.
	c.staff = shop.DemoManagerID
	wantStatus(t, c.post(path, newKey(), shop.CreditRequest{ID: "a1", Amount: 39801, Reason: "x"}), http.StatusConflict)
	a = c.post(path, newKey(), shop.CreditRequest{ID: "a2", Amount: 39800, Reason: "Resten"})
	wantStatus(t, a, http.StatusCreated)
	a.decode(t, &res)
	if res.Purchase.Status != skranke.Credited {
		t.Errorf("credited in full by line and amount: status %s", res.Purchase.Status)
	}
	wantStatus(t, c.post(path, newKey(), shop.CreditRequest{ID: "l7", Lines: []skranke.CreditLine{{LineID: "1", Quantity: 1}}, Reason: "x"}), http.StatusConflict)
}

// A credit by lines naming a line with quantity 0 was accepted (the
// contract's CreditLine.quantity has minimum 1), and the zero line
// dropped from the stored credit, so that the same request sent again
// under a new Idempotency-Key (a desk that lost its outbox record) was
// refused as "a different credit" instead of being recognised by its id.
func TestCreditLineOfZeroUnitsIsRefused(t *testing.T) {
	srv := shoptest.Start(t)
	c := newClient(t, srv)
	c.staff = shop.DemoManagerID
	code := srv.Code("many-lines")
	body := []byte(`{"id":"zero-line","lines":[{"line_id":"2","quantity":0},{"line_id":"1","quantity":1}],"reason":"x"}`)
	first := c.do("POST", "/purchases/"+code+"/credits", body, map[string]string{"Idempotency-Key": newKey()})
	resend := c.do("POST", "/purchases/"+code+"/credits", body, map[string]string{"Idempotency-Key": newKey()})
	switch {
	case first.status == http.StatusBadRequest:
		// Refused as the contract says: fine.
	case first.status != http.StatusCreated:
		t.Fatalf("first credit: %d %s", first.status, first.body)
	case resend.status != http.StatusCreated:
		t.Errorf("credit with a zero-unit line accepted (contract: quantity minimum 1), and its resend by credit id is refused: %d %s",
			resend.status, resend.body)
	}
}
