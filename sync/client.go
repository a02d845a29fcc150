package sync

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/skranke/skranke"
)

// Client speaks the shop API v1 (docs/api-contract.md) for one desk. Every
// answer that is not a success comes back as an *Error whose Kind says what
// happened: Unavailable when the shop could not be reached or did not answer
// in time, Conflict, NotPayable and the rest from the shop's error body, and
// Internal for answers the desk cannot read.
//
// Only GETs, PUTs of signatures and requests that carry an Idempotency-Key
// are retried, so a retry can never do a thing twice.
type Client struct {
	r    *resty.Client
	slow *resty.Client // For logins, which the shop answers slowly on purpose.
}

// ClientOptions tunes a Client; zero values pick sensible defaults.
type ClientOptions struct {
	Timeout      time.Duration // Per attempt; 0 means 5 s.
	Retries      int           // Extra attempts for retryable requests; 0 means 2, negative means none.
	RetryWait    time.Duration // First wait between attempts; 0 means 100 ms.
	MaxRetryWait time.Duration // Longest wait between attempts; 0 means 1 s.
	// RootCAs, when set, are the certificate authorities the shop's
	// certificate must chain to, instead of the system's (see LoadCAFile).
	RootCAs *x509.CertPool
}

// NewClient returns a client for the shop at baseURL (such as
// "http://127.0.0.1:8080") that authenticates with the desk's bearer token.
func NewClient(baseURL, token string, opt ClientOptions) *Client {
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	switch {
	case opt.Retries == 0:
		opt.Retries = 2
	case opt.Retries < 0:
		opt.Retries = 0
	}
	if opt.RetryWait <= 0 {
		opt.RetryWait = 100 * time.Millisecond
	}
	if opt.MaxRetryWait <= 0 {
		opt.MaxRetryWait = time.Second
	}
	return &Client{r: newResty(baseURL, token, opt, opt.Timeout), slow: newResty(baseURL, token, opt, max(4*opt.Timeout, LoginTimeout))}
}

// LoginTimeout is the least time a login gets: the shop checks the PIN
// with a deliberately slow, memory-hard hash.
const LoginTimeout = 8 * time.Second

// newResty builds a resty client whose requests each get timeout.
func newResty(baseURL, token string, opt ClientOptions, timeout time.Duration) *resty.Client {
	transport := &http.Transport{
		Proxy:                 nil, // The shop is usually on the LAN or loopback; never route desk traffic via env proxies.
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opt.RootCAs},
	}
	r := resty.New().
		SetTransport(limitTransport{transport}).
		SetBaseURL(strings.TrimRight(baseURL, "/")+"/api/v1").
		SetAuthToken(token).
		SetTimeout(timeout).
		SetHeader("Accept", "application/json").
		SetHeader("User-Agent", "skranke-desk/1").
		SetLogger(quietLogger{}).
		SetRetryCount(opt.Retries).
		SetRetryWaitTime(opt.RetryWait).
		SetRetryMaxWaitTime(opt.MaxRetryWait).
		// A shop that says how long to wait (Retry-After) is waited for
		// that long, no less; otherwise the jittered backoff.
		SetRetryAfter(func(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
			return retryAfter(resp, time.Now()), nil
		}).
		// Resty would retry any request on a transport error, POSTs
		// included. This condition is the whole rule: it replaces that
		// default, so only requests safe to repeat are repeated.
		AddRetryCondition(func(resp *resty.Response, err error) bool {
			var req *resty.Request
			if resp != nil {
				req = resp.Request
			}
			if req == nil || !retryable(req) {
				return false
			}
			if err != nil {
				// An answer too large will be as large again.
				return transientErr(err) && !errors.Is(err, errAnswerTooLarge)
			}
			switch resp.StatusCode() {
			case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusInternalServerError:
				// A wait longer than a retry's is the desk's to keep
				// (Desk.noteReach), not the caller's: a scan never
				// waits for it.
				return retryAfter(resp, time.Now()) <= opt.MaxRetryWait
			}
			return false
		})
	return r
}

