package sync_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	stdsync "sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// forger changes the shop's answers to GET /purchases/{code} with forge,
// while it is set.
type forger struct {
	mu    stdsync.Mutex
	forge func(code string, r *http.Request, doc map[string]any)
}

func (f *forger) set(forge func(code string, r *http.Request, doc map[string]any)) {
	f.mu.Lock()
	f.forge = forge
	f.mu.Unlock()
}

func (f *forger) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		forge := f.forge
		f.mu.Unlock()
		i := strings.LastIndex(r.URL.Path, "/purchases/")
		if forge == nil || r.Method != http.MethodGet || i < 0 {
			next.ServeHTTP(w, r)
			return
		}
		code := r.URL.Path[i+len("/purchases/"):]
		doc := map[string]any{}
		forge(code, r, doc) // May point the request elsewhere.
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			var got map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &got) == nil {
				for k, v := range doc {
					got[k] = v
				}
				b, _ := json.Marshal(got)
				rec.Body.Reset()
				rec.Body.Write(b)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// A shop's answer to a scan that is about another purchase, or whose
// figures are beyond the shop's own limits (a broken proxy, a forged shop),
// must not be shown, cached or handed over as the purchase scanned: the
// desk took it as the scanned purchase and showed it (another customer's
// goods, or a negative price), and handed it over on Enter.
func TestForgedPurchaseAnswersAreRefused(t *testing.T) {
	ctx := context.Background()
	var fg forger
	srv := shoptest.Start(t, shoptest.WithMiddleware(fg.middleware))
	d := MustOpenShop(t, srv)
	cached := srv.Code("paid-course")
	l, err := d.Lookup(ctx, cached)
	require.NoError(t, err)
	want := l.Purchase
	other := srv.Code("many-lines")
	line := func(change func(l map[string]any)) func(string, *http.Request, map[string]any) {
		return func(code string, r *http.Request, doc map[string]any) {
			p := srv.Purchase(code)
			b, _ := json.Marshal(p.Lines)
			var lines []map[string]any
			require.NoError(t, json.Unmarshal(b, &lines))
			change(lines[0])
			doc["lines"] = lines
		}
	}
	for _, tc := range []struct {
		name  string
		forge func(code string, r *http.Request, doc map[string]any)
	}{
		{"another purchase", func(code string, r *http.Request, doc map[string]any) {
			r.URL.Path = strings.TrimSuffix(r.URL.Path, code) + other
		}},
		{"negative price", line(func(l map[string]any) { l["unit_price"] = -49900 })},
		{"a million units", line(func(l map[string]any) { l["quantity"] = 1_000_000 })},
		{"more handed over than bought", line(func(l map[string]any) { l["delivered"] = 5 })},
		{"price beyond any sale", line(func(l map[string]any) { l["unit_price"] = int64(4e18) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fg.set(tc.forge)
			defer fg.set(nil)
			// Not on the desk: refused, as an answer the desk cannot read.
			uncached := srv.Code("paid-physical")
			_, err := d.Lookup(ctx, uncached)
			require.Error(t, err, "the forged answer was taken")
			_, err = d.Cached(ctx, uncached)
			require.Equal(t, skranke.NotFound, skranke.KindOf(err), "the forged answer was cached: %v", err)

			// On the desk: the desk's own copy, marked as such.
			l, err := d.Lookup(ctx, cached)
			require.NoError(t, err)
			require.True(t, l.FromCache, "the forged answer was taken")
			require.Equal(t, want.Code, l.Purchase.Code)
			require.Equal(t, want.Lines, l.Purchase.Lines)
		})
	}
}
