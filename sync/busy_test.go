package sync_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	stdsync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// busyShop answers every request with status and, when set, Retry-After,
// and records when each request came.
type busyShop struct {
	*httptest.Server
	mu         stdsync.Mutex
	status     int
	retryAfter string
	at         []time.Time
	got        chan struct{}
}

func startBusyShop(t *testing.T, status int, retryAfter string) *busyShop {
	t.Helper()
	b := &busyShop{status: status, retryAfter: retryAfter, got: make(chan struct{}, 1000)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.at = append(b.at, time.Now())
		status, ra := b.status, b.retryAfter
		b.mu.Unlock()
		b.got <- struct{}{}
		if ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		// A rate limit in front of the shop answers in its own words.
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		w.Write([]byte("slow down\n"))
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *busyShop) requests() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Time(nil), b.at...)
}

// waitRequests waits until the shop has seen n requests.
func (b *busyShop) waitRequests(t *testing.T, n int, within time.Duration) []time.Time {
	t.Helper()
	deadline := time.After(within)
	for {
		if at := b.requests(); len(at) >= n {
			return at
		}
		select {
		case <-b.got:
		case <-deadline:
			t.Fatalf("the shop saw %d requests, want %d", len(b.requests()), n)
		}
	}
}

// The client waits as long as Retry-After says between retries, no less;
// a longer wait is not the caller's: it gets the answer at once, and only
// requests safe to repeat are repeated.
func TestClientHonoursRetryAfter(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		call       func(cl *desksync.Client) error
		requests   int
		gap        time.Duration // Least time between requests.
	}{
		{"long wait: the caller hears at once", http.StatusTooManyRequests, "30",
			func(cl *desksync.Client) error { return cl.Health(ctx) }, 1, 0},
		{"short wait, GET: retried after it", http.StatusServiceUnavailable, "1",
			func(cl *desksync.Client) error { return cl.Health(ctx) }, 3, time.Second},
		{"short wait, POST with a key: retried after it", http.StatusTooManyRequests, "1",
			func(cl *desksync.Client) error {
				_, err := cl.Deliver(ctx, "ABCD2345", "", desksync.DeliveryBody{ID: newID(), At: time.Now()})
				return err
			}, 3, time.Second},
		{"short wait, POST without a key: not repeated", http.StatusTooManyRequests, "1",
			func(cl *desksync.Client) error { _, err := cl.OpenSession(ctx, "kari", "1234"); return err }, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBusyShop(t, tc.status, tc.retryAfter)
			cl := desksync.NewClient(b.URL, "tok", desksync.ClientOptions{Timeout: 5 * time.Second})
			err := tc.call(cl)
			require.True(t, skranke.KindOf(err) == skranke.Unavailable, "kind %v: %v", skranke.KindOf(err), err)
			require.True(t, desksync.ShopBusy(err), "%v", err)
			var se *desksync.StatusError
			require.True(t, errors.As(err, &se))
			require.NotZero(t, se.RetryAfter)
			at := b.requests()
			require.Len(t, at, tc.requests)
			for i := 1; i < len(at); i++ {
				require.GreaterOrEqual(t, at[i].Sub(at[i-1]), tc.gap, "retry %d came too soon", i)
			}
		})
	}
}

// A shop that answers 429 with Retry-After is left alone that long: the
// loop waits it out, "sync now" does not override it, the desk shows the
// shop as busy rather than online, and a scan answers from the cache at
// once, with one request and no retries.
func TestDeskWaitsOutRetryAfter(t *testing.T) {
	ctx := context.Background()
	const wait = 5 * time.Second
	b := startBusyShop(t, http.StatusTooManyRequests, "5")
	d := MustOpen(t, b.URL, "tok")
	p := testPurchase("BUSY2345", 1)
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{p}, nil, nil))
	changes, stop := d.Subscribe()
	defer stop()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	first := b.waitRequests(t, 1, 10*time.Second)[0]
	var st desksync.Status
	for st = d.Status(); st.BusyUntil.IsZero(); st = d.Status() {
		select {
		case <-changes:
		case <-time.After(10 * time.Second):
			t.Fatal("the desk never said the shop is busy")
		}
	}
	require.False(t, st.Online, "a shop that asks the desk to wait is not shown online")
	require.False(t, st.BusyUntil.Before(first.Add(wait)), "busy until %v, asked at %v to wait %v", st.BusyUntil, first, wait)

	// "Sync now" while the shop asked to wait: nothing is sent.
	n := len(b.requests())
	err := d.Sync(ctx)
	require.True(t, desksync.ShopBusy(err), "%v", err)
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	require.Len(t, b.requests(), n, "a sync while the shop asked to wait went to the shop")

	// A scan: one request, answered from the cache.
	l, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.True(t, l.FromCache)
	require.Len(t, b.requests(), n+1, "the scan asked once, without retries")

	// The loop asks again only once the wait is over.
	at := b.waitRequests(t, n+2, 20*time.Second)
	for _, a := range at[n+1:] {
		require.False(t, a.Before(first.Add(wait)), "the loop asked again %v after the shop said to wait %v", a.Sub(first), wait)
	}
}
