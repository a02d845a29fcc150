package sync

import (
	"net/http"
	"testing"
	"time"

	"github.com/skranke/skranke"
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

func TestStatusErrKinds(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   skranke.Kind
	}{
		{409, `{"error":{"code":"conflict","message":"cannot hand over 2 × Shaker: 1 of 2 remain"}}`, skranke.Conflict},
		{409, `not json`, skranke.Conflict},
		{422, `{"error":{"code":"not_payable","message":"purchase is pending"}}`, skranke.NotPayable},
		{422, `{"error":{"code":"conflict","message":"Idempotency-Key reused"}}`, skranke.Conflict},
		{422, ``, skranke.Conflict},
		{400, `{"error":{"code":"invalid","message":"bad"}}`, skranke.Invalid},
		{401, `<html>nope</html>`, skranke.Unauthorized},
		{403, `{"error":{"code":"forbidden","message":"managers only"}}`, skranke.Forbidden},
		{404, `{"error":{"code":"not_found","message":"no purchase"}}`, skranke.NotFound},
		{413, ``, skranke.Invalid},
		{500, `{"error":{"code":"internal","message":"boom"}}`, skranke.Internal},
		{500, `<html>`, skranke.Internal},
		{502, ``, skranke.Unavailable},
		{503, `{"error":{"code":"internal"}}`, skranke.Unavailable},
		{429, `<html>slow down</html>`, skranke.Unavailable},
		{429, `{"error":{"code":"locked","message":"too many wrong desk tokens"}}`, skranke.Locked},
		{429, `{"error":{"code":"conflict","message":"too many signatures"}}`, skranke.Conflict},
	} {
		err := statusErr("op", tc.status, []byte(tc.body))
		if got := skranke.KindOf(err); got != tc.want {
			t.Errorf("%d %s: kind %v, want %v (%v)", tc.status, tc.body, got, tc.want, err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"86400", MaxRetryAfter},
		{"99999999999999999999", 0}, // Not a number Go can hold, nor a date.
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(3 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
	} {
		if got := parseRetryAfter(tc.h, now); got != tc.want {
			t.Errorf("Retry-After %q: %v, want %v", tc.h, got, tc.want)
		}
	}
}
