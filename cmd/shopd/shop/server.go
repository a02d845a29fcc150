package shop

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/skranke/skranke"
)

// Limits on what clients send.
const (
	// MaxBody is the largest JSON request body the server reads.
	MaxBody = 1 << 20
	// MaxSignature is the largest signature PNG the server accepts: the
	// desk's limit, so that what a desk takes the shop takes too.
	MaxSignature = skranke.MaxSignatureSize
	// IdempotencyRetention is how long idempotency keys are kept at least.
	IdempotencyRetention = 30 * 24 * time.Hour
	// MaxChangesLimit is the largest page of the changes feed.
	MaxChangesLimit = 1000
	// DefaultChangesLimit is the page size when the client names none.
	DefaultChangesLimit = 500
)

// Config is what a Server needs besides its store.
type Config struct {
	ShopToken    string       // Bearer token of the web shop (creating purchases and gift cards).
	NotifySecret string       // HMAC-SHA256 key of payment notifications.
	OpenAPI      []byte       // The OpenAPI document served at /openapi.yaml.
	Logger       *slog.Logger // Nil discards logs.
	Now          func() time.Time
	// NotifyWindow is how far a payment notification's timestamp may be
	// from the shop's clock (DefaultNotifyWindow when zero).
	NotifyWindow time.Duration
	// MaxSignaturesPerDay is how many signatures one desk may store in 24
	// hours (skranke.MaxSignaturesPerDay when zero).
	MaxSignaturesPerDay int
	// DeskCacheTTL is how long an accepted desk token is trusted without
	// asking the database again (DefaultDeskCacheTTL when zero; a
	// negative value asks every time). A desk removed from the database
	// is refused at the latest this long after.
	DeskCacheTTL time.Duration
	// TrustedProxies are the load balancers or reverse proxies in front
	// of shopd: a request whose connection comes from one of them is
	// taken to come from the address it wrote into X-Forwarded-For (for
	// counting wrong desk tokens and for logs). Empty: every request is
	// taken at its connection's address.
	TrustedProxies []netip.Prefix
}

// DefaultNotifyWindow is how old (or how far ahead) a payment
// notification's signed timestamp may be: a replayed notification older
// than that is refused.
const DefaultNotifyWindow = 5 * time.Minute

// Route is one method and path pattern the server answers, as written in the
// OpenAPI document.
type Route struct {
	Method string
	Path   string
}

type authKind int

const (
	authNone authKind = iota
	authDesk
	authShop
	authHMAC
)

// request is what a handler gets: the parsed HTTP request and who sent it.
type request struct {
	http  *http.Request
	desk  skranke.DeskInfo // Set for desk-authenticated routes.
	scope string           // Who asked, for idempotency keys: "desk:<id>" or "shop".
	body  []byte
	write bool // The handler runs in a write transaction.
	// parsed is what the route's parse made of the body before the
	// handler's transaction; nil if the route has none.
	parsed *parsedBody
}

// parsedBody is a request body decoded and checked (see route.parse), or
// why it could not be.
type parsedBody struct {
	v   any
	err error
}

// handler runs inside a transaction and returns an HTTP status and a value
// to encode as JSON.
type handler func(tx Tx, req *request) (int, any, error)

type route struct {
	Route
	auth    authKind
	idem    idemMode
	maxBody int64
	binary  bool // The body is not JSON (a PNG).
	h       handler
	raw     func(w http.ResponseWriter, req *request) // Writes its own answer, outside any transaction.
	ahead   func(req *request, ra *readAhead)         // Adds what a mutation reads first besides its key and session.
	alone   bool                                      // The handler's reads need not share a snapshot (see viewAlone).
	// parse decodes and checks the body before the handler's write
	// transaction, for the handler to take from request.parsed: work that
	// needs no database is better done by the request's own goroutine
	// than in a group commit, where every write waits for it. The
	// handler returns its error where it would have found it.
	parse func(req *request) (any, error)
}

type idemMode int

const (
	idemNone     idemMode = iota // Reads.
	idemRequired                 // Mutations: Idempotency-Key is mandatory.
	idemOptional                 // Acquirer callbacks, which dedupe by event id.
)