// MaxRetryAfter caps how long the desk honours a shop's Retry-After, so
// that a wrong header cannot silence a desk for hours.
const MaxRetryAfter = 5 * time.Minute

// retryAfter is how long a 429 or 503 answer asks the desk to wait before
// asking again (Retry-After, in seconds or as an HTTP date), at most
// MaxRetryAfter; 0 when it does not say, says nonsense, or names a time
// already past.
func retryAfter(resp *resty.Response, now time.Time) time.Duration {
	if resp == nil || resp.RawResponse == nil {
		return 0
	}
	switch resp.StatusCode() {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
	default:
		return 0
	}
	return parseRetryAfter(resp.Header().Get("Retry-After"), now)
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// MaxAnswerBytes is the most the desk reads of one answer of the shop
// (after gzip). The largest the shop sends, a page of the changes feed, is
// about a megabyte; an answer beyond this (a broken proxy, a forged shop, a
// gzip bomb) would otherwise be read whole into the desk's memory and could
// take the desk down, and it fails as an answer the desk cannot read.
const MaxAnswerBytes = 64 << 20

// errAnswerTooLarge is why an answer beyond MaxAnswerBytes was not read.
var errAnswerTooLarge = fmt.Errorf("the shop's answer is too large (more than %d MB)", MaxAnswerBytes>>20)

// limitTransport stops reading an answer's body at MaxAnswerBytes.
type limitTransport struct{ rt http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: MaxAnswerBytes}
	}
	return resp, err
}

// limitedBody fails with errAnswerTooLarge once more than left bytes came.
type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // One byte more than allowed tells a body too large.
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, errAnswerTooLarge
	}
	return n, err
}

// retryable reports whether repeating req cannot do anything twice.
func retryable(req *resty.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPut:
		return true // PUT /signatures/{id} is idempotent by id.
	}
	if strings.HasSuffix(req.URL, "/resolve") {
		return true // Resolving again returns the same settlement.
	}
	return req.Header.Get("Idempotency-Key") != ""
}

// transientErr reports whether a transport error may go away on its own
// within a retry's wait. A refused connection will not: nobody listens, and
// a scan should fall back to the cache at once rather than after retries.
// Resty itself stops once the caller's context is done.
func transientErr(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, syscall.ECONNREFUSED)
}

// quietLogger sends resty's log lines to slog at debug level: a retry is
// routine, and the outcome is reported as an error anyway.
type quietLogger struct{}

func (quietLogger) Errorf(format string, v ...any) {
	slog.Debug("shop client: " + fmt.Sprintf(format, v...))
}
func (quietLogger) Warnf(format string, v ...any) {
	slog.Debug("shop client: " + fmt.Sprintf(format, v...))
}
func (quietLogger) Debugf(format string, v ...any) {}

// apiError is the body of every 4xx/5xx answer.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Purchase *skranke.Purchase `json:"purchase,omitempty"`
	// Elsewhere names the centre of the chain a code belongs to, when it
	// is another centre's.
	Elsewhere *struct {
		Centre skranke.Centre `json:"centre"`
	} `json:"elsewhere,omitempty"`
}

// call is one request: method and path relative to /api/v1.
type call struct {
	op      string
	method  string
	path    string
	query   url.Values
	body    any    // Encoded as JSON unless raw is set.
	raw     []byte // Sent as is with ctype.
	ctype   string
	idemKey string
	session string // The staff session token, sent as X-Staff-Session.
	// approver is a manager's session token approving the action, sent as
	// X-Approver-Session.
	approver string
	slow     bool // A login: the shop's PIN check takes its time.
}

