package sync

import (
	"net/http"
	"testing"
)

// Resty retries any request on a transport error by default; the desk's
// rule lets only requests that cannot take effect twice be repeated.
func TestRetryOnlyWhatIsSafeToRepeat(t *testing.T) {
	cl := NewClient("http://127.0.0.1:1", "t", ClientOptions{})
	for _, tc := range []struct {
		method, key string
		want        bool
	}{
		{http.MethodGet, "", true},
		{http.MethodPut, "", true},
		{http.MethodPost, "", false},
		{http.MethodPost, "6f1c0b0e-0000-4000-8000-000000000000", true},
		{http.MethodDelete, "", false},
	} {
		req := cl.r.R()
		req.Method = tc.method
		if tc.key != "" {
			req.SetHeader("Idempotency-Key", tc.key)
		}
		if got := retryable(req); got != tc.want {
			t.Errorf("%s with key %q: retryable = %v, want %v", tc.method, tc.key, got, tc.want)
		}
	}
}