// Server is the shop's HTTP API. Besides its Store it keeps only caches
// that never answer behind the database (the changes feed's pages, see
// feed.go) or trust a desk token at most DeskCacheTTL, so several can
// serve one database.
type Server struct {
	store  Store
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	routes []route
	reqID  atomic.Int64
	tokens *failLimiter  // Wrong desk tokens per client address.
	pinSem chan struct{} // PIN checks running.
	// staffLocks make the PIN checks of one staff member take turns, so
	// that the wrong ones are counted in turn (see staffLock). A fixed
	// set, not one per id: logins name ids before they are looked up, and
	// made-up ids must not grow the shop's memory.
	staffLocks     [staffLockCount]sync.Mutex
	staffLocksSeed maphash.Seed
	pages          pagePool   // Buffers and gzip writers reused between pages of the changes feed.
	desks          *deskCache // Desks by token hash, looked up lately.
	heads          headReader // The changes feed's head, read for many polls at once.
	feed           feedPages  // Pages of the changes feed at its newest head.

	// blockedLookups holds the lookups of tokens never accepted here that
	// come from addresses refused for wrong tokens (see authDesk).
	blockedLookups *lookupBudget
}

// New returns a Server on store.
func New(store Store, cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxSignaturesPerDay == 0 {
		cfg.MaxSignaturesPerDay = skranke.MaxSignaturesPerDay
	}
	if cfg.NotifyWindow == 0 {
		cfg.NotifyWindow = DefaultNotifyWindow
	}
	if cfg.DeskCacheTTL == 0 {
		cfg.DeskCacheTTL = DefaultDeskCacheTTL
	}
	s := &Server{store: store, cfg: cfg, log: log, mux: http.NewServeMux(),
		tokens: newFailLimiter(MaxTokenFailures, TokenFailureWindow), pinSem: make(chan struct{}, 2),
		staffLocksSeed: maphash.MakeSeed(),
		desks:          newDeskCache(cfg.DeskCacheTTL), blockedLookups: newLookupBudget(BlockedLookupsPerSecond)}
	s.heads.read = s.readFeedHead
	s.register()
	return s
}

// readFeedHead reads the changes feed's committed head, without a
// transaction where the store can.
func (s *Server) readFeedHead(ctx context.Context) (int64, error) {
	if r, ok := s.store.(feedHeadReader); ok {
		return r.FeedHead(ctx)
	}
	var head int64
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		head, err = tx.FeedHead()
		return err
	})
	return head, err
}

// Store returns the server's store.
func (s *Server) Store() Store { return s.store }

// Routes lists every method and path the server answers.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.routes))
	for i, r := range s.routes {
		out[i] = r.Route
	}
	return out
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

func (s *Server) add(r route) {
	if r.maxBody == 0 {
		r.maxBody = MaxBody
	}
	s.routes = append(s.routes, r)
	s.mux.HandleFunc(r.Method+" "+r.Path, func(w http.ResponseWriter, hr *http.Request) { s.serve(w, hr, r) })
}

// ServeHTTP implements http.Handler: it logs, recovers from panics, and
// answers unknown paths and methods with JSON errors.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := s.reqID.Add(1)
	sw := &statusWriter{ResponseWriter: w, id: id, log: s.log, req: r}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic", "id", id, "method", r.Method, "path", r.URL.Path, "panic", p)
			if sw.status == 0 {
				writeError(sw, skranke.E("shop.Server.ServeHTTP", skranke.Internal, "internal server error"))
			}
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "request", "id", id, "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"bytes", sw.n, "duration", time.Since(start))
	}()
	// Path values and query parameters reach the stores as text: one
	// check here covers them all (see controlFree). An unclean path would
	// get the mux's redirect, an HTML page.
	switch {
	case !controlFree(r.URL.Path):
		writeError(sw, errControl("the path"))
		return
	case !rawQueryControlFree(r.URL.RawQuery):
		writeError(sw, errControl("the query"))
		return
	case r.Method != http.MethodConnect && !cleanPath(r.URL.Path):
		writeError(sw, skranke.E("shop.Server.ServeHTTP", skranke.NotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+
			" (paths have no empty, . or .. segments)"))
		return
	}
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		probe := &statusWriter{ResponseWriter: discardWriter{h: make(http.Header)}}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			sw.Header().Set("Allow", probe.Header().Get("Allow"))
			writeError(sw, withStatus(skranke.E("shop.Server.ServeHTTP", skranke.Invalid, "method "+r.Method+" not allowed on "+r.URL.Path), http.StatusMethodNotAllowed, nil))
			return
		}
		writeError(sw, skranke.E("shop.Server.ServeHTTP", skranke.NotFound, "no such endpoint: "+r.Method+" "+r.URL.Path))
		return
	}
	s.mux.ServeHTTP(sw, r)
}