// do sends c and returns the body of a 2xx answer, or an *Error.
func (cl *Client) do(ctx context.Context, c call) ([]byte, error) {
	rc := cl.r
	if c.slow {
		rc = cl.slow
	}
	req := rc.R().SetContext(ctx)
	if c.query != nil {
		req.SetQueryParamsFromValues(c.query)
	}
	if c.idemKey != "" {
		req.SetHeader("Idempotency-Key", c.idemKey)
	}
	if c.session != "" {
		req.SetHeader("X-Staff-Session", c.session)
	}
	if c.approver != "" {
		req.SetHeader("X-Approver-Session", c.approver)
	}
	switch {
	case c.raw != nil:
		req.SetHeader("Content-Type", c.ctype).SetBody(c.raw)
	case c.body != nil:
		b, err := json.Marshal(c.body)
		if err != nil {
			return nil, skranke.E(c.op, skranke.Internal, err)
		}
		req.SetHeader("Content-Type", "application/json").SetBody(b)
	}
	resp, err := req.Execute(c.method, c.path)
	if err != nil {
		return nil, transportErr(c.op, err)
	}
	body := resp.Body()
	if resp.IsSuccess() {
		// JSON answers are checked where they are decoded, once.
		return body, nil
	}
	err = statusErr(c.op, resp.StatusCode(), body)
	if ra := retryAfter(resp, time.Now()); ra > 0 {
		var se *StatusError
		if errors.As(err, &se) {
			se.RetryAfter = ra
		}
	}
	return nil, err
}

// transportErr classifies a failure to get any answer at all.
func transportErr(op string, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, errAnswerTooLarge):
		// The shop answered, with something the desk cannot read.
		return skranke.E(op, skranke.Internal, unreadableAnswer{err})
	case errors.Is(err, context.Canceled):
		return skranke.E(op, skranke.Unavailable, fmt.Errorf("cancelled: %w", err))
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return skranke.E(op, skranke.Unavailable, fmt.Errorf("the shop did not answer in time: %w", err))
	case errors.Is(err, syscall.ECONNREFUSED):
		return skranke.E(op, skranke.Unavailable, fmt.Errorf("the shop is not reachable (connection refused): %w", err))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return skranke.E(op, skranke.Unavailable, fmt.Errorf("the connection to the shop broke off: %w", err))
	}
	return skranke.E(op, skranke.Unavailable, fmt.Errorf("the shop is not reachable: %w", err))
}

// statusErr turns a 4xx/5xx answer into an *Error with the shop's kind.
func statusErr(op string, status int, body []byte) error {
	var ae apiError
	decoded := json.Unmarshal(body, &ae) == nil && ae.Error.Code != ""
	msg := strings.TrimSpace(ae.Error.Message)
	if msg == "" {
		msg = http.StatusText(status)
	}
	kind := skranke.KindFromString(ae.Error.Code)
	switch {
	case status == http.StatusConflict:
		kind = skranke.Conflict
	case status == http.StatusUnprocessableEntity && (!decoded || kind == skranke.Other):
		kind = skranke.Conflict // A refused state change; the code says which when the body is readable.
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		kind = skranke.Unavailable
	case status == http.StatusTooManyRequests && (!decoded || kind == skranke.Other):
		// Too busy (a rate limit in front of the shop): it did nothing,
		// and asking again later may work. The shop's own 429s say what
		// they are (locked, conflict).
		kind = skranke.Unavailable
	case status >= 500:
		kind = skranke.Internal
	case !decoded || kind == skranke.Other:
		switch status {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			kind = skranke.Invalid
		case http.StatusUnauthorized:
			kind = skranke.Unauthorized
		case http.StatusForbidden:
			kind = skranke.Forbidden
		case http.StatusNotFound:
			kind = skranke.NotFound
		default:
			kind = skranke.Other
		}
	}
	se := &StatusError{Status: status, Message: msg, Purchase: ae.Purchase, Shop: decoded}
	if !decoded && status < 500 {
		se.Message = fmt.Sprintf("%s (unreadable error body)", msg)
	}
	if decoded && kind == skranke.NotFound && ae.Elsewhere != nil && ae.Elsewhere.Centre.Name != "" {
		return &skranke.Error{Op: op, Kind: kind, Err: elsewhereErr{ElsewhereError: &skranke.ElsewhereError{Centre: ae.Elsewhere.Centre}, se: se}}
	}
	return &skranke.Error{Op: op, Kind: kind, Err: se}
}

