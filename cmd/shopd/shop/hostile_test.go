package shop_test

// Hostile and malformed input (review rev-sec): each test shows a defect
// found by sending what an attacker or a broken client would.

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// A credit by lines naming a line with quantity 0 is accepted (the
// contract's CreditLine.quantity has minimum 1), and the zero line is
// dropped from the stored credit, so that the same request sent again
// under a new Idempotency-Key (a desk that lost its outbox record) is
// refused as "a different credit" instead of being recognised by its id.
func TestHostileCreditLineOfZeroUnits(t *testing.T) {
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

// POST /giftcards with a purchase_code that names no purchase answers 404,
// which the contract does not list for the endpoint (400, 401, 422): the
// web shop sent a bad field, a 400.
func TestHostileGiftCardForUnknownPurchaseIsABadRequest(t *testing.T) {
	srv := shoptest.Start(t)
	req, _ := http.NewRequest("POST", srv.URL+shop.APIPrefix+"/giftcards", bytes.NewReader([]byte(`{"amount":100,"purchase_code":"nonsense"}`)))
	req.Header.Set("Authorization", "Bearer "+srv.ShopToken)
	req.Header.Set("Idempotency-Key", newKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("gift card for an unknown purchase: %d %s; want 400 (the contract lists 400, 401, 422)", resp.StatusCode, b)
	}
}