func (s *Server) serve(w http.ResponseWriter, hr *http.Request, rt route) {
	ctx := hr.Context()
	req := &request{http: hr}
	var err error
	switch rt.auth {
	case authDesk:
		req.desk, err = s.authDesk(ctx, hr)
		req.scope = "desk:" + req.desk.ID
	case authShop:
		err = s.authShop(hr)
		req.scope = "shop"
	case authHMAC:
		req.scope = "acquirer"
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if hr.Method != http.MethodGet && hr.Method != http.MethodHead {
		req.body, err = io.ReadAll(http.MaxBytesReader(w, hr.Body, rt.maxBody))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, withStatus(skranke.E("shop.Server.serve", skranke.Invalid,
				fmt.Sprintf("request body larger than %d bytes", tooBig.Limit)), http.StatusRequestEntityTooLarge, nil))
			return
		}
		if err != nil {
			writeError(w, skranke.E("shop.Server.serve", skranke.Invalid, err))
			return
		}
		if !rt.binary && !jsonControlFree(req.body) {
			writeError(w, errControl("the request body"))
			return
		}
	}
	if rt.auth == authHMAC {
		if err := s.authHMAC(hr, req.body); err != nil {
			writeError(w, err)
			return
		}
	}
	if rt.raw != nil {
		rt.raw(w, req)
		return
	}
	if rt.parse != nil {
		v, err := rt.parse(req)
		req.parsed = &parsedBody{v: v, err: err}
	}
	if rt.idem == idemNone {
		var status int
		var v any
		view := s.store.View
		if rt.alone {
			view = func(ctx context.Context, fn func(Tx) error) error { return viewAlone(ctx, s.store, fn) }
		}
		err := view(ctx, func(tx Tx) error {
			var err error
			status, v, err = rt.h(tx, req)
			return err
		})
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, status, v)
		return
	}
	s.mutate(w, req, rt)
}

// fingerprintPath is the path an idempotency fingerprint holds: r's, with
// a purchase's or gift card's code spelt as the handlers read it
// (skranke.NormalizeCode), so that a resend spelling the code otherwise
// ("k7rm-4qx2" for K7RM4QX2) is known for the same request rather than
// refused as a different one. A path whose code is spelt the shop's way is
// kept as it is, so the fingerprints stored before stay valid. pattern is
// the route's path, with its wildcards ({code}, {id}) where their values go.
func fingerprintPath(r *http.Request, pattern string) string {
	raw := r.PathValue("code")
	if skranke.NormalizeCode(raw) == raw {
		return r.URL.Path
	}
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			segs[i] = r.PathValue(name)
			if name == "code" {
				segs[i] = skranke.NormalizeCode(segs[i])
			}
		}
	}
	return strings.Join(segs, "/")
}