// StatusError is the shop's refusal as it came over the wire. A 409 on a
// delivery carries the purchase as the shop now sees it.
type StatusError struct {
	Status   int
	Message  string
	Purchase *skranke.Purchase
	// RetryAfter is how long a 429 or 503 asked the desk to wait before
	// asking again (Retry-After, at most MaxRetryAfter); 0 if it did not.
	RetryAfter time.Duration
	// Shop is whether the body was the shop's own error document, rather
	// than a page from something in front of it (a proxy's 404 or 502).
	Shop bool
}

// Error implements the error interface.
func (e *StatusError) Error() string {
	s := "shop answered " + strconv.Itoa(e.Status) + ": " + e.Message
	if e.RetryAfter > 0 {
		s += " (asked to wait " + e.RetryAfter.String() + ")"
	}
	return s
}

// BusyError says that the desk did not ask the shop because the shop asked
// it to wait (Retry-After) until Until. It travels inside an error of kind
// Unavailable: nothing was sent, nothing was done.
type BusyError struct {
	Until time.Time
}

// Error implements the error interface.
func (e *BusyError) Error() string {
	return "the shop asked the desk to wait until " + e.Until.Local().Format("15:04:05")
}

// ShopBusy reports whether err comes from a shop that asked the desk to
// wait: its answer said Retry-After, or the desk held back because of one.
func ShopBusy(err error) bool {
	var be *BusyError
	if errors.As(err, &be) {
		return true
	}
	var se *StatusError
	return errors.As(err, &se) && se.RetryAfter > 0
}

// waitAsked is how long the shop's answer in err asked the desk to wait.
func waitAsked(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// elsewhereErr is a refusal that names the centre a code belongs to: it
// reads as the shop's words and is found as both *skranke.ElsewhereError
// and *StatusError.
type elsewhereErr struct {
	*skranke.ElsewhereError
	se *StatusError
}

func (e elsewhereErr) Error() string { return e.se.Error() }

// As finds the *skranke.ElsewhereError and the *StatusError.
func (e elsewhereErr) As(target any) bool {
	switch t := target.(type) {
	case **skranke.ElsewhereError:
		*t = e.ElsewhereError
		return true
	case **StatusError:
		*t = e.se
		return true
	}
	return false
}

func decode(op string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return skranke.E(op, skranke.Internal, unreadableAnswer{fmt.Errorf("the shop sent malformed JSON the desk cannot read (%d bytes): %w", len(body), err)})
	}
	return nil
}

// unreadableAnswer marks an answer that came from the shop but cannot be
// read, so that the outbox can tell a shop that fails on an action from a
// failure on the desk itself (both are Internal).
type unreadableAnswer struct{ error }

func (u unreadableAnswer) Unwrap() error { return u.error }

// Health checks that the shop answers.
func (cl *Client) Health(ctx context.Context) error {
	_, err := cl.do(ctx, call{op: "sync.Client.Health", method: http.MethodGet, path: "/health"})
	return err
}

// Desk returns the desk the token belongs to and its centre.
func (cl *Client) Desk(ctx context.Context) (skranke.DeskInfo, skranke.Centre, error) {
	b, err := cl.do(ctx, call{op: "sync.Client.Desk", method: http.MethodGet, path: "/desk"})
	if err != nil {
		return skranke.DeskInfo{}, skranke.Centre{}, err
	}
	var v struct {
		Desk   skranke.DeskInfo `json:"desk"`
		Centre skranke.Centre   `json:"centre"`
	}
	err = decode("sync.Client.Desk", b, &v)
	return v.Desk, v.Centre, err
}

// Staff lists the staff of the desk's centre: who may log in, never
// anything derived from their PINs.
func (cl *Client) Staff(ctx context.Context) ([]skranke.Staff, error) {
	b, err := cl.do(ctx, call{op: "sync.Client.Staff", method: http.MethodGet, path: "/staff"})
	if err != nil {
		return nil, err
	}
	var v struct {
		Staff []skranke.Staff `json:"staff"`
	}
	err = decode("sync.Client.Staff", b, &v)
	return v.Staff, err
}

