// Package shoptest starts a real shopd on loopback for tests: a SQLite file
// in a temporary directory (or, WithPostgres, a fresh database on a private
// PostgreSQL cluster), the demo chain seeded, and real HTTP. Stop and
// Restart take the server away and bring it back on the same address and
// database, for tests of desks working offline; DropResponses loses answers
// after the server committed them, for tests of resending.
package shoptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// Server is a running shopd.
type Server struct {
	URL          string // http://127.0.0.1:port, without /api/v1.
	DeskToken    string // Token of the demo desk "resepsjon-1".
	ShopToken    string
	NotifySecret string
	DBPath       string       // The SQLite file, or the PostgreSQL URL.
	Shop         *shop.Server // Replaced by Restart; do not use it concurrently with Restart.
	DB           shop.DB      // Replaced by Restart; closed while stopped.

	tb testing.TB
	// hc sends the helpers' own requests. Its idle connections are closed
	// when the server stops: one kept from before a Restart answers the
	// next POST with EOF, and POSTs without an idempotency key are not
	// sent again.
	hc       *http.Client
	opts     options
	addr     string
	mu       gosync.Mutex
	http     *http.Server
	done     chan struct{}
	dropMu   gosync.Mutex
	drops    int
	dropPath string
	notes    atomic.Int64
}

type options struct {
	bulk       int
	now        func() time.Time
	middleware func(http.Handler) http.Handler
	logger     *slog.Logger
	dbPath     string
	pg         *Cluster
	config     func(*shop.Config)
}

// Option changes how Start sets up the server.
type Option func(*options)

// WithBulk adds n bulk purchases to the demo centre (see shop.DB.SeedBulk).
func WithBulk(n int) Option { return func(o *options) { o.bulk = n } }

// WithClock makes the server read the time from now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMiddleware wraps the server's handler, to inject faults or watch requests.
func WithMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(o *options) { o.middleware = mw }
}

// WithLogger sends the server's request log to l; by default it is discarded.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithDBPath keeps the database at path instead of in tb.TempDir().
func WithDBPath(path string) Option { return func(o *options) { o.dbPath = path } }

// WithConfig lets fn change the server's configuration (limits, windows)
// before it starts.
func WithConfig(fn func(*shop.Config)) Option { return func(o *options) { o.config = fn } }

// WithPostgres keeps the shop in a new database on c instead of SQLite.
func WithPostgres(c *Cluster) Option { return func(o *options) { o.pg = c } }

// Start starts a seeded shopd on 127.0.0.1 and stops it when the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{tb: tb, DeskToken: shop.DemoDeskToken, ShopToken: shop.DemoShopToken, NotifySecret: shop.DemoNotifySecret,
		hc: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	for _, o := range opts {
		o(&s.opts)
	}
	s.DBPath = s.opts.dbPath
	switch {
	case s.DBPath != "":
	case s.opts.pg != nil:
		s.DBPath = s.opts.pg.NewDatabase(tb)
	default:
		s.DBPath = filepath.Join(tb.TempDir(), "shopd.db")
	}
	ctx := context.Background()
	db, err := shop.Open(ctx, s.DBPath, shop.OpenOptions{})
	if err != nil {
		tb.Fatalf("shoptest: %v", err)
	}
	now := time.Now
	if s.opts.now != nil {
		now = s.opts.now
	}
	if _, err := shop.SeedDemo(ctx, db, now()); err != nil {
		db.Close()
		tb.Fatalf("shoptest: %v", err)
	}
	if s.opts.bulk > 0 {
		if _, err := db.SeedBulk(ctx, shop.DemoCentreID, s.opts.bulk); err != nil {
			db.Close()
			tb.Fatalf("shoptest: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		tb.Fatalf("shoptest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.serve(db, ln)
	tb.Cleanup(s.Close)
	return s
}

// openAPI reads the repository's OpenAPI document next to this package.
func openAPI() []byte {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil
	}
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "openapi.yaml"))
	return b
}