// mutate runs a mutating handler under its idempotency key: the key's
// lookup, the change and the key's record are one transaction, so a resent
// request either finds the committed answer or runs as if for the first time.
// Only successful answers are recorded: a refused request changed nothing, so
// its resend is judged afresh against the current state.
func (s *Server) mutate(w http.ResponseWriter, req *request, rt route) {
	key := strings.TrimSpace(req.http.Header.Get("Idempotency-Key"))
	if key == "" && rt.idem == idemRequired {
		writeError(w, skranke.E("shop.Server.mutate", skranke.Invalid, "the Idempotency-Key header is required on "+req.http.Method+" requests"))
		return
	}
	if len(key) > 255 {
		writeError(w, skranke.E("shop.Server.mutate", skranke.Invalid, "Idempotency-Key longer than 255 characters"))
		return
	}
	if !printableKey(key) {
		writeError(w, skranke.E("shop.Server.mutate", skranke.Invalid, "Idempotency-Key must be printable UTF-8 text"))
		return
	}
	sum := sha256.New()
	io.WriteString(sum, req.http.Method)
	io.WriteString(sum, " ")
	io.WriteString(sum, fingerprintPath(req.http, rt.Path))
	io.WriteString(sum, "\n")
	sum.Write(req.body)
	fp := hex.EncodeToString(sum.Sum(nil))

	var rec IdempotencyRecord
	replayed := false
	req.write = true
	// Only a store that reads rows ahead needs to know which.
	var ra *readAhead
	if _, ok := s.store.(readAheadUpdater); ok {
		ra = mutationReadAhead(req, key)
		if rt.ahead != nil {
			rt.ahead(req, ra)
		}
	}
	err := update(req.http.Context(), s.store, ra, func(tx Tx) error {
		replayed = false // A store may run fn again (see Postgres.runGroup).
		if key != "" {
			old, err := tx.Idempotency(req.scope, key)
			switch {
			case err == nil:
				if old.Fingerprint == abandonedFingerprint {
					return skranke.E("shop.Server.mutate", skranke.Conflict,
						"abandoned: this action was settled as not done (Idempotency-Key "+key+" was resolved) and nothing was done now either")
				}
				if old.Fingerprint != fp {
					return withStatus(skranke.E("shop.Server.mutate", skranke.Conflict,
						"Idempotency-Key "+key+" was already used for a different request"), http.StatusUnprocessableEntity, nil)
				}
				rec, replayed = old, true
				return nil
			case !(skranke.KindOf(err) == skranke.NotFound):
				return err
			}
		}
		status, v, err := rt.h(tx, req)
		if err != nil {
			return err
		}
		body, err := marshal(v)
		if err != nil {
			return skranke.E("shop.Server.mutate", skranke.Internal, err)
		}
		rec = IdempotencyRecord{Scope: req.scope, Key: key, Fingerprint: fp, Status: status,
			ContentType: "application/json", Body: body, CreatedAt: s.now()}
		if key == "" {
			return nil
		}
		return tx.PutIdempotency(rec)
	})
	if err != nil {
		writeError(w, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Content-Type", rec.ContentType)
	w.WriteHeader(rec.Status)
	w.Write(rec.Body)
}

// TokenHash is how desk tokens are stored: hex SHA-256, so that a copy of the
// database does not hold usable tokens.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authDesk finds the desk of the request's bearer token. Wrong tokens are
// counted per client address; past MaxTokenFailures in TokenFailureWindow
// they are answered 429. A right token is never refused for its address:
// desks behind one load balancer share an address with whoever guesses
// there. So an address refused for wrong tokens still has its tokens
// looked up when this shopd accepted them before (desks.seen), and the
// others at most BlockedLookupsPerSecond for the whole shopd: guessing from
// such an address gets that rate, a new desk there waits a second or two.
func (s *Server) authDesk(ctx context.Context, r *http.Request) (skranke.DeskInfo, error) {
	const op = "shop.Server.authDesk"
	tok := bearer(r)
	if tok == "" {
		return skranke.DeskInfo{}, skranke.E(op, skranke.Unauthorized, "missing bearer token")
	}
	hash, now := TokenHash(tok), time.Now()
	if d, ok := s.desks.get(hash, now); ok {
		return d, nil
	}
	addr := s.clientAddr(r)
	tooMany := func() error {
		return withStatus(skranke.E(op, skranke.Locked,
			fmt.Sprintf("too many wrong desk tokens from this address; wait %d s", int(TokenFailureWindow/time.Second))), http.StatusTooManyRequests, nil)
	}
	if s.tokens.blocked(addr, now) && !s.desks.seen(hash) && !s.blockedLookups.take(now) {
		s.log.Warn("desk token refused unchecked: too many wrong tokens from this address", "remote", addr)
		return skranke.DeskInfo{}, tooMany()
	}
	var d skranke.DeskInfo
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		d, err = tx.DeskByToken(hash)
		return err
	})
	if err == nil {
		s.desks.put(hash, d, now)
	}
	if skranke.KindOf(err) == skranke.NotFound {
		s.desks.forget(hash)
		n := s.tokens.fail(addr, now)
		s.log.Warn("wrong desk token", "remote", addr, "failures", n, "path", r.URL.Path)
		if n > MaxTokenFailures {
			return d, tooMany()
		}
		return d, skranke.E(op, skranke.Unauthorized, "desk token not accepted")
	}
	return d, err
}

func (s *Server) authShop(r *http.Request) error {
	tok := bearer(r)
	if s.cfg.ShopToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.ShopToken)) != 1 {
		return skranke.E("shop.Server.authShop", skranke.Unauthorized, "shop token not accepted")
	}
	return nil
}

// SignNotification returns the X-Signature value of a payment notification
// body sent at time at: "t=<Unix seconds>,v1=<hex HMAC-SHA256 under secret
// of the seconds, a dot and the raw body>". The timestamp is inside the
// HMAC, so a captured notification cannot be replayed outside the window.
func SignNotification(secret string, at time.Time, body []byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(notificationMAC(secret, ts, body))
}