// Purchase fetches a purchase by reference code.
func (cl *Client) Purchase(ctx context.Context, code string) (*skranke.Purchase, []byte, error) {
	b, err := cl.do(ctx, call{op: "sync.Client.Purchase", method: http.MethodGet, path: "/purchases/" + url.PathEscape(code)})
	if err != nil {
		return nil, nil, err
	}
	var p skranke.Purchase
	if err := decode("sync.Client.Purchase", b, &p); err != nil {
		return nil, nil, err
	}
	if p.Code == "" {
		return nil, nil, skranke.E("sync.Client.Purchase", skranke.Internal, "the shop answered a purchase without a code")
	}
	if err := checkAnswered(&p, code); err != nil {
		return nil, nil, skranke.E("sync.Client.Purchase", skranke.Internal, unreadableAnswer{err})
	}
	return &p, b, nil
}

// checkAnswered checks that the shop's answer p to a lookup of code is that
// purchase, with figures within the limits the shop itself keeps to: an
// answer about another purchase (a broken proxy, a forged shop) would be
// shown, cached and handed over as the one scanned, and figures beyond
// the limits (a negative price, a line of a million units) mislead staff
// and overflow the sums the desk makes of them.
func checkAnswered(p *skranke.Purchase, code string) error {
	if skranke.NormalizeCode(p.Code) != skranke.NormalizeCode(code) {
		return fmt.Errorf("the shop answered purchase %q when asked for %s", p.Code, code)
	}
	return checkFigures(p)
}

// checkFigures checks that p's figures are within the limits the shop
// keeps to (skranke.MaxLines, MaxQuantity, MaxAmount).
func checkFigures(p *skranke.Purchase) error {
	if len(p.Lines) > skranke.MaxLines {
		return fmt.Errorf("purchase %s has %d lines (at most %d)", p.Code, len(p.Lines), skranke.MaxLines)
	}
	var total skranke.Money
	for _, l := range p.Lines {
		switch {
		case l.Quantity < 0 || l.Quantity > skranke.MaxQuantity,
			l.Delivered < 0 || l.Delivered > l.Quantity || l.Credited < 0 || l.Credited > l.Quantity:
			return fmt.Errorf("line %s of purchase %s has impossible quantities (%d ordered, %d handed over, %d credited)", l.ID, p.Code, l.Quantity, l.Delivered, l.Credited)
		case l.UnitPrice < 0 || l.UnitPrice > skranke.MaxAmount || l.Discount < 0 || l.Total() < 0 || l.Total() > skranke.MaxAmount:
			return fmt.Errorf("line %s of purchase %s has an impossible price (%d øre a unit, %d øre off)", l.ID, p.Code, l.UnitPrice, l.Discount)
		}
		total += l.Total()
	}
	if total > skranke.MaxAmount {
		return fmt.Errorf("purchase %s totals %d øre (at most %d)", p.Code, total, skranke.MaxAmount)
	}
	for _, c := range p.Credits {
		if c.Amount < 0 || c.Amount > skranke.MaxAmount {
			return fmt.Errorf("a credit of purchase %s gives back %d øre", p.Code, c.Amount)
		}
	}
	return nil
}

// DeliveryBody is what the desk posts to hand over lines.
type DeliveryBody struct {
	ID          string                  `json:"id"`
	Lines       []skranke.DeliveredLine `json:"lines"`
	At          time.Time               `json:"at"`
	SignatureID string                  `json:"signature_id"`
	// RecordedOffline marks a delivery sent without a staff session: the
	// shop stores it as "offline, stated by the desk", StatedBy being the
	// staff member the desk says handed it over.
	RecordedOffline bool   `json:"recorded_offline,omitempty"`
	StatedBy        string `json:"stated_by,omitempty"`
	IDChecked       bool   `json:"id_checked,omitempty"` // See skranke.Delivery.
}

// DeliveryAnswer is the shop's answer to a delivery.
type DeliveryAnswer struct {
	Delivery skranke.Delivery `json:"delivery"`
	Purchase skranke.Purchase `json:"purchase"`
	// Cards are the gift cards the purchase sold, present when the
	// delivery handed over gift card lines: the desk prints them.
	Cards []skranke.Card `json:"cards,omitempty"`
}

