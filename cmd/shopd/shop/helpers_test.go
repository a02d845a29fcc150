package shop_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// client talks to a shoptest server the way a desk does.
// Its staff member (staff) acts through a staff session that the client
// opens with the demo PIN the first time it is needed, at the desk of
// token.
type client struct {
	t        testing.TB
	base     string
	token    string
	staff    string
	http     *http.Client
	sessions *sync.Map // Session tokens by desk token and staff id, shared by the clients of one server.
}

// serverSessions holds each test server's staff sessions, so that many
// clients of one server log in once (each PIN check costs a good 100 ms).
var serverSessions sync.Map

func newClient(t testing.TB, srv *shoptest.Server) *client {
	m, _ := serverSessions.LoadOrStore(srv, &sync.Map{})
	return &client{t: t, base: srv.URL + shop.APIPrefix, token: srv.DeskToken, staff: shop.DemoStaffID, http: &http.Client{},
		sessions: m.(*sync.Map)}
}

// newShopClient is a client of srv that acts as the web shop: its token,
// no staff member.
func newShopClient(t testing.TB, srv *shoptest.Server) *client {
	c := newClient(t, srv)
	c.token, c.staff = srv.ShopToken, ""
	return c
}

// session returns the session token of c.staff at c.token's desk, opening
// the session on first use ("" without a staff member or token).
func (c *client) session() string {
	c.t.Helper()
	if c.staff == "" || c.token == "" {
		return ""
	}
	key := c.token + "|" + c.staff
	if c.sessions == nil {
		c.sessions = &sync.Map{}
	}
	// Clients of one server starting together log in once.
	v, _ := c.sessions.LoadOrStore(key, &sessionOnce{})
	once := v.(*sessionOnce)
	once.once.Do(func() { once.token = c.openSession() })
	if once.token == "" {
		c.t.Fatalf("no staff session for %s", c.staff)
	}
	return once.token
}

// sessionOnce is a staff session opened once for many clients.
type sessionOnce struct {
	once  sync.Once
	token string
}

// openSession logs c.staff in at c.token's desk with the demo PIN.
func (c *client) openSession() string {
	c.t.Helper()
	b, _ := json.Marshal(shop.SessionRequest{StaffID: c.staff, PIN: shoptest.DemoPIN(c.staff)})
	req, _ := http.NewRequest("POST", c.base+"/staff/sessions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("open a staff session for %s: %v", c.staff, err)
	}
	defer resp.Body.Close()
	var res shop.SessionResult
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&res) != nil {
		c.t.Fatalf("open a staff session for %s: status %d", c.staff, resp.StatusCode)
	}
	return res.Token
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
	// Staff act in mutations; of reads, only signatures need a session.
	if method != "GET" || strings.HasPrefix(path, "/signatures/") {
		if tok := c.session(); tok != "" {
			req.Header.Set(shop.SessionHeader, tok)
		}
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
	if tok := c.session(); tok != "" {
		req.Header.Set(shop.SessionHeader, tok)
	}
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

// signaturePNG returns a small signature-like PNG, different for each n.
func signaturePNG(t testing.TB, n int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 120, 40))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for x := 10; x < 110; x++ {
		img.Pix[(20+(x*n)%15)*120+x] = 0
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uploadSignature stores a signature under id, as a desk does before the
// delivery that names it.
func (c *client) uploadSignature(id string) []byte {
	c.t.Helper()
	b := signaturePNG(c.t, len(id))
	wantStatus(c.t, c.do("PUT", "/signatures/"+id, b, map[string]string{"Content-Type": "image/png"}), http.StatusCreated)
	return b
}