func (s *Server) serve(db shop.DB, ln net.Listener) {
	cfg := shop.Config{ShopToken: s.ShopToken, NotifySecret: s.NotifySecret, OpenAPI: openAPI(),
		Logger: s.opts.logger, Now: s.opts.now}
	if s.opts.config != nil {
		s.opts.config(&cfg)
	}
	s.DB = db
	s.Shop = shop.New(db, cfg)
	var h http.Handler = s.Shop
	if s.opts.middleware != nil {
		h = s.opts.middleware(h)
	}
	h = s.dropper(h)
	s.http = shop.NewHTTPServer(s.addr, h, s.opts.logger)
	done := make(chan struct{})
	s.done = done
	go func() {
		defer close(done)
		s.http.Serve(ln)
	}()
}

// dropper loses the answers that DropResponses asked to lose: the request
// runs and commits, then the connection closes without a response.
func (s *Server) dropper(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		drop := false
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.dropMu.Lock()
			if s.drops > 0 && strings.Contains(r.URL.Path, s.dropPath) {
				s.drops--
				drop = true
			}
			s.dropMu.Unlock()
		}
		if !drop {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		conn.Close()
	})
}

// DropResponses makes the server lose its answers to the next n non-GET
// requests after handling them, as if the network failed after the commit.
// With pathContains, only requests whose path contains it count (such as
// "/deliveries", to let signature uploads through).
func (s *Server) DropResponses(n int, pathContains ...string) {
	s.dropMu.Lock()
	defer s.dropMu.Unlock()
	s.drops, s.dropPath = n, strings.Join(pathContains, "")
}

// Stop closes the listener, the open connections and the database, so that
// clients find nobody at the address.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stop()
}

func (s *Server) stop() {
	if s.http == nil {
		return
	}
	s.http.Close()
	<-s.done
	s.http = nil
	s.hc.CloseIdleConnections()
	if err := s.DB.Close(); err != nil {
		s.tb.Errorf("shoptest: close database: %v", err)
	}
}

// Restart brings a stopped (or running) server back on the same address
// with the same database.
func (s *Server) Restart() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stop()
	db, err := shop.Open(context.Background(), s.DBPath, shop.OpenOptions{})
	if err != nil {
		s.tb.Fatalf("shoptest: reopen database: %v", err)
	}
	var ln net.Listener
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err = net.Listen("tcp", s.addr)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			db.Close()
			s.tb.Fatalf("shoptest: listen again on %s: %v", s.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.serve(db, ln)
}

// Close stops the server for good; Start registers it with tb.Cleanup.
func (s *Server) Close() { s.Stop() }

// Running reports whether the server is listening.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.http != nil
}

// Code returns the code of a labelled demo item (see shop.DemoCodes).
func (s *Server) Code(label string) string {
	s.tb.Helper()
	c := shop.DemoCodeFor(label)
	if c == "" {
		s.tb.Fatalf("shoptest: no demo code labelled %q", label)
	}
	return c
}

// Purchase reads a purchase straight from the database, to check what the
// server holds without going through the API under test.
func (s *Server) Purchase(code string) *skranke.Purchase {
	s.tb.Helper()
	var p *skranke.Purchase
	err := s.DB.View(context.Background(), func(tx shop.Tx) error {
		var err error
		p, err = tx.Purchase(code)
		return err
	})
	if err != nil {
		s.tb.Fatalf("shoptest: %v", err)
	}
	return p
}

// Card reads a gift card straight from the database.
func (s *Server) Card(code string) *skranke.Card {
	s.tb.Helper()
	var c *skranke.Card
	err := s.DB.View(context.Background(), func(tx shop.Tx) error {
		var err error
		c, err = tx.Card(code)
		return err
	})
	if err != nil {
		s.tb.Fatalf("shoptest: %v", err)
	}
	return c
}

// Deliveries returns the deliveries the server recorded for a purchase.
func (s *Server) Deliveries(code string) []skranke.Delivery { return s.Purchase(code).Deliveries }

