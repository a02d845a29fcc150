package shop_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// client talks to a shoptest server the way a desk does.
type client struct {
	t     testing.TB
	base  string
	token string
	staff string
	http  *http.Client
}

func newClient(t testing.TB, srv *shoptest.Server) *client {
	return &client{t: t, base: srv.URL + shop.APIPrefix, token: srv.DeskToken, staff: shop.DemoStaffID, http: &http.Client{}}
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// errorCode returns the code of a JSON error body.
func (a answer) errorCode(t testing.TB) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	a.decode(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body without code or message: %s", a.body)
	}
	if strings.HasPrefix(e.Error.Message, "shop.") {
		t.Fatalf("error message starts with a Go function's name, which staff would read: %s", a.body)
	}
	return e.Error.Code
}

func (c *client) do(method, path string, body []byte, header map[string]string) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.staff != "" {
		req.Header.Set("X-Staff-ID", c.staff)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		c.t.Fatalf("%s %s: error %d is not JSON: %s", method, path, resp.StatusCode, b)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *client) get(path string) answer { c.t.Helper(); return c.do("GET", path, nil, nil) }

// post sends v as JSON under the idempotency key (none when key is "").
func (c *client) post(path, key string, v any) answer {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	h := map[string]string{}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return c.do("POST", path, b, h)
}

func newKey() string { return uuid.NewString() }

func wantStatus(t testing.TB, a answer, want int) {
	t.Helper()
	if a.status != want {
		t.Fatalf("status %d, want %d: %s", a.status, want, a.body)
	}
}

// tryPost is post that reports transport errors instead of failing.
func tryPost(c *client, path, key string, v any) (answer, error) {
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest("POST", c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Staff-ID", c.staff)
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, err
}

// validRef completes a 7-symbol body into a reference code with its check character.
func validRef(body string) string { return body + string(skranke.CheckSymbol(body)) }

// badCheck returns code with a wrong check character.
func badCheck(code string) string {
	body, check := code[:len(code)-1], code[len(code)-1]
	for i := range len(skranke.Alphabet) {
		if c := skranke.Alphabet[i]; c != check {
			return body + string(c)
		}
	}
	return ""
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func timeNow() time.Time { return time.Now() }
