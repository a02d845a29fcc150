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