// Deliver posts a delivery; the delivery's ID is its idempotency key.
// session is the staff session of whoever hands over, or empty for a
// delivery recorded offline (body.RecordedOffline and body.StatedBy set).
func (cl *Client) Deliver(ctx context.Context, code, session string, body DeliveryBody) (DeliveryAnswer, error) {
	var a DeliveryAnswer
	b, err := cl.do(ctx, call{op: "sync.Client.Deliver", method: http.MethodPost, path: "/purchases/" + url.PathEscape(code) + "/deliveries",
		body: body, idemKey: body.ID, session: session})
	if err != nil {
		return a, err
	}
	err = decode("sync.Client.Deliver", b, &a)
	return a, err
}

// PutSignature stores a signature PNG under id, with the staff session of
// whoever took it when there is one.
func (cl *Client) PutSignature(ctx context.Context, id, session string, png []byte) error {
	_, err := cl.do(ctx, call{op: "sync.Client.PutSignature", method: http.MethodPut, path: "/signatures/" + url.PathEscape(id),
		raw: png, ctype: "image/png", session: session})
	return err
}

// Signature fetches a signature PNG, with the staff session of a manager
// (the shop shows signatures to managers only).
func (cl *Client) Signature(ctx context.Context, id, session string) ([]byte, error) {
	b, err := cl.do(ctx, call{op: "sync.Client.Signature", method: http.MethodGet, path: "/signatures/" + url.PathEscape(id), session: session})
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		return nil, skranke.E("sync.Client.Signature", skranke.Internal, "the shop sent a signature that is not a PNG image")
	}
	return b, nil
}

// CardAnswer is a gift card with its chain and redemptions.
type CardAnswer struct {
	Card        skranke.Card         `json:"card"`
	Chain       []skranke.Card       `json:"chain"`
	Redemptions []skranke.Redemption `json:"redemptions"`
}

// Card fetches a gift card by code.
func (cl *Client) Card(ctx context.Context, code string) (CardAnswer, error) {
	var a CardAnswer
	b, err := cl.do(ctx, call{op: "sync.Client.Card", method: http.MethodGet, path: "/giftcards/" + url.PathEscape(code)})
	if err != nil {
		return a, err
	}
	if err := decode("sync.Client.Card", b, &a); err != nil {
		return a, err
	}
	if a.Card.Code == "" {
		return a, skranke.E("sync.Client.Card", skranke.Internal, "the shop answered a gift card without a code")
	}
	if skranke.NormalizeCode(a.Card.Code) != skranke.NormalizeCode(code) {
		return a, skranke.E("sync.Client.Card", skranke.Internal, unreadableAnswer{fmt.Errorf("the shop answered gift card %q when asked for %s", a.Card.Code, code)})
	}
	if b := a.Card.Balance; b < 0 || b > skranke.MaxAmount || a.Card.InitialAmount < 0 || a.Card.InitialAmount > skranke.MaxAmount {
		return a, skranke.E("sync.Client.Card", skranke.Internal, unreadableAnswer{fmt.Errorf("the shop answered gift card %s with a balance of %d øre", a.Card.Code, b)})
	}
	return a, nil
}

// RedemptionBody is what the desk posts to use a gift card.
type RedemptionBody struct {
	ID     string        `json:"id"`
	Amount skranke.Money `json:"amount"`
	At     time.Time     `json:"at"`
}

// RedemptionAnswer is the shop's answer to a redemption.
type RedemptionAnswer struct {
	Redemption skranke.Redemption `json:"redemption"`
	Card       skranke.Card       `json:"card"`
	Remainder  *skranke.Card      `json:"remainder"`
}

// Redeem posts a redemption; its ID is the idempotency key.
func (cl *Client) Redeem(ctx context.Context, code, session string, body RedemptionBody) (RedemptionAnswer, error) {
	var a RedemptionAnswer
	b, err := cl.do(ctx, call{op: "sync.Client.Redeem", method: http.MethodPost, path: "/giftcards/" + url.PathEscape(code) + "/redemptions",
		body: body, idemKey: body.ID, session: session})
	if err != nil {
		return a, err
	}
	err = decode("sync.Client.Redeem", b, &a)
	return a, err
}

