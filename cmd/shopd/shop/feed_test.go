package shop_test

import (
	"net/http"
	"testing"

	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// TestChangesFeedAcrossShopd polls one shopd right after another one on the
// same database committed a change: the change is in the very next answer,
// both for a desk that was up to date (which a shopd answers without
// reading the feed) and for a desk whose page the polled shopd had kept.
func TestChangesFeedAcrossShopd(t *testing.T) { eachStore(t, testChangesFeedAcrossShopd) }

func testChangesFeedAcrossShopd(t *testing.T, s store) {
	t.Parallel()
	one := s.start(t)
	two := shoptest.Start(t, shoptest.WithDBPath(one.DBPath))
	writer, reader := newClient(t, one), newClient(t, two)
	all := pull(t, reader, 0, 1000)
	head := all[len(all)-1].Next
	older := head - 3
	var kept page
	for range 2 { // The second time from what the shopd kept.
		if p := pull(t, reader, head, 100); len(p) != 1 || len(p[0].Purchases)+len(p[0].Cards) != 0 || p[0].Next != head || p[0].More {
			t.Fatalf("a desk at the head gets %+v, want nothing new and next %d", p, head)
		}
		p := pull(t, reader, older, 100)
		if len(p) != 1 || len(p[0].Purchases)+len(p[0].Cards) != 3 || p[0].Next != head {
			t.Fatalf("a desk 3 behind gets %+v, want 3 items up to %d", p, head)
		}
		kept = p[0]
	}
	code := one.Code("paid-course")
	for _, x := range kept.Purchases {
		if x.Code == code {
			t.Fatalf("%s is among the last 3 changes already; the test needs another purchase", code)
		}
	}
	wantStatus(t, writer.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()}), http.StatusCreated)
	for _, since := range []int64{head, older} {
		p := pull(t, reader, since, 100)
		last := p[len(p)-1]
		found := false
		for _, x := range last.Purchases {
			found = found || (x.Code == code && x.FullyDelivered() && x.Seq > head)
		}
		if len(p) != 1 || !found || last.Next <= head {
			t.Errorf("from %d, right after the other shopd's delivery: %+v; want the delivered purchase %s after %d", since, p, code, head)
		}
	}
}
