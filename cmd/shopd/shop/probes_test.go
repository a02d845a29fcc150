package shop_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/skranke/skranke/cmd/shopd/shop"
)

func TestProbes(t *testing.T) { eachStore(t, testProbes) }

func testProbes(t *testing.T, s store) {
	t.Parallel()
	db := s.open(t)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	p := shop.NewProbes(api, db)
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Code, w.Body.String()
	}
	for _, tc := range []struct {
		path string
		want int
	}{{"/healthz", 200}, {"/readyz", 200}, {shop.APIPrefix + "/health", http.StatusTeapot}} {
		if got, body := get(tc.path); got != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.path, got, body, tc.want)
		}
	}
	p.Drain()
	if got, body := get("/readyz"); got != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Errorf("/readyz while draining: %d %s", got, body)
	}
	if got, _ := get("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz while draining: %d, want 200 (the process is fine)", got)
	}
	db.Close()
	p = shop.NewProbes(api, db)
	if got, body := get("/readyz"); got != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
		t.Errorf("/readyz with the database gone: %d %s", got, body)
	}
}
