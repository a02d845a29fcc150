package sync_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	stdsync "sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// received is one request as the shop got it.
type received struct {
	method, path, ctype, idemKey, staffID string
	body                                  []byte
}

// A delivery made while the shop is away is sent later exactly as it was
// queued: the stored method, path, body, content type, staff and
// idempotency key, with the signature first. So an action queued by one
// version of the desk is sent as that version meant it.
func TestOutboxReplaysTheStoredRequest(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	target, err := url.Parse(srv.URL)
	require.NoError(t, err)
	forward := httputil.NewSingleHostReverseProxy(target)
	var (
		mu      stdsync.Mutex
		offline = true
		got     []received
	)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		off := offline
		if !off && r.Method != http.MethodGet {
			got = append(got, received{r.Method, r.URL.Path, r.Header.Get("Content-Type"),
				r.Header.Get("Idempotency-Key"), r.Header.Get("X-Staff-ID") + r.Header.Get("X-Staff-Session"), body})
		}
		mu.Unlock()
		if off && r.Method != http.MethodGet {
			http.Error(w, "away", http.StatusServiceUnavailable)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	d := MustOpen(t, front.URL, srv.DeskToken)
	p := newPurchase(srv)
	_, err = d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	sig := signaturePNG(t)
	del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari,
		Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}, Signature: sig})
	require.NoError(t, err, "a delivery works while the shop is away")
	stored, err := d.OutboxForTest(ctx)
	require.NoError(t, err)
	require.Len(t, stored, 2, "the signature and the delivery are queued")

	mu.Lock()
	offline = false
	mu.Unlock()
	require.NoError(t, d.Sync(ctx))

	var want []received
	for _, s := range stored {
		// Kari logged in offline (she never did here): no session, and
		// the delivery's body states who made it.
		r := received{s.Method, "/api/v1" + s.Path, s.ContentType, "", "", s.Body}
		switch s.Kind {
		case "signature":
			r.body = sig // Kept once, in the desk's signatures.
		case "delivery":
			r.idemKey = del.ID
			require.Contains(t, string(s.Body), `"recorded_offline":true`)
			require.Contains(t, string(s.Body), `"stated_by":"kari"`)
		}
		want = append(want, r)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, want, got)
	require.True(t, strings.HasSuffix(got[0].path, "/signatures/"+del.SignatureID))
	states, err := d.OutboxStatesForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"done": 2}, states, "the shop accepted both")
}
