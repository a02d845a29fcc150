package sync_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// hugeAnswer answers GET /purchases/{code} for the codes in forged with a
// purchase padded with whitespace to size bytes, as a broken or forged
// shop (or something in between) might; it counts those requests.
type hugeAnswer struct {
	forged map[string]bool
	on     atomic.Bool
	size   int
	asked  atomic.Int64
}

func (h *hugeAnswer) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := strings.LastIndex(r.URL.Path, "/purchases/")
		if !h.on.Load() || r.Method != http.MethodGet || i < 0 || !h.forged[r.URL.Path[i+len("/purchases/"):]] {
			next.ServeHTTP(w, r)
			return
		}
		h.asked.Add(1)
		code := r.URL.Path[i+len("/purchases/"):]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		pad := bytes.Repeat([]byte(" "), 64<<10)
		for sent := 0; sent < h.size; sent += len(pad) {
			if _, err := w.Write(pad); err != nil {
				return // The desk stopped reading.
			}
		}
		_, _ = w.Write([]byte(`{"code":"` + code + `","status":"captured","lines":[{"id":"x","name":"Forged","quantity":1,"unit_price":100}]}`))
	})
}

// A shop answer far larger than any the shop sends (a broken proxy, a
// forged shop, a gzip bomb) must not be read whole into the desk's memory,
// nor asked for again: the desk stops reading at its limit, counts it as
// an answer it cannot read, and answers from its cache where it can.
func TestHugeAnswerIsRefused(t *testing.T) {
	ctx := context.Background()
	cached, uncached := shop.DemoCodeFor("paid-course"), shop.DemoCodeFor("paid-physical")
	h := &hugeAnswer{forged: map[string]bool{cached: true, uncached: true}, size: desksync.MaxAnswerBytes + 16<<20}
	srv := shoptest.Start(t, shoptest.WithMiddleware(h.middleware))
	// The limit, not the clock, must end the read: on a loaded machine
	// the 64 MB took longer than MustOpen's 1.5 s per request.
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: t.TempDir(),
		SyncInterval: 200 * time.Millisecond, Timeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })

	l, err := d.Lookup(ctx, cached)
	require.NoError(t, err)
	require.False(t, l.FromCache)
	h.on.Store(true)

	_, err = d.Lookup(ctx, uncached)
	require.Error(t, err, "the desk took an answer of %d MB", h.size>>20)
	require.Contains(t, err.Error(), "too large")
	require.EqualValues(t, 1, h.asked.Load(), "a huge answer was asked for again")

	l, err = d.Lookup(ctx, cached)
	require.NoError(t, err)
	require.True(t, l.FromCache, "the desk did not answer from its cache")
	require.Equal(t, cached, l.Purchase.Code)
	require.NotEqual(t, "Forged", l.Purchase.Lines[0].Name)
}
