package shop_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// reversalPath is where a delivery is undone.
func reversalPath(deliveryID string) string { return "/deliveries/" + deliveryID + "/reversal" }

func TestReversal(t *testing.T) { eachStore(t, testReversal) }

func testReversal(t *testing.T, s store) {
	t.Parallel()
	clk := newClock(time.Now().UTC().Truncate(time.Millisecond))
	srv := s.start(t, clk.option())
	c := newClient(t, srv)
	code := srv.Code("paid-course")
	wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "rev-d1"}), http.StatusCreated)
	seq := srv.Purchase(code).Seq
	clk.add(10 * time.Second)

	key := newKey()
	body := shop.ReversalRequest{ID: "rev-r1"}
	first := c.post(reversalPath("rev-d1"), key, body)
	wantStatus(t, first, http.StatusCreated)
	var res shop.ReversalResult
	first.decode(t, &res)
	if res.Reversal.DeliveryID != "rev-d1" || res.Reversal.StaffID != shop.DemoStaffID || !res.Reversal.At.Equal(clk.now()) {
		t.Errorf("reversal %+v: want of rev-d1 by %s at %s", res.Reversal, shop.DemoStaffID, clk.now())
	}
	p := srv.Purchase(code)
	if p.RemainingUnits() != 1 || !p.Reversed("rev-d1") || p.Seq <= seq {
		t.Errorf("after the reversal: %d units remain, reversed %v, seq %d (was %d); want 1, true, a later seq", p.RemainingUnits(), p.Reversed("rev-d1"), p.Seq, seq)
	}

	t.Run("other desks see it in the changes feed", func(t *testing.T) {
		other := newClient(t, srv)
		other.token = shop.DemoDesk2Token
		var found *skranke.Purchase
		for _, pg := range pull(t, other, seq, 100) {
			for i := range pg.Purchases {
				if pg.Purchases[i].Code == code {
					found = &pg.Purchases[i]
				}
			}
		}
		if found == nil || !found.Reversed("rev-d1") || found.RemainingUnits() != 1 {
			t.Fatalf("the feed after seq %d has %+v; want %s with rev-d1 reversed", seq, found, code)
		}
	})
	t.Run("the centre's activity lists it", func(t *testing.T) {
		var a shop.Activity
		c.get("/deliveries?to="+clk.now().Add(time.Minute).Format(time.RFC3339)).decode(t, &a)
		if len(a.Reversals) != 1 || a.Reversals[0].ID != "rev-r1" {
			t.Errorf("activity reversals %+v, want rev-r1", a.Reversals)
		}
	})
	t.Run("a resend does nothing more", func(t *testing.T) {
		again := c.post(reversalPath("rev-d1"), key, body)
		wantStatus(t, again, http.StatusCreated)
		if !bytes.Equal(again.body, first.body) {
			t.Errorf("replay differs:\n%s\n%s", first.body, again.body)
		}
		// Same reversal under a new key (the desk lost the key).
		wantStatus(t, c.post(reversalPath("rev-d1"), newKey(), body), http.StatusCreated)
		if p := srv.Purchase(code); len(p.Reversals) != 1 || p.RemainingUnits() != 1 {
			t.Errorf("after resends: %d reversals, %d remain; want 1, 1", len(p.Reversals), p.RemainingUnits())
		}
	})
	t.Run("a second reversal of the delivery is a conflict", func(t *testing.T) {
		a := c.post(reversalPath("rev-d1"), newKey(), shop.ReversalRequest{ID: "rev-r2"})
		wantStatus(t, a, http.StatusConflict)
		if code := a.errorCode(t); code != "conflict" {
			t.Errorf("error code %q, want conflict", code)
		}
	})
	t.Run("an unknown delivery is not found", func(t *testing.T) {
		wantStatus(t, c.post(reversalPath("no-such"), newKey(), shop.ReversalRequest{ID: "rev-r3"}), http.StatusNotFound)
	})
	t.Run("another centre's desk cannot see the delivery", func(t *testing.T) {
		wantStatus(t, c.post("/purchases/"+srv.Code("paid-physical")+"/deliveries", newKey(),
			shop.DeliveryRequest{ID: "rev-d2", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}, SignatureID: sigID(c, "rev-s2")}), http.StatusCreated)
		other := newClient(t, srv)
		other.token, other.staff = shop.DemoOtherDeskToken, shop.DemoOtherManagerID
		wantStatus(t, other.post(reversalPath("rev-d2"), newKey(), shop.ReversalRequest{ID: "rev-r4"}), http.StatusNotFound)
		if srv.Purchase(srv.Code("paid-physical")).Reversed("rev-d2") {
			t.Error("another centre reversed the delivery")
		}
	})
	t.Run("a delivery of gift cards is not undone", func(t *testing.T) {
		gc := srv.Code("giftcard-purchase")
		wantStatus(t, c.post("/purchases/"+gc+"/deliveries", newKey(), shop.DeliveryRequest{ID: "rev-d3"}), http.StatusCreated)
		a := c.post(reversalPath("rev-d3"), newKey(), shop.ReversalRequest{ID: "rev-r5"})
		wantStatus(t, a, http.StatusConflict)
		if p := srv.Purchase(gc); p.Reversed("rev-d3") || p.RemainingUnits() != 0 {
			t.Errorf("gift card purchase after a refused reversal: reversed %v, %d remain", p.Reversed("rev-d3"), p.RemainingUnits())
		}
	})
	t.Run("too late", func(t *testing.T) {
		wantStatus(t, c.post("/purchases/"+srv.Code("promo")+"/deliveries", newKey(), shop.DeliveryRequest{ID: "rev-d4"}), http.StatusCreated)
		clk.add(skranke.ReversalLimit + time.Second)
		a := c.post(reversalPath("rev-d4"), newKey(), shop.ReversalRequest{ID: "rev-r6"})
		wantStatus(t, a, http.StatusConflict)
		if srv.Purchase(srv.Code("promo")).Reversed("rev-d4") {
			t.Error("a reversal past the limit was recorded")
		}
	})
	t.Run("an offline desk's reversal counts from the delivery's time", func(t *testing.T) {
		// Handed over and undone an hour ago while the shop was away,
		// both replayed now.
		at := clk.now().Add(-time.Hour)
		mb := srv.Code("many-lines")
		wantStatus(t, c.post("/purchases/"+mb+"/deliveries", newKey(), shop.DeliveryRequest{ID: "rev-d5", At: at,
			Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}, RecordedOffline: true, StatedBy: shop.DemoStaff2ID}), http.StatusCreated)
		a := c.post(reversalPath("rev-d5"), newKey(), shop.ReversalRequest{ID: "rev-r7", At: at.Add(20 * time.Second),
			RecordedOffline: true, StatedBy: shop.DemoStaff2ID})
		wantStatus(t, a, http.StatusCreated)
		var res shop.ReversalResult
		a.decode(t, &res)
		if !res.Reversal.StatedByDesk || res.Reversal.StaffID != shop.DemoStaff2ID || !res.Reversal.At.Equal(at.Add(20*time.Second)) {
			t.Errorf("offline reversal %+v: want stated by the desk for %s at %s", res.Reversal, shop.DemoStaff2ID, at.Add(20*time.Second))
		}
	})
}

// sigID uploads a signature under id and returns id.
func sigID(c *client, id string) string { c.uploadSignature(id); return id }