// Notify moves a purchase's payment status the way an acquirer does: a
// signed notification with a fresh event id.
func (s *Server) Notify(code string, status skranke.PaymentStatus) *skranke.Purchase {
	s.tb.Helper()
	body, _ := json.Marshal(shop.Notification{EventID: fmt.Sprintf("shoptest-%d-%d", time.Now().UnixNano(), s.notes.Add(1)),
		Reference: code, Status: status, Acquirer: "nets"})
	req, _ := http.NewRequest(http.MethodPost, s.URL+shop.APIPrefix+"/payments/notify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	now := time.Now
	if s.opts.now != nil {
		now = s.opts.now
	}
	req.Header.Set("X-Signature", shop.SignNotification(s.NotifySecret, now(), body))
	var p skranke.Purchase
	s.do(req, http.StatusOK, &p)
	return &p
}

// IssueCard issues a gift card of amount in the demo centre, as the web shop does.
func (s *Server) IssueCard(amount skranke.Money) *skranke.Card {
	s.tb.Helper()
	return s.IssueCardAt(shop.DemoCentreID, amount)
}

// IssueCardAt issues a gift card of amount in centre, as the web shop does.
func (s *Server) IssueCardAt(centre string, amount skranke.Money) *skranke.Card {
	s.tb.Helper()
	body, _ := json.Marshal(shop.CardRequest{Amount: amount, CentreID: centre})
	req, _ := http.NewRequest(http.MethodPost, s.URL+shop.APIPrefix+"/giftcards", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.ShopToken)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("shoptest-card-%d-%d", time.Now().UnixNano(), s.notes.Add(1)))
	var c skranke.Card
	s.do(req, http.StatusCreated, &c)
	return &c
}

// CreatePurchase creates a purchase in the demo centre, as the web shop does;
// lines may name only product_id and quantity.
func (s *Server) CreatePurchase(p skranke.Purchase) *skranke.Purchase {
	s.tb.Helper()
	if p.CentreID == "" {
		p.CentreID = shop.DemoCentreID
	}
	body, _ := json.Marshal(p)
	req, _ := http.NewRequest(http.MethodPost, s.URL+shop.APIPrefix+"/purchases", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.ShopToken)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("shoptest-purchase-%d-%d", time.Now().UnixNano(), s.notes.Add(1)))
	var out skranke.Purchase
	s.do(req, http.StatusCreated, &out)
	return &out
}

func (s *Server) do(req *http.Request, want int, v any) {
	s.tb.Helper()
	resp, err := s.hc.Do(req)
	if err != nil {
		s.tb.Fatalf("shoptest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.tb.Fatalf("shoptest: %s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, want, strings.TrimSpace(string(b)))
	}
	if err := json.Unmarshal(b, v); err != nil {
		s.tb.Fatalf("shoptest: %s %s: %v", req.Method, req.URL.Path, err)
	}
}

// DemoPIN returns the PIN of a demo staff member, or "" for an unknown id.
func DemoPIN(staffID string) string {
	switch staffID {
	case shop.DemoStaffID:
		return shop.DemoStaffPIN
	case shop.DemoStaff2ID:
		return shop.DemoStaff2PIN
	case shop.DemoManagerID:
		return shop.DemoManagerPIN
	case shop.DemoAccountantID:
		return shop.DemoAccountantPIN
	case shop.DemoOtherManagerID:
		return shop.DemoOtherManagerPIN
	}
	return ""
}

// OpenSession logs a demo staff member in at the desk whose bearer token is
// deskToken (s.DeskToken when ""), with the member's demo PIN, and returns
// the session token to send in the X-Staff-Session header (shop.SessionHeader)
// of staff actions. The test fails if the shop refuses.
func (s *Server) OpenSession(deskToken, staffID string) string {
	s.tb.Helper()
	if deskToken == "" {
		deskToken = s.DeskToken
	}
	body, _ := json.Marshal(shop.SessionRequest{StaffID: staffID, PIN: DemoPIN(staffID)})
	req, _ := http.NewRequest(http.MethodPost, s.URL+shop.APIPrefix+"/staff/sessions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+deskToken)
	req.Header.Set("Content-Type", "application/json")
	var out shop.SessionResult
	s.do(req, http.StatusCreated, &out)
	return out.Token
}
