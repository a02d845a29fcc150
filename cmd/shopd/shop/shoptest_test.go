package shop_test

import (
	"net/http"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

func TestShoptestStopRestartKeepsAddressAndData(t *testing.T) {
	eachStore(t, testShoptestStopRestartKeepsAddressAndData)
}

func testShoptestStopRestartKeepsAddressAndData(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	code := srv.Code("paid-course")
	wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "restart-1"}), http.StatusCreated)
	url := srv.URL

	srv.Stop()
	if _, err := http.Get(url + shop.APIPrefix + "/health"); err == nil {
		t.Fatal("health answered while the server was stopped")
	}
	srv.Restart()
	if srv.URL != url {
		t.Fatalf("URL changed from %s to %s", url, srv.URL)
	}
	var p skranke.Purchase
	a := c.get("/purchases/" + code)
	wantStatus(t, a, http.StatusOK)
	a.decode(t, &p)
	if !p.FullyDelivered() || len(p.Deliveries) != 1 || p.Deliveries[0].ID != "restart-1" {
		t.Fatalf("after restart the purchase is %+v, want delivered once by restart-1", p)
	}
}

func TestShoptestDropResponsesAfterCommit(t *testing.T) {
	eachStore(t, testShoptestDropResponsesAfterCommit)
}

func testShoptestDropResponsesAfterCommit(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	code := srv.Code("paid-physical")
	key := newKey()
	body := shop.DeliveryRequest{ID: "dropped-1", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}, SignatureID: "sig-drop"}

	srv.DropResponses(1, "/deliveries")
	c.uploadSignature("sig-drop")
	// A fresh connection: on a reused one net/http itself resends requests
	// that carry an Idempotency-Key, and the loss would go unseen here.
	fresh := *c
	fresh.http = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if a, err := tryPost(&fresh, "/purchases/"+code+"/deliveries", key, body); err == nil {
		t.Fatalf("the dropped request was answered: %d %s", a.status, a.body)
	}
	// The server committed the delivery although the desk heard nothing.
	if got := srv.Purchase(code).Lines[1].Delivered; got != 1 {
		t.Fatalf("after the lost answer line 2 has %d delivered, want 1", got)
	}
	// The desk resends with the same key and learns the outcome; nothing is
	// handed over twice.
	a := c.post("/purchases/"+code+"/deliveries", key, body)
	wantStatus(t, a, http.StatusCreated)
	if a.header.Get("Idempotent-Replayed") != "true" {
		t.Error("the resend was not marked as a replay")
	}
	p := srv.Purchase(code)
	if p.Lines[1].Delivered != 1 || len(p.Deliveries) != 1 {
		t.Fatalf("after the resend: line 2 delivered %d, %d deliveries; want 1 and 1", p.Lines[1].Delivered, len(p.Deliveries))
	}
}