// CreditBody is what the desk posts to credit a purchase: an amount, or
// lines (line ID and quantity; the shop prices them).
type CreditBody struct {
	ID     string               `json:"id"`
	Amount skranke.Money        `json:"amount,omitempty"`
	Lines  []skranke.CreditLine `json:"lines,omitempty"`
	Reason string               `json:"reason"`
	At     time.Time            `json:"at"`
}

// CreditAnswer is the shop's answer to a credit.
type CreditAnswer struct {
	Credit   skranke.Credit   `json:"credit"`
	Purchase skranke.Purchase `json:"purchase"`
}

// Credit posts a credit; its ID is the idempotency key.
func (cl *Client) Credit(ctx context.Context, code, session string, body CreditBody) (CreditAnswer, error) {
	var a CreditAnswer
	b, err := cl.do(ctx, call{op: "sync.Client.Credit", method: http.MethodPost, path: "/purchases/" + url.PathEscape(code) + "/credits",
		body: body, idemKey: body.ID, session: session})
	if err != nil {
		return a, err
	}
	err = decode("sync.Client.Credit", b, &a)
	return a, err
}

// ChangesPage is one page of the changes feed. Purchases are kept as raw
// JSON as well, so the cache stores exactly what the shop sent.
type ChangesPage struct {
	Purchases []json.RawMessage `json:"purchases"`
	Cards     []json.RawMessage `json:"cards"`
	Next      int64             `json:"next"`
	More      bool              `json:"more"`

	items []pageItem     // What the cache needs of Purchases (see read).
	cards []skranke.Card // Cards, decoded.
	// cardsRefused says for each of cards why it is not filed
	// (checkFeedCard), or is empty; nil when none is refused.
	cardsRefused []string
	// scanned is what decoding the page read of each purchase on the way
	// (see validPurchase), for read; nil when encoding/json decoded it.
	scanned []scannedPurchase
}

// Changes fetches up to limit purchases and cards changed after seq since.
func (cl *Client) Changes(ctx context.Context, since int64, limit int) (ChangesPage, error) {
	b, err := cl.changesBody(ctx, since, limit)
	if err != nil {
		return ChangesPage{}, err
	}
	return readChangesPage(b)
}

// changesBody fetches a page of the changes feed as Changes does, and
// returns its body undecoded. A shop whose feed ends before since (its
// database was restored from an earlier copy) answers 410: that comes
// back as a Conflict holding a FeedRestoredError.
func (cl *Client) changesBody(ctx context.Context, since int64, limit int) ([]byte, error) {
	const op = "sync.Client.Changes"
	q := url.Values{"since": {strconv.FormatInt(since, 10)}, "limit": {strconv.Itoa(limit)}}
	b, err := cl.do(ctx, call{op: op, method: http.MethodGet, path: "/changes", query: q})
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusGone {
		return nil, skranke.E(op, skranke.Conflict, &FeedRestoredError{Since: since, Message: se.Message})
	}
	return b, err
}

// readChangesPage decodes the body of a page of the changes feed and reads
// what the cache needs of it (ChangesPage.read).
func readChangesPage(b []byte) (ChangesPage, error) {
	const op = "sync.Client.Changes"
	p, err := decodeChangesPage(b)
	if err != nil {
		return ChangesPage{}, skranke.E(op, skranke.Internal, unreadableAnswer{fmt.Errorf("the shop sent a changes page the desk cannot read (%d bytes): %w", len(b), err)})
	}
	if err := p.read(); err != nil {
		return ChangesPage{}, skranke.E(op, skranke.Internal, unreadableAnswer{fmt.Errorf("the shop sent a changes page the desk cannot file: %w", err)})
	}
	return p, nil
}

// FeedRestoredError is the shop's 410 to a changes feed request: the
// desk's cursor (Since) is beyond the feed's head, because the shop's
// database was restored from an earlier copy. The numbers after the head
// will be given to other changes, so the desk's cache must start over.
type FeedRestoredError struct {
	Since   int64
	Message string // The shop's words.
}

