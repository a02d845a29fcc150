package sync_test

import (
	"context"
	"net/http"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// feedHold holds back the pages of the changes feed after the first once
// armed, until released: a pull then stays open, its first page written
// and not committed.
type feedHold struct {
	mu       stdsync.Mutex
	armed    bool
	passed   int
	release  chan struct{}
	released bool
}

func newFeedHold() *feedHold { return &feedHold{release: make(chan struct{})} }

func (h *feedHold) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/changes") {
			h.mu.Lock()
			hold := h.armed && h.passed > 0
			if h.armed {
				h.passed++
			}
			h.mu.Unlock()
			if hold {
				<-h.release
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *feedHold) arm() {
	h.mu.Lock()
	h.armed = true
	h.mu.Unlock()
}

func (h *feedHold) let() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.released {
		h.released = true
		close(h.release)
	}
}

// A purchase paid while its copy on the desk still says pending, scanned
// while the desk pulls a long catch-up: the shop's answer (paid) is on
// screen, and handing it over must go by that answer. The desk checked the
// delivery against its own copy, which the shop's answer had not yet
// replaced (it waited in the feed's open transaction), and refused the
// paid purchase as not paid, showing staff the stale copy.
func TestDeliveryGoesByTheShopsAnswerNotAStaleCopy(t *testing.T) {
	ctx := context.Background()
	hold := newFeedHold()
	srv := shoptest.Start(t, shoptest.WithMiddleware(hold.middleware))
	t.Cleanup(hold.let)
	d := MustOpenShop(t, srv)
	code := srv.Code("pending")
	require.NoError(t, d.Sync(ctx))
	l, err := d.Cached(ctx, code)
	require.NoError(t, err)
	require.Equal(t, skranke.Pending, l.Purchase.Status)

	// Changes for a pull of several pages, and then the payment.
	_, err = srv.DB.SeedBulk(ctx, shop.DemoCentreID, 2*desksync.PageSize+10)
	require.NoError(t, err)
	srv.Notify(code, skranke.Captured)
	hold.arm()
	synced := make(chan error, 1)
	go func() { synced <- d.Sync(ctx) }()
	eventually(t, 30*time.Second, "the pull writes its first page", d.CopiesOpenForTest)

	l, err = d.Lookup(ctx, code)
	require.NoError(t, err)
	require.False(t, l.FromCache)
	require.Equal(t, skranke.Captured, l.Purchase.Status, "the shop's answer to the scan")

	_, p, err := d.Deliver(ctx, desksync.DeliverRequest{Code: code, Staff: kari})
	require.NoError(t, err, "the paid purchase was refused on the desk's stale copy")
	require.Equal(t, skranke.Captured, p.Status)
	require.False(t, p.Remaining())
	hold.let()
	require.NoError(t, <-synced)
	require.Len(t, srv.Deliveries(code), 1, "the shop does not have the delivery")
}