func notificationMAC(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func (s *Server) authHMAC(r *http.Request, body []byte) error {
	const op = "shop.Server.authHMAC"
	var ts, sig string
	for _, part := range strings.Split(r.Header.Get("X-Signature"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	got, err := hex.DecodeString(sig)
	secs, terr := strconv.ParseInt(ts, 10, 64)
	if err != nil || terr != nil || len(got) == 0 || s.cfg.NotifySecret == "" {
		return skranke.E(op, skranke.Unauthorized, "missing or malformed X-Signature (t=<unix seconds>,v1=<hex HMAC>)")
	}
	if !hmac.Equal(got, notificationMAC(s.cfg.NotifySecret, ts, body)) {
		return skranke.E(op, skranke.Unauthorized, "X-Signature does not match the body")
	}
	if d := s.now().Sub(time.Unix(secs, 0)); d > s.cfg.NotifyWindow || d < -s.cfg.NotifyWindow {
		return skranke.E(op, skranke.Unauthorized, fmt.Sprintf("the notification was signed %s from the shop's clock, more than the %s allowed",
			d.Round(time.Second), s.cfg.NotifyWindow))
	}
	return nil
}

// statusError gives an error an HTTP status other than its kind's, and extra
// members for the error body (such as the purchase's current state).
type statusError struct {
	err    error
	status int
	extra  map[string]any
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func withStatus(err error, status int, extra map[string]any) error {
	return &statusError{err: err, status: status, extra: extra}
}

// withState attaches the current state of an item to a refusal, so that the
// desk can show and cache it without asking again.
func withState(err error, name string, v any) error {
	return &statusError{err: err, extra: map[string]any{name: v}}
}

func statusOf(k skranke.Kind) int {
	switch k {
	case skranke.Invalid:
		return http.StatusBadRequest
	case skranke.NotFound:
		return http.StatusNotFound
	case skranke.Conflict:
		return http.StatusConflict
	case skranke.Unauthorized:
		return http.StatusUnauthorized
	case skranke.Forbidden:
		return http.StatusForbidden
	case skranke.NotPayable:
		return http.StatusUnprocessableEntity
	case skranke.Unavailable:
		return http.StatusServiceUnavailable
	case skranke.Locked:
		return http.StatusLocked
	}
	return http.StatusInternalServerError
}

// writeError answers {"error":{"code","message"}} plus any extra members.
func writeError(w http.ResponseWriter, err error) {
	kind := skranke.KindOf(err)
	if kind == skranke.Other {
		kind = skranke.Internal
	}
	status := statusOf(kind)
	msg := err.Error()
	// Ops name Go functions (shop.Server.deliver), which helps in logs but
	// tells a desk's staff nothing; the message is what follows them.
	for e, rest := (*skranke.Error)(nil), error(err); errors.As(rest, &e) && e.Op != "" && strings.HasPrefix(msg, e.Op+": "); rest = e.Err {
		msg = strings.TrimPrefix(msg, e.Op+": ")
	}
	body := map[string]any{}
	var se *statusError
	if errors.As(err, &se) {
		if se.status != 0 {
			status = se.status
		}
		for k, v := range se.extra {
			body[k] = v
		}
	}
	e := map[string]string{"code": kind.String(), "message": msg}
	if kind == skranke.Internal {
		// What failed inside (the store's words, SQLSTATEs, function
		// names) is for the log, not for whoever asked.
		e["incident"] = newIncident()
		e["message"] = "internal server error (incident " + e["incident"] + "); the shop's operators find the details in its log"
		clear(body)
		logInternal(w, e["incident"], status, err)
	}
	body["error"] = e
	writeJSON(w, status, body)
}

func marshal(v any) ([]byte, error) {
	if doc, ok := v.(json.RawMessage); ok {
		// Encoded already (see writeJSON).
		return append(doc[:len(doc):len(doc)], '\n'), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if doc, ok := v.(json.RawMessage); ok {
		// A stored document, encoded when it was stored.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(append(doc[:len(doc):len(doc)], '\n'))
		return
	}
	body, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"cannot encode answer"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
	id     int64         // The request's number in the log.
	log    *slog.Logger  // Where internal errors go.
	req    *http.Request // What the request was, for that log.
}

// logInternal logs an internal error in full with its incident id, through
// the server's logger when w is its statusWriter.
func logInternal(w http.ResponseWriter, incident string, status int, err error) {
	log, attrs := slog.Default(), []any{"incident", incident, "status", status, "err", err}
	for {
		if sw, ok := w.(*statusWriter); ok && sw.log != nil {
			log = sw.log
			attrs = append(attrs, "id", sw.id, "method", sw.req.Method, "path", sw.req.URL.Path)
			break
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	log.Error("internal error", attrs...)
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

// NewHTTPServer returns an http.Server for h on addr with timeouts that keep
// slow or stuck clients from holding connections.
func NewHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return srv
}

// printableKey reports whether an idempotency key is valid UTF-8 without
// control characters: the key is stored and compared as text, and
// PostgreSQL refuses a NUL byte in text.
func printableKey(key string) bool {
	if !utf8.ValidString(key) {
		return false
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