// Error implements the error interface.
func (e *FeedRestoredError) Error() string {
	return "the shop's changes feed went back behind this desk's cursor " + strconv.FormatInt(e.Since, 10) + ": " + e.Message
}

// DeliveriesAnswer lists the desk centre's activity in a period.
type DeliveriesAnswer struct {
	Deliveries  []skranke.Delivery   `json:"deliveries"`
	Redemptions []skranke.Redemption `json:"redemptions"`
	Credits     []skranke.Credit     `json:"credits"`
	Reversals   []skranke.Reversal   `json:"reversals"`
}

// Deliveries lists deliveries, redemptions, credits and reversals between
// from and to.
func (cl *Client) Deliveries(ctx context.Context, from, to time.Time) (DeliveriesAnswer, error) {
	var a DeliveriesAnswer
	q := url.Values{"from": {from.UTC().Format(time.RFC3339Nano)}, "to": {to.UTC().Format(time.RFC3339Nano)}}
	b, err := cl.do(ctx, call{op: "sync.Client.Deliveries", method: http.MethodGet, path: "/deliveries", query: q})
	if err != nil {
		return a, err
	}
	err = decode("sync.Client.Deliveries", b, &a)
	return a, err
}

// StaffSession is a staff member's session at the shop: proof, bound to
// this desk's token, that they gave their PIN to the shop. Staff actions
// carry its Token; the shop takes name and role from it.
type StaffSession struct {
	Token     string        `json:"token"`
	Staff     skranke.Staff `json:"staff"`
	ExpiresAt time.Time     `json:"expires_at"`
}

// OpenSession asks the shop to check a staff member's PIN and open a staff
// session. A wrong PIN fails with kind Unauthorized, a member the shop has
// locked after repeated wrong PINs with kind Locked.
func (cl *Client) OpenSession(ctx context.Context, staffID, pin string) (StaffSession, error) {
	const op = "sync.Client.OpenSession"
	var s StaffSession
	b, err := cl.do(ctx, call{op: op, method: http.MethodPost, path: "/staff/sessions",
		body: map[string]string{"staff_id": staffID, "pin": pin}, slow: true})
	if err != nil {
		return s, err
	}
	if err := decode(op, b, &s); err != nil {
		return s, err
	}
	if s.Token == "" || s.Staff.ID == "" {
		return s, skranke.E(op, skranke.Internal, "the shop opened a staff session without a token or staff member")
	}
	return s, nil
}

// EndSession ends a staff session at the shop (lock, logout, idle lock).
func (cl *Client) EndSession(ctx context.Context, session string) error {
	_, err := cl.do(ctx, call{op: "sync.Client.EndSession", method: http.MethodDelete, path: "/staff/sessions/current", session: session})
	return err
}

// Resolution is the shop's definitive word on an action whose answer was
// lost: applied, with the answer the original request got, or abandoned,
// which the shop has recorded so that the original can never apply later.
type Resolution struct {
	State  string          `json:"state"` // "applied" or "abandoned".
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// Resolve settles the action with the given idempotency key (POST
// /actions/{key}/resolve). session is the staff session of the original
// action, when the desk still has it.
func (cl *Client) Resolve(ctx context.Context, key, session string) (Resolution, error) {
	const op = "sync.Client.Resolve"
	var r Resolution
	b, err := cl.do(ctx, call{op: op, method: http.MethodPost, path: "/actions/" + url.PathEscape(key) + "/resolve",
		session: session})
	if err != nil {
		return r, err
	}
	if err := decode(op, b, &r); err != nil {
		return r, err
	}
	switch r.State {
	case "abandoned":
	case "applied":
		if len(r.Body) == 0 {
			return r, skranke.E(op, skranke.Internal, unreadableAnswer{errors.New("the shop says the action was applied but sent no answer")})
		}
	default:
		return r, skranke.E(op, skranke.Internal, unreadableAnswer{fmt.Errorf("the shop resolved action %s as %q", key, r.State)})
	}
	return r, nil
}
