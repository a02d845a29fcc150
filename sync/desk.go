package sync

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/skranke/skranke"
)

// Config says how a desk reaches its shop and where it keeps its data.
type Config struct {
	BaseURL      string        // Shop API root, such as "http://127.0.0.1:8080".
	Token        string        // The desk's bearer token.
	DataDir      string        // Where the cache database lives.
	SyncInterval time.Duration // How often the loop pulls changes; 0 means 5 s.
	Timeout      time.Duration // Per request; 0 means 5 s.
	// AllowHTTP lets BaseURL be http:// to another machine; without it
	// only https:// and http:// to loopback are accepted (CheckShopURL).
	AllowHTTP bool
	// CAFile is a PEM file of a private CA the shop's certificate may chain
	// to, besides the system's.
	CAFile string
	// BuyerRetention is how long buyer data (name, e-mail, phone) of a
	// purchase stays in the cache after it was handed over in full (or
	// stopped being deliverable); 0 means DefaultBuyerRetention.
	BuyerRetention time.Duration
	// Logger receives the progress lines of long syncs; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Lookup is the answer to a scan: the purchase, and whether it came from the
// cache because the shop could not be reached.
type Lookup struct {
	Purchase  *skranke.Purchase
	FromCache bool               // The shop was unreachable; Purchase is the cached copy.
	CachedAt  time.Time          // When the cached copy was last confirmed by the shop.
	Pending   []skranke.Delivery // Deliveries made at this desk and not yet accepted by the shop.
	// PendingReversals are deliveries undone at this desk whose undoing
	// the shop has not accepted yet; Purchase counts them as undone.
	PendingReversals []skranke.Reversal
}

// CardLookup is a gift card with its chain of parent and remainder cards.
type CardLookup struct {
	Card        *skranke.Card
	Chain       []skranke.Card
	Redemptions []skranke.Redemption
	FromCache   bool
	CachedAt    time.Time
}

// DeliverRequest asks to hand over lines of a purchase.
type DeliverRequest struct {
	Code      string
	Lines     []skranke.DeliveredLine // Empty means everything that remains.
	Staff     skranke.Staff
	Signature []byte // PNG; required when physical goods are handed over.
	IDChecked bool   // Staff checked the buyer's identity (found by search).
}

// RedeemResult is what a redemption did: the used card and the remainder card
// issued for what is left, if anything.
type RedeemResult struct {
	Redemption skranke.Redemption
	Card       skranke.Card
	Remainder  *skranke.Card
}

// Status is what the UI shows about the desk's connection to the shop.
type Status struct {
	Online bool
	// BusyUntil is set while the shop has asked the desk to wait
	// (Retry-After): the desk sends nothing and syncs again after it.
	// Online is false meanwhile; a scan answers from the cache.
	BusyUntil time.Time
	LastSync  time.Time
	Pending   int    // Actions in the outbox not yet accepted.
	Conflicts int    // Actions the shop refused, waiting for a manager.
	LastError string // The last sync error's text, for logs; empty after a success.
	// LastErr is the last sync error, nil after a success: the UI tells
	// staff its kind in their own words, never its text.
	LastErr error
	// FeedRestarted is when the desk last emptied its copy of the shop
	// and synced it from the start because the shop's database had been
	// restored from an earlier copy (zero: never).
	FeedRestarted time.Time
	// Filed counts the times the desk has filed changes from the shop's
	// changes feed (or emptied its copy of the shop) since it opened: a
	// new value means cached purchases changed, so what is counted from
	// them (the pickup hint) is worth reading again; the same value, that
	// the sync loop brought nothing new.
	Filed uint64
	// FeedRefused counts the purchases and gift cards of the shop's
	// changes feed the desk refused to file because their figures are
	// impossible (a negative price, more handed over than bought, a code
	// that is not one): a broken proxy or a forged shop. The desk keeps
	// what it had of them and asks the shop for each again, at the next
	// sync and then less and less often (up to an hour apart), until it
	// gets it whole; the log says which and why at WARN.
	FeedRefused int
}

// OutboxConflict is an outbox action the shop refused; a manager retries or discards it.
type OutboxConflict struct {
	ID      int64
	Kind    string // "delivery", "signature", "redemption", "credit", "reversal".
	Summary string // Human-readable: what was attempted, on which code.
	Reason  string // The server's message.
	At      time.Time
	StaffID string
}

// Activity is one row of the daily report: a delivery, redemption, credit
// or reversal (an undone delivery: Products and Amount are the delivery's)
// made at this desk or synced from the shop, with its sync state.
type Activity struct {
	Kind        string // "delivery", "redemption", "credit", "reversal".
	At          time.Time
	StaffID     string
	StaffName   string
	Code        string // Purchase or gift card code.
	Buyer       string
	Products    []string
	Amount      skranke.Money
	SignatureID string
	Synced      bool
	// ApproverName is the manager who approved a credit.
	ApproverName string
	// StatedByDesk marks a delivery recorded offline: no staff session
	// proved who handed it over, the desk stated it ("offline, stated by
	// the desk" in the report).
	StatedByDesk bool
}

// Desk is the desk's handle on the shop: lookups answered online or from the
// cache, actions written to the outbox and sent in order, and the sync loop.
// All methods are safe for concurrent use and none touches the UI.
type Desk struct {
	cfg Config
	c   *cache
	cl  *Client

	sendSem chan struct{} // Held while sending outbox actions, so they go one at a time, in order.
	pullMu  stdsync.Mutex // One pull of the changes feed at a time.
	pulling atomic.Int32  // Pulls of the changes feed under way: see PickupCount.
	// indexing is indexCached's transaction sizes, smaller in tests.
	indexing indexSizes
	// deliverMu makes checking what remains and queueing a delivery one
	// step, so two quick deliveries on one desk never overlap.
	deliverMu stdsync.Mutex
	kick      chan struct{} // New work: sync unless backing off.
	now       chan struct{} // SyncNow: sync at once.
	closed    chan struct{}
	once      stdsync.Once

	mu       stdsync.Mutex
	online   bool
	lastSync time.Time
	lastErr  error
	failures int       // Consecutive failed syncs, for the backoff.
	retryAt  time.Time // No automatic sync before this.
	feedOK   bool      // The last pull of the changes feed succeeded.
	// restoreChecked is when the desk last asked the shop for its last
	// delivery (checkRestored).
	restoreChecked time.Time
	// feedRestarted is when the cache last started over because the
	// shop's database was restored from an earlier copy (Desk.startOver).
	feedRestarted time.Time

	subs     map[int]chan struct{}
	nextSub  int
	inflight map[string]bool         // Idempotency keys being sent while staff wait.
	sessions map[string]staffSession // Open staff sessions by staff ID.
	// verifying holds, by staff ID, the offline PIN verifiers an online
	// login is deriving and storing; each channel closes once it is stored.
	verifying map[string]chan struct{}
	deriving  chan struct{} // One slot: one verifier derived at a time.

	// filed is Status.Filed.
	filed atomic.Uint64
	// lastSyncKept, under mu, is the last sync's time as last written to
	// the cache (keepLastSync).
	lastSyncKept time.Time

	// busyUntil, under mu, is when the shop said it may be asked again
	// (Retry-After on a 429 or 503): the loop neither syncs nor sends
	// before it.
	busyUntil time.Time
}

// Open opens (creating if needed) the cache in cfg.DataDir and returns a desk.
// It does not contact the shop; call Run to start syncing.
func Open(ctx context.Context, cfg Config) (*Desk, error) {
	if cfg.DataDir == "" {
		return nil, skranke.E("sync.Open", skranke.Invalid, "no data directory configured")
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 5 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BaseURL != "" { // None yet (first start): the desk works from its cache.
		if err := CheckShopURL(cfg.BaseURL, cfg.AllowHTTP); err != nil {
			return nil, skranke.E("sync.Open", skranke.KindOf(err), err)
		}
	}
	cas, err := LoadCAFile(cfg.CAFile)
	if err != nil {
		return nil, skranke.E("sync.Open", skranke.KindOf(err), err)
	}
	if cfg.BuyerRetention <= 0 {
		cfg.BuyerRetention = DefaultBuyerRetention
	}
	c, err := openCache(ctx, filepath.Join(cfg.DataDir, CacheFile))
	if err != nil {
		return nil, err
	}
	d := &Desk{
		cfg:       cfg,
		c:         c,
		cl:        NewClient(cfg.BaseURL, cfg.Token, ClientOptions{Timeout: cfg.Timeout, RootCAs: cas}),
		sendSem:   make(chan struct{}, 1),
		kick:      make(chan struct{}, 1),
		now:       make(chan struct{}, 1),
		closed:    make(chan struct{}),
		subs:      map[int]chan struct{}{},
		inflight:  map[string]bool{},
		sessions:  map[string]staffSession{},
		verifying: map[string]chan struct{}{},
		deriving:  make(chan struct{}, 1),
		indexing:  indexSizes{batch: indexBatchRows, staff: indexStaffRows, bulkAfter: indexBulkAfter, bulk: indexBulkRows},
	}
	if v, _ := c.meta(ctx, "last_sync"); v != "" {
		d.lastSync, _ = time.Parse(time.RFC3339Nano, v)
	}
	if v, _ := c.meta(ctx, "feed_restarted"); v != "" {
		d.feedRestarted, _ = time.Parse(time.RFC3339Nano, v)
	}
	if _, err := c.prune(ctx, time.Now().Add(-OutboxRetention)); err != nil {
		slog.Warn("prune outbox", "err", err) // Housekeeping only.
	}
	return d, nil
}

// Close stops the desk's background work and closes the cache.
func (d *Desk) Close() error {
	var err error
	d.once.Do(func() {
		d.endAllSessions(context.Background())
		close(d.closed)
		// Wait for a send in progress so its outcome is recorded.
		select {
		case d.sendSem <- struct{}{}:
		case <-time.After(d.cfg.Timeout):
		}
		d.verifiersStored(context.Background(), "")
		d.pullMu.Lock()
		d.mu.Lock()
		last, kept := d.lastSync, d.lastSyncKept
		d.lastSyncKept = last
		d.mu.Unlock()
		if last.After(kept) {
			d.keepLastSync(last) // afterSync keeps it once a minute.
		}
		err = d.c.close()
		d.pullMu.Unlock()
	})
	return err
}

// Client returns the desk's shop API client.
func (d *Desk) Client() *Client { return d.cl }

// Status reports the connection and outbox state for the UI.
func (d *Desk) Status() Status {
	d.mu.Lock()
	s := Status{Online: d.online, LastSync: d.lastSync, LastErr: d.lastErr, FeedRestarted: d.feedRestarted, Filed: d.filed.Load()}
	if d.lastErr != nil {
		s.LastError = d.lastErr.Error()
	}
	if time.Now().Before(d.busyUntil) {
		s.BusyUntil = d.busyUntil
	}
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = d.c.getStatus.QueryRowContext(ctx).Scan(&s.Pending, &s.Conflicts, &s.FeedRefused)
	return s
}

// Subscribe returns a channel that receives a value whenever Status or cached
// data changes; cancel with the returned func.
func (d *Desk) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	d.mu.Lock()
	id := d.nextSub
	d.nextSub++
	d.subs[id] = ch
	d.mu.Unlock()
	var once stdsync.Once
	return ch, func() {
		once.Do(func() {
			d.mu.Lock()
			delete(d.subs, id)
			d.mu.Unlock()
		})
	}
}

func (d *Desk) notify() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range d.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// noteReach records whether the shop answered: any answer, even a refusal,
// means it is online, unless it asked the desk to wait (Retry-After): then
// the desk counts it as away until then, and neither syncs nor sends
// before. Any other answer ends such a wait.
func (d *Desk) noteReach(err error) {
	online := err == nil || !(skranke.KindOf(err) == skranke.Unavailable)
	ra := waitAsked(err)
	d.mu.Lock()
	now := time.Now()
	busy := now.Before(d.busyUntil)
	switch {
	case ra > 0:
		online = false
		if until := now.Add(ra); until.After(d.busyUntil) {
			d.busyUntil = until
		}
		if !busy {
			slog.Info("the shop asked the desk to wait", "seconds", ra.Seconds(), "err", err)
		}
	case online:
		// An answer that does not ask to wait: the shop takes requests.
		d.busyUntil = time.Time{}
	}
	changed := d.online != online || (ra > 0) != busy
	d.online = online
	back := online && d.failures > 0
	if back {
		// The shop answered again: no reason to wait out the backoff.
		d.retryAt = time.Time{}
	}
	d.mu.Unlock()
	if changed {
		d.notify()
	}
	if back {
		d.kickLoop()
	}
}

// busyErr returns an error of kind Unavailable carrying a *BusyError while
// the shop has asked the desk to wait, or nil.
func (d *Desk) busyErr(op string) error {
	d.mu.Lock()
	until := d.busyUntil
	d.mu.Unlock()
	if !time.Now().Before(until) {
		return nil
	}
	return skranke.E(op, skranke.Unavailable, &BusyError{Until: until})
}

// isOnline reports whether the shop answered last time it was asked.
func (d *Desk) isOnline() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.online
}

func (d *Desk) isInflight(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inflight[key]
}

func (d *Desk) setInflight(key string, on bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if on {
		d.inflight[key] = true
	} else {
		delete(d.inflight, key)
	}
}

// backingOff reports whether the last sync failed recently enough that the
// shop should not be bothered yet.
func (d *Desk) backingOff() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	return d.failures > 0 && now.Before(d.retryAt) || now.Before(d.busyUntil)
}

func (d *Desk) interactiveCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.cfg.Timeout)
}

// DeskInfo returns this desk and its centre (cached after the first success).
func (d *Desk) DeskInfo(ctx context.Context) (skranke.DeskInfo, skranke.Centre, error) {
	var v struct {
		Desk   skranke.DeskInfo `json:"desk"`
		Centre skranke.Centre   `json:"centre"`
	}
	cctx, cancel := d.interactiveCtx(ctx)
	defer cancel()
	di, c, err := d.cl.Desk(cctx)
	d.noteReach(err)
	if err == nil {
		v.Desk, v.Centre = di, c
		b, _ := json.Marshal(v)
		if werr := d.c.write(ctx, "sync.Desk.DeskInfo", func(tx *sql.Tx) error { return setMeta(ctx, tx, "desk", string(b)) }); werr != nil {
			slog.Warn("cache desk info", "err", werr)
		}
		return di, c, nil
	}
	if !(skranke.KindOf(err) == skranke.Unavailable) && !(skranke.KindOf(err) == skranke.Internal) {
		return skranke.DeskInfo{}, skranke.Centre{}, err
	}
	s, merr := d.c.meta(ctx, "desk")
	if merr != nil || s == "" {
		return skranke.DeskInfo{}, skranke.Centre{}, err
	}
	if json.Unmarshal([]byte(s), &v) != nil {
		return skranke.DeskInfo{}, skranke.Centre{}, err
	}
	return v.Desk, v.Centre, nil
}

func (d *Desk) cachedDesk(ctx context.Context) skranke.DeskInfo {
	var v struct {
		Desk skranke.DeskInfo `json:"desk"`
	}
	if s, _ := d.c.meta(ctx, "desk"); s != "" {
		_ = json.Unmarshal([]byte(s), &v)
	}
	return v.Desk
}

// Staff lists the centre's staff, from the shop or the cache.
func (d *Desk) Staff(ctx context.Context) ([]skranke.Staff, error) {
	cctx, cancel := d.interactiveCtx(ctx)
	defer cancel()
	staff, err := d.refreshStaff(cctx)
	if err == nil {
		return staff, nil
	}
	if !(skranke.KindOf(err) == skranke.Unavailable) && !(skranke.KindOf(err) == skranke.Internal) {
		return nil, err
	}
	cached, cerr := d.cachedStaff(ctx)
	if cerr != nil {
		return nil, cerr
	}
	if len(cached) == 0 {
		return nil, err
	}
	return cached, nil
}

func (d *Desk) refreshStaff(ctx context.Context) ([]skranke.Staff, error) {
	staff, err := d.cl.Staff(ctx)
	d.noteReach(err)
	if err != nil {
		return nil, err
	}
	err = d.c.write(ctx, "sync.Desk.refreshStaff", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM staff"); err != nil {
			return err
		}
		for _, s := range staff {
			// Only who may log in: whatever else an older shop sends about
			// PINs stays out of the cache.
			b, _ := json.Marshal(skranke.Staff{ID: s.ID, Name: s.Name, Role: s.Role, CentreID: s.CentreID})
			if _, err := tx.ExecContext(ctx, "INSERT INTO staff(id, body) VALUES(?, ?)", s.ID, b); err != nil {
				return err
			}
		}
		return nil
	})
	return staff, err
}

func (d *Desk) cachedStaff(ctx context.Context) ([]skranke.Staff, error) {
	rows, err := d.c.r.QueryContext(ctx, "SELECT body FROM staff ORDER BY id")
	if err != nil {
		return nil, skranke.E("sync.Desk.cachedStaff", skranke.Internal, err)
	}
	defer rows.Close()
	var out []skranke.Staff
	for rows.Next() {
		var b []byte
		var s skranke.Staff
		if err := rows.Scan(&b); err != nil {
			return nil, skranke.E("sync.Desk.cachedStaff", skranke.Internal, err)
		}
		if json.Unmarshal(b, &s) == nil {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

// Lookup finds a purchase by reference code: from the shop, or from the cache
// when the shop is unreachable (Lookup.FromCache).
func (d *Desk) Lookup(ctx context.Context, code string) (Lookup, error) {
	const op = "sync.Desk.Lookup"
	code = skranke.NormalizeCode(code)
	if code == "" {
		return Lookup{}, skranke.E(op, skranke.Invalid, "no code")
	}
	// Staff wait for this: the feed pauses while it runs.
	defer d.c.gate.deskAction()()
	start := time.Now()
	var shopTook, overlayTook time.Duration
	type answer struct {
		l   Lookup
		raw []byte // The shop's JSON, stored as it came.
	}
	a, fromCache, err := readThrough(ctx, d, op, "purchase "+code,
		func(ctx context.Context) (answer, error) {
			t := time.Now()
			p, raw, err := d.cl.Purchase(ctx, code)
			shopTook = time.Since(t)
			return answer{Lookup{Purchase: p}, raw}, err
		},
		func(w *writer, a answer) error {
			// The shop's answer ends in a newline; the feed's copies do
			// not, and the copy kept is compared with them.
			raw := bytes.TrimSpace(a.raw)
			if same, err := w.confirmCached(a.l.Purchase, raw); same || err != nil {
				return err
			}
			return w.putPurchase(a.l.Purchase, raw)
		},
		func() (answer, bool, error) {
			l, ok, err := d.cached(ctx, code)
			return answer{l: l}, ok, err
		})
	if err != nil {
		return Lookup{}, err
	}
	if fromCache {
		return a.l, nil
	}
	kept := time.Since(start)
	l := a.l
	l.CachedAt = time.Now().UTC()
	t := time.Now()
	if err := d.c.overlayPending(ctx, &l); err != nil {
		return Lookup{}, err
	}
	overlayTook = time.Since(t)
	d.traceScan(ctx, shopTook, kept-shopTook, overlayTook)
	d.notify()
	return l, nil
}

// Attend marks a moment staff wait for at the desk, such as a scan until
// its purchase is on screen, and returns the function that ends it (call
// it once; later calls do nothing). Meanwhile the changes feed and the
// indexing after it pause between rows, for at most deskPauseLimit, as they
// do for the desk's own lookups: on a two-core desk PC their CPU would
// otherwise hold back what paints the screen.
func (d *Desk) Attend() (done func()) { return d.c.gate.deskAction() }

// traceScan logs, at debug level, where the time of a scan answered by the
// shop went: the shop's round trip, keeping its copy in the cache (a
// hand-off to the feed, or a write of its own), and reading what the
// outbox adds, so that a slow scan during a sync can be told apart.
func (d *Desk) traceScan(ctx context.Context, shop, keep, overlay time.Duration) {
	if !d.cfg.Logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	d.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "scan timing",
		slog.Duration("shop", shop), slog.Duration("keep", keep), slog.Duration("overlay", overlay))
}

// readThrough is how the desk looks things up: it asks the shop with fetch
// and keeps the answer in the cache, or, when the shop cannot be reached or
// fails, answers from the cache with cached (fromCache true). The shop gets
// the desk's request timeout, but at most a second while the last sync
// failed a moment ago: a scan should not wait for a shop that just failed
// when the cache can answer at once. what names the item for messages
// ("purchase K7RM4QX2").
func readThrough[T any](ctx context.Context, d *Desk, op, what string,
	fetch func(context.Context) (T, error),
	keep func(*writer, T) error,
	cached func() (T, bool, error),
) (v T, fromCache bool, err error) {
	timeout := d.cfg.Timeout
	if d.backingOff() {
		timeout = min(timeout, time.Second)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	v, err = fetch(cctx)
	cancel()
	d.noteReach(err)
	if err == nil {
		// The shop's copy: it can be fetched again, so no fsync for it.
		// During a feed batch it goes into the batch's transaction: a
		// scan does not wait for the batch to commit.
		if d.c.gate.handOff(func(w *writer) error { return keep(w, v) }) {
			return v, false, nil
		}
		werr := d.c.writeRelaxed(ctx, op, func(tx *sql.Tx) error {
			w, err := newWriter(ctx, tx)
			if err != nil {
				return err
			}
			return keep(w, v)
		})
		switch {
		case werr == nil:
		case ctx.Err() != nil:
			// The scan was left (the next one came, the desk is closing)
			// while its copy waited for the writer: the next sync brings it.
			slog.Debug("cache lookup left", "what", what, "err", werr)
		default:
			// The answer is still good to show; the cache only missed a copy.
			slog.Warn("cache lookup", "what", what, "err", werr)
		}
		return v, false, nil
	}
	refused := refusedForAWhile(err)
	if k := skranke.KindOf(err); k != skranke.Unavailable && k != skranke.Internal && !refused {
		return v, false, err
	}
	v, ok, cerr := cached()
	if cerr != nil {
		return v, false, cerr
	}
	if !ok && refused {
		return v, false, err // Staff read that the shop refuses the desk, not that it is away.
	}
	if !ok {
		return v, false, skranke.E(op, skranke.Unavailable, fmt.Errorf("%s is not on this desk and the shop cannot be asked: %w", what, err))
	}
	return v, true, nil
}

// refusedForAWhile reports whether the shop refused the request for a
// while without judging it: 429 (too many wrong desk tokens from the
// desk's address, which behind a load balancer is everyone's). What the
// desk has cached is then still worth showing.
func refusedForAWhile(err error) bool {
	var se *StatusError
	return skranke.KindOf(err) == skranke.Locked || errors.As(err, &se) && se.Status == http.StatusTooManyRequests
}

// sqlConfirmCached notes that the shop confirmed the cached copy of a
// purchase now: only when that copy is the shop's, byte for byte, and
// indexed.
const sqlConfirmCached = `UPDATE purchases SET cached_at = ? WHERE code = ? AND seq = ? AND body = ?
AND NOT EXISTS (SELECT 1 FROM unindexed WHERE purchase = purchases.rowid)`

// confirmCached keeps the shop's copy p of a purchase (raw its JSON) when
// the cache holds that very copy, and reports whether it did: it then
// notes only when the shop confirmed it (the age a desk offline shows).
// Stored again, the copy would be indexed for the search, the pickup list
// and the month again, and most scans are of a purchase the sync brought
// unchanged: FTS5's merges of those index entries were most of a scan's
// CPU after the shop's round trip.
func (w *writer) confirmCached(p *skranke.Purchase, raw []byte) (bool, error) {
	if p == nil || len(raw) == 0 {
		return false, nil
	}
	res, err := w.tx.ExecContext(w.ctx, sqlConfirmCached, w.now, p.Code, p.Seq, raw)
	if err != nil {
		return false, fmt.Errorf("confirm cached purchase %s: %w", p.Code, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Cached answers a lookup from the cache alone, without asking the shop.
func (d *Desk) Cached(ctx context.Context, code string) (Lookup, error) {
	code = skranke.NormalizeCode(code)
	l, ok, err := d.cached(ctx, code)
	if err != nil {
		return Lookup{}, err
	}
	if !ok {
		return Lookup{}, skranke.E("sync.Desk.Cached", skranke.NotFound, fmt.Sprintf("purchase %s is not on this desk", code))
	}
	return l, nil
}

func (d *Desk) cached(ctx context.Context, code string) (Lookup, bool, error) {
	p, at, ok, err := d.c.cachedPurchase(ctx, code)
	if err != nil || !ok {
		return Lookup{}, false, err
	}
	l := Lookup{Purchase: p, FromCache: true, CachedAt: at}
	if err := d.c.overlayPending(ctx, &l); err != nil {
		return Lookup{}, false, err
	}
	return l, true, nil
}

// Deliver records a delivery in the outbox and the cache in one transaction and
// returns the delivery and the purchase as the desk now sees it. It succeeds
// offline; the outbox sends it when the shop is back.
//
// When the shop is reachable the delivery is sent at once, and a refusal
// (over-delivery, purchase not payable) comes back as the error, with the
// purchase as the shop sees it. Offline, the returned purchase includes the
// delivery, which Lookup reports in Pending until the shop accepts it.
func (d *Desk) Deliver(ctx context.Context, req DeliverRequest) (skranke.Delivery, *skranke.Purchase, error) {
	const op = "sync.Desk.Deliver"
	code := skranke.NormalizeCode(req.Code)
	if code == "" {
		return skranke.Delivery{}, nil, skranke.E(op, skranke.Invalid, "no purchase code")
	}
	if req.Staff.ID == "" {
		return skranke.Delivery{}, nil, skranke.E(op, skranke.Unauthorized, "log in before handing over")
	}
	_, known, err := d.cached(ctx, code)
	if err != nil {
		return skranke.Delivery{}, nil, err
	}
	if !known {
		if _, err = d.Lookup(ctx, code); err != nil {
			return skranke.Delivery{}, nil, err
		}
		// The copy may have gone into a feed batch: have it committed.
		if err := d.c.write(ctx, op, func(*sql.Tx) error { return nil }); err != nil {
			return skranke.Delivery{}, nil, err
		}
	}
	d.deliverMu.Lock()
	locked := true
	defer func() {
		if locked {
			d.deliverMu.Unlock()
		}
	}()
	p, lines, err := d.deliverable(ctx, op, code, req.Lines)
	if k := skranke.KindOf(err); (k == skranke.NotPayable || k == skranke.Conflict) && p != nil && !d.backingOff() {
		// The desk's copy refuses what staff chose on the shop's answer
		// to their scan: the copy may be behind it, since that answer
		// waits in the changes feed's open transaction while a pull
		// runs (writeGate.handOff), and stays behind when that
		// transaction is lost. Ask the shop again, have its answer
		// committed, and check that.
		d.deliverMu.Unlock()
		locked = false
		if _, lerr := d.Lookup(ctx, code); lerr == nil {
			if werr := d.c.write(ctx, op, func(*sql.Tx) error { return nil }); werr != nil {
				return skranke.Delivery{}, p, werr
			}
		}
		d.deliverMu.Lock()
		locked = true
		p, lines, err = d.deliverable(ctx, op, code, req.Lines)
	}
	if err != nil {
		return skranke.Delivery{}, p, err
	}
	qty := map[string]int{}
	for _, dl := range lines {
		qty[dl.LineID] += dl.Quantity
	}
	needSig := p.NeedsSignature(qty)
	if needSig && len(req.Signature) == 0 {
		return skranke.Delivery{}, p, skranke.E(op, skranke.Invalid, "the buyer must sign for physical goods")
	}
	if len(req.Signature) > 0 {
		if len(req.Signature) > skranke.MaxSignatureSize {
			return skranke.Delivery{}, p, skranke.E(op, skranke.Invalid, fmt.Sprintf("signature image is too large (%d bytes, at most %d)", len(req.Signature), skranke.MaxSignatureSize))
		}
		if !bytes.HasPrefix(req.Signature, []byte("\x89PNG\r\n\x1a\n")) {
			return skranke.Delivery{}, p, skranke.E(op, skranke.Invalid, "signature is not a PNG image")
		}
	}
	del := skranke.Delivery{
		ID:           uuid.NewString(),
		PurchaseCode: code,
		Lines:        lines,
		DeskID:       d.cachedDesk(ctx).ID,
		StaffID:      req.Staff.ID,
		StaffName:    req.Staff.Name,
		At:           time.Now().UTC().Truncate(time.Millisecond),
		IDChecked:    req.IDChecked,
	}
	if len(req.Signature) > 0 {
		del.SignatureID = uuid.NewString()
	}
	db := DeliveryBody{ID: del.ID, Lines: del.Lines, At: del.At, SignatureID: del.SignatureID, IDChecked: del.IDChecked}
	if d.session(req.Staff.ID) == "" {
		// Logged in offline: no session proves who hands over, so the
		// shop records it as stated by the desk.
		db.RecordedOffline, db.StatedBy = true, req.Staff.ID
		del.StatedByDesk = true
	}
	body, _ := json.Marshal(db)
	act := deliveryActivity(p, &del, false)
	row := outboxRow{Kind: kindDelivery, Key: del.ID, Code: code, Method: http.MethodPost,
		Path: "/purchases/" + url.PathEscape(code) + "/deliveries", CType: "application/json", Body: body, StaffID: req.Staff.ID,
		State: statePending, Summary: fmt.Sprintf("Delivery of %s on %s", strings.Join(act.Products, ", "), code)}
	err = d.c.write(ctx, op, func(tx *sql.Tx) error {
		if del.SignatureID != "" {
			if _, err := tx.ExecContext(ctx, "INSERT INTO signatures(id, png) VALUES(?, ?)", del.SignatureID, req.Signature); err != nil {
				return err
			}
			sig := outboxRow{Kind: kindSignature, Key: del.SignatureID, Code: code, Method: http.MethodPut,
				Path: "/signatures/" + url.PathEscape(del.SignatureID), CType: "image/png", Body: []byte{}, StaffID: req.Staff.ID,
				State: statePending, Summary: "Signature for a delivery on " + code}
			if err := insertOutbox(ctx, tx, &sig); err != nil {
				return err
			}
			row.DependsOn = sig.ID
		}
		if err := insertOutbox(ctx, tx, &row); err != nil {
			return err
		}
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		return w.putActivity(act)
	})
	d.deliverMu.Unlock()
	locked = false
	if err != nil {
		return skranke.Delivery{}, p, err
	}
	d.notify()

	// Send at once if the shop is there and nothing older waits, so staff
	// hear of a refusal now. A backlog is the loop's work.
	first := row.ID
	if row.DependsOn != 0 {
		first = row.DependsOn
	}
	if out, sent := d.sendAtOnce(ctx, row.ID, first); sent {
		if out.err != nil {
			// The delivery did not happen; take it out of the report.
			return skranke.Delivery{}, d.forgetRefused(ctx, op, del.ID, p, out.err), out.err
		}
		a := out.answer.(DeliveryAnswer)
		return a.Delivery, &a.Purchase, nil
	}
	nl, _, err := d.cached(ctx, code)
	if err != nil || nl.Purchase == nil {
		overlay(p, []skranke.Delivery{del})
		return del, p, nil
	}
	return del, nl.Purchase, nil
}

// deliverable reads the purchase with code from the cache, with what the
// outbox adds, and checks that want (empty: everything that remains) can be
// handed over; it returns the purchase read and the lines to hand over.
func (d *Desk) deliverable(ctx context.Context, op, code string, want []skranke.DeliveredLine) (*skranke.Purchase, []skranke.DeliveredLine, error) {
	l, ok, err := d.cached(ctx, code)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, skranke.E(op, skranke.Internal, "purchase "+code+" vanished from the cache")
	}
	p := l.Purchase
	if !p.Status.Deliverable() {
		return p, nil, skranke.E(op, skranke.NotPayable, fmt.Sprintf("purchase %s is %s; it cannot be handed over", code, p.Status))
	}
	lines, err := resolveLines(p, want)
	return p, lines, err
}

// resolveLines turns a request's lines into explicit quantities, checked
// against what remains; empty means everything that remains.
func resolveLines(p *skranke.Purchase, req []skranke.DeliveredLine) ([]skranke.DeliveredLine, error) {
	if len(req) == 0 {
		var all []skranke.DeliveredLine
		for _, l := range p.Lines {
			if r := l.Remaining(); r > 0 {
				all = append(all, skranke.DeliveredLine{LineID: l.ID, Quantity: r})
			}
		}
		if len(all) == 0 {
			return nil, skranke.E("sync.resolveLines", skranke.Conflict, fmt.Sprintf("everything on %s has been handed over already", p.Code))
		}
		return all, nil
	}
	want := map[string]int{}
	var order []string
	for _, dl := range req {
		if dl.Quantity <= 0 {
			return nil, skranke.E("sync.resolveLines", skranke.Invalid, "quantities must be positive")
		}
		if _, ok := want[dl.LineID]; !ok {
			order = append(order, dl.LineID)
		}
		want[dl.LineID] += dl.Quantity
	}
	var out []skranke.DeliveredLine
	for _, id := range order {
		var line *skranke.Line
		for i := range p.Lines {
			if p.Lines[i].ID == id {
				line = &p.Lines[i]
			}
		}
		if line == nil {
			return nil, skranke.E("sync.resolveLines", skranke.Invalid, fmt.Sprintf("purchase %s has no line %s", p.Code, id))
		}
		if want[id] > line.Remaining() {
			return nil, skranke.E("sync.resolveLines", skranke.Conflict, fmt.Sprintf("only %d of %s remain to hand over", line.Remaining(), line.Name))
		}
		out = append(out, skranke.DeliveredLine{LineID: id, Quantity: want[id]})
	}
	return out, nil
}

// Signature returns the PNG of a signature: the desk's own copy while the
// shop does not have it yet, else the shop's, which the shop shows to
// managers only (so a manager must be logged in). The desk keeps no copy
// of a signature the shop has (docs/privacy.md).
func (d *Desk) Signature(ctx context.Context, id string) ([]byte, error) {
	var png []byte
	err := d.c.r.QueryRowContext(ctx, "SELECT png FROM signatures WHERE id = ?", id).Scan(&png)
	if err == nil {
		return png, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, skranke.E("sync.Desk.Signature", skranke.Internal, err)
	}
	cctx, cancel := d.interactiveCtx(ctx)
	defer cancel()
	png, err = d.cl.Signature(cctx, id, d.managerSession())
	d.noteReach(err)
	return png, err
}

// Card looks up a gift card with its chain.
func (d *Desk) Card(ctx context.Context, code string) (CardLookup, error) {
	const op = "sync.Desk.Card"
	code = skranke.NormalizeCode(code)
	if code == "" {
		return CardLookup{}, skranke.E(op, skranke.Invalid, "no code")
	}
	defer d.c.gate.deskAction()()
	cl, fromCache, err := readThrough(ctx, d, op, "gift card "+code,
		func(ctx context.Context) (CardLookup, error) {
			a, err := d.cl.Card(ctx, code)
			return CardLookup{Card: &a.Card, Chain: a.Chain, Redemptions: a.Redemptions}, err
		},
		func(w *writer, cl CardLookup) error {
			if err := w.putCard(cl.Card); err != nil {
				return err
			}
			for i := range cl.Chain {
				if err := w.putCard(&cl.Chain[i]); err != nil {
					return err
				}
			}
			for i := range cl.Redemptions {
				if err := w.putRedemption(&cl.Redemptions[i], true); err != nil {
					return err
				}
			}
			return nil
		},
		func() (CardLookup, bool, error) {
			card, at, ok, err := d.c.cachedCard(ctx, code)
			if err != nil || !ok {
				return CardLookup{}, ok, err
			}
			chain, _ := d.c.cachedChain(ctx, card)
			codes := make([]string, len(chain))
			for i := range chain {
				codes[i] = chain[i].Code
			}
			reds, _ := d.c.cachedRedemptions(ctx, codes)
			return CardLookup{Card: card, Chain: chain, Redemptions: reds, FromCache: true, CachedAt: at}, true, nil
		})
	if err != nil {
		return CardLookup{}, err
	}
	if !fromCache {
		cl.CachedAt = time.Now().UTC()
	}
	return cl, nil
}

// Redeem uses amount of a gift card. It needs the shop: offline it fails with
// kind Unavailable, and nothing is queued, because the customer must know
// at once whether the card paid.
//
// The redemption is written to the outbox before it is sent, so that an
// answer lost on the way back is settled later by asking the shop.
func (d *Desk) Redeem(ctx context.Context, code string, amount skranke.Money, staff skranke.Staff) (RedeemResult, error) {
	const op = "sync.Desk.Redeem"
	code = skranke.NormalizeCode(code)
	switch {
	case code == "":
		return RedeemResult{}, skranke.E(op, skranke.Invalid, "no gift card code")
	case amount <= 0:
		return RedeemResult{}, skranke.E(op, skranke.Invalid, "the amount must be more than kr 0,00")
	case staff.ID == "":
		return RedeemResult{}, skranke.E(op, skranke.Unauthorized, "log in before using a gift card")
	case d.session(staff.ID) == "" && d.isOnline():
		return RedeemResult{}, skranke.E(op, skranke.Unauthorized, errNoSession)
	}
	body := RedemptionBody{ID: uuid.NewString(), Amount: amount, At: time.Now().UTC().Truncate(time.Millisecond)}
	ans, err := d.sendNow(ctx, op, kindRedemption, code, "/giftcards/"+url.PathEscape(code)+"/redemptions", body.ID, body, staff,
		fmt.Sprintf("Use %s of gift card %s", amount, code), "")
	if err != nil {
		switch {
		case skranke.KindOf(err) == skranke.Unknown:
			// The ID lets the caller ask Outcome what the shop did.
			return RedeemResult{Redemption: skranke.Redemption{ID: body.ID, CardCode: code, Amount: amount, At: body.At}},
				skranke.E(op, skranke.Unknown, fmt.Errorf("the shop did not answer; whether the card was charged is being checked: %w", err))
		case skranke.KindOf(err) == skranke.Unavailable:
			return RedeemResult{}, skranke.E(op, skranke.Unavailable, fmt.Errorf("a gift card can only be used while the shop is reachable; the card was not charged: %w", err))
		}
		return RedeemResult{}, err
	}
	return RedeemResult(ans.(RedemptionAnswer)), nil
}

// CreditOrder is what a credit gives back: an Amount, or Units keyed by line
// ID (the shop prices them), and why. Staff who are not managers need a
// manager's Approval.
type CreditOrder struct {
	Amount   skranke.Money
	Units    map[string]int
	Reason   string
	Approval *Approval
}

// Approval is a manager's approval, given with their PIN at the shop, of one
// action of staff who are not managers. It is used once: the action that
// carries it ends it.
type Approval struct {
	Manager skranke.Staff
	token   string
}

// Approve checks a manager's PIN at the shop, which counts a wrong one
// against the manager's lockout as at login, and returns their approval for
// one credit. A wrong PIN fails with kind Unauthorized, a locked name with
// kind Locked, someone who is not a manager with kind Forbidden, and an
// unreachable shop with kind Unavailable: a credit needs the shop anyway.
func (d *Desk) Approve(ctx context.Context, managerID, pin string) (*Approval, error) {
	const op = "sync.Desk.Approve"
	if managerID == "" || pin == "" {
		return nil, skranke.E(op, skranke.Unauthorized, "choose the manager and give their PIN")
	}
	cctx, cancel := context.WithTimeout(ctx, max(4*d.cfg.Timeout, LoginTimeout))
	s, err := d.cl.OpenSession(cctx, managerID, pin)
	cancel()
	d.noteReach(err)
	switch k := skranke.KindOf(err); {
	case err == nil:
	case k == skranke.Unauthorized:
		return nil, skranke.E(op, skranke.Unauthorized, "wrong PIN for the manager")
	case k == skranke.Internal:
		return nil, skranke.E(op, skranke.Unavailable, err)
	default:
		return nil, skranke.E(op, k, err)
	}
	if s.Staff.Role != skranke.RoleManager {
		_ = d.endAtShop(ctx, s.Token)
		return nil, skranke.E(op, skranke.Forbidden, s.Staff.Name+" is not a manager and cannot approve")
	}
	return &Approval{Manager: s.Staff, token: s.Token}, nil
}

// EndApproval withdraws an approval that will not be used (the credit was
// cancelled), ending the manager's session at the shop. Ending one twice,
// or nil, does nothing.
func (d *Desk) EndApproval(ctx context.Context, a *Approval) { a.end(ctx, d) }

// end ends the approval's session at the shop.
func (a *Approval) end(ctx context.Context, d *Desk) {
	if a != nil && a.token != "" {
		_ = d.endAtShop(context.WithoutCancel(ctx), a.token)
		a.token = ""
	}
}

// Credit gives back o.Amount, or o.Units of the purchase's lines, with a
// reason. staff must be a manager, or o must carry a manager's approval,
// which Credit ends. Like Redeem it needs the shop's confirmation and is
// not queued: offline it fails with kind Unavailable.
func (d *Desk) Credit(ctx context.Context, code string, o CreditOrder, staff skranke.Staff) (skranke.Credit, error) {
	const op = "sync.Desk.Credit"
	defer o.Approval.end(ctx, d)
	code = skranke.NormalizeCode(code)
	var lines []skranke.CreditLine
	for id, n := range o.Units {
		if n > 0 {
			lines = append(lines, skranke.CreditLine{LineID: id, Quantity: n})
		}
	}
	slices.SortFunc(lines, func(a, b skranke.CreditLine) int { return strings.Compare(a.LineID, b.LineID) })
	switch {
	case code == "":
		return skranke.Credit{}, skranke.E(op, skranke.Invalid, "no purchase code")
	case len(lines) > 0 && o.Amount != 0:
		return skranke.Credit{}, skranke.E(op, skranke.Invalid, "credit either an amount or lines, not both")
	case len(lines) == 0 && o.Amount <= 0:
		return skranke.Credit{}, skranke.E(op, skranke.Invalid, "the amount must be more than kr 0,00")
	case strings.TrimSpace(o.Reason) == "":
		return skranke.Credit{}, skranke.E(op, skranke.Invalid, "give a reason for the credit")
	case staff.Role != skranke.RoleManager && (o.Approval == nil || o.Approval.token == ""):
		return skranke.Credit{}, skranke.E(op, skranke.Forbidden, "only a manager can credit a purchase, or staff with a manager's approval")
	case d.session(staff.ID) == "" && d.isOnline():
		return skranke.Credit{}, skranke.E(op, skranke.Unauthorized, errNoSession)
	}
	body := CreditBody{ID: uuid.NewString(), Amount: o.Amount, Lines: lines, Reason: o.Reason, At: time.Now().UTC().Truncate(time.Millisecond)}
	what := o.Amount.String()
	if len(lines) > 0 {
		what = fmt.Sprintf("%d lines", len(lines))
	}
	var approver string
	if staff.Role != skranke.RoleManager {
		approver = o.Approval.token
	}
	ans, err := d.sendNow(ctx, op, kindCredit, code, "/purchases/"+url.PathEscape(code)+"/credits", body.ID, body, staff,
		fmt.Sprintf("Credit %s on %s: %s", what, code, o.Reason), approver)
	if err != nil {
		switch {
		case skranke.KindOf(err) == skranke.Unknown:
			return skranke.Credit{ID: body.ID, PurchaseCode: code, Amount: o.Amount, Lines: lines, Reason: o.Reason, At: body.At},
				skranke.E(op, skranke.Unknown, fmt.Errorf("the shop did not answer; whether the purchase was credited is being checked: %w", err))
		case skranke.KindOf(err) == skranke.Unavailable:
			return skranke.Credit{}, skranke.E(op, skranke.Unavailable, fmt.Errorf("a credit needs the shop's confirmation and the shop is not reachable; nothing was credited: %w", err))
		}
		return skranke.Credit{}, err
	}
	return ans.(CreditAnswer).Credit, nil
}

// errNoSession says why a redemption or credit is refused to staff who
// logged in while the shop was away.
const errNoSession = "this needs a login at the shop: you logged in while the shop could not be reached; log out and in again"

// sendNow records an online-only action in the outbox as sending, sends it,
// and records the outcome.
// approver is the session token of a manager approving the action, or "":
// it goes with this one send only, never into the outbox.
func (d *Desk) sendNow(ctx context.Context, op, kind, code, path, key string, body any, staff skranke.Staff, summary, approver string) (any, error) {
	b, _ := json.Marshal(body)
	row := outboxRow{Kind: kind, Key: key, Code: code, Method: http.MethodPost, Path: path, CType: "application/json",
		Body: b, StaffID: staff.ID, State: stateSending, Summary: summary, approver: approver, untold: true}
	// In flight before the row exists: otherwise the loop could find it
	// sending, ask the shop before it was sent, and abandon it.
	d.setInflight(key, true)
	defer d.setInflight(key, false)
	if err := d.busyErr(op); err != nil {
		// The shop asked to be left alone a while: certainly not sent.
		return nil, err
	}
	if err := d.c.write(ctx, op, func(tx *sql.Tx) error { return insertOutbox(ctx, tx, &row) }); err != nil {
		return nil, err
	}
	// Until this call returns an outcome, a desk that stops (or loses the
	// answer) keeps the action for LateOutcomes; so does a caller that gave
	// up before the outcome came (the app closing): nobody saw it.
	told := true
	defer func() {
		if told && ctx.Err() == nil {
			d.markTold(context.WithoutCancel(ctx), row.ID)
		}
	}()
	if d.session(staff.ID) == "" {
		// Logged in offline and the shop is away: certainly not sent.
		err := skranke.E(op, skranke.Unavailable, "the shop is not reachable")
		_ = d.c.write(ctx, op, func(tx *sql.Tx) error { return setState(ctx, tx, row.ID, stateAbandoned, err.Error()) })
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*d.cfg.Timeout)
	ans, err := d.send(cctx, row)
	cancel()
	// The outcome is recorded even when the caller has given up waiting.
	wctx := context.WithoutCancel(ctx)
	switch k := skranke.KindOf(err); {
	case err == nil:
		d.notify()
		return ans, nil
	case refusal(err), k == skranke.Unauthorized, k == skranke.Locked:
		// The shop said no: nothing was done.
		_ = d.c.write(wctx, op, func(tx *sql.Tx) error { return setState(wctx, tx, row.ID, stateRefused, err.Error()) })
		return nil, err
	case neverSent(err):
		// Certainly never reached the shop, or the shop did not take it
		// up (too busy).
		_ = d.c.write(wctx, op, func(tx *sql.Tx) error { return setState(wctx, tx, row.ID, stateAbandoned, err.Error()) })
		return nil, err
	default:
		// The answer was lost, or the shop failed: ask the shop at once
		// to settle the action for good. If it cannot be asked now, the
		// row stays sending and the loop asks.
		_ = d.c.noteAttempt(wctx, row.ID, err.Error())
		rctx, cancel := context.WithTimeout(wctx, d.cfg.Timeout)
		ans, settled, serr := d.settle(rctx, row)
		cancel()
		if settled {
			d.notify()
			return ans, serr
		}
		d.kickLoop()
		told = false // Staff hear of it from Outcome or LateOutcomes.
		return nil, skranke.E(op, skranke.Unknown, err)
	}
}

// markTold records that staff have been given the outcome of outbox
// action id. A failure leaves it listed by LateOutcomes, which tells it
// again rather than never.
func (d *Desk) markTold(ctx context.Context, id int64) {
	if err := d.c.write(ctx, "sync.Desk.markTold", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE outbox SET untold = 0 WHERE id = ? AND untold = 1", id)
		return err
	}); err != nil {
		slog.Warn("record that staff were told an outcome", "id", id, "err", err)
	}
}

// LateOutcome is a redemption or credit whose answer was lost while staff
// waited (Redeem or Credit failed with kind Unknown, or the desk stopped
// first) and whose outcome staff have not been given yet.
type LateOutcome struct {
	ID     string        // The action's ID, as Outcome takes it.
	Kind   string        // "redemption" or "credit".
	Code   string        // The gift card used, or the purchase credited.
	Amount skranke.Money // What was asked for (a credit of lines: 0).
	Staff  skranke.Staff // Who made it (the name from the cached staff list).
	At     time.Time
	// Outcome is what became of it; until the shop has been asked,
	// Outcome.Settled is false, and a Subscribe notification follows when
	// it is.
	Outcome Outcome
}

// LateOutcomes lists, oldest first, the redemptions and credits whose
// outcome staff are still owed: the shop took them or not while nobody
// waited for the answer any more, for instance across a restart of the
// desk. A remainder gift card the shop issued is in its Outcome, to show
// and print. Outcome on an ID reports it told once settled, and it is
// listed no more.
func (d *Desk) LateOutcomes(ctx context.Context) ([]LateOutcome, error) {
	const op = "sync.Desk.LateOutcomes"
	rows, err := d.c.r.QueryContext(ctx, "SELECT key, kind, code, staff_id, body, created_at FROM outbox WHERE untold = 1 ORDER BY id")
	if err != nil {
		return nil, skranke.E(op, skranke.Internal, err)
	}
	var out []LateOutcome
	for rows.Next() {
		var lo LateOutcome
		var body []byte
		var at int64
		if err := rows.Scan(&lo.ID, &lo.Kind, &lo.Code, &lo.Staff.ID, &body, &at); err != nil {
			rows.Close()
			return nil, skranke.E(op, skranke.Internal, err)
		}
		var b struct {
			Amount skranke.Money `json:"amount"`
			At     time.Time     `json:"at"`
		}
		_ = json.Unmarshal(body, &b)
		lo.Amount, lo.At = b.Amount, b.At
		if lo.At.IsZero() {
			lo.At = fromNanos(at)
		}
		out = append(out, lo)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, skranke.E(op, skranke.Internal, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	staff, _ := d.cachedStaff(ctx)
	for i := range out {
		lo := &out[i]
		for _, s := range staff {
			if s.ID == lo.Staff.ID {
				lo.Staff = s
			}
		}
	}
	// One outcome that cannot be read (its redemption or credit gone from
	// the cache) must not hide the others from staff: it is logged and
	// left out.
	kept := out[:0]
	for _, lo := range out {
		if lo.Outcome, err = d.outcome(ctx, lo.ID); err != nil {
			if ctx.Err() != nil {
				return nil, skranke.E(op, skranke.Internal, ctx.Err())
			}
			d.cfg.Logger.Error("a late outcome cannot be read; staff are not shown it", "action", lo.ID, "kind", lo.Kind, "code", lo.Code, "err", err)
			continue
		}
		kept = append(kept, lo)
	}
	return kept, nil
}

// Resolution states the desk records.
const (
	// abandonedReason is what staff and the outbox are told when the shop
	// has fenced an action whose answer was lost.
	abandonedReason = "abandoned: nothing was done (the shop has recorded that this action will never apply)"
)

// settle asks the shop to resolve the redemption or credit r, whose answer
// was lost (POST /actions/{key}/resolve), and records what it says: the
// original's answer when it was applied, or abandoned, which the shop has
// recorded so that the original can never apply afterwards. settled is
// false when the shop could not be asked; err is then why. When settled,
// answer and err are what the original request would have returned, or,
// when abandoned, an error of kind Unavailable: certainly not done.
func (d *Desk) settle(ctx context.Context, r outboxRow) (answer any, settled bool, err error) {
	op := actionOp(r.Kind)
	res, err := d.cl.Resolve(ctx, r.Key, d.session(r.StaffID))
	d.noteReach(err)
	if err != nil {
		return nil, false, err
	}
	if res.State == "abandoned" {
		if err := d.c.write(ctx, "sync.Desk.settle", func(tx *sql.Tx) error {
			return setState(ctx, tx, r.ID, stateAbandoned, abandonedReason)
		}); err != nil {
			return nil, false, err
		}
		slog.Info("lost answer settled: abandoned", "kind", r.Kind, "key", r.Key, "code", r.Code)
		return nil, true, skranke.E(op, skranke.Unavailable, abandonedReason)
	}
	if res.Status < 200 || res.Status > 299 {
		// The original was refused; that refusal is its outcome.
		rerr := statusErr(op, res.Status, res.Body)
		if err := d.c.write(ctx, "sync.Desk.settle", func(tx *sql.Tx) error {
			return setState(ctx, tx, r.ID, stateRefused, rerr.Error())
		}); err != nil {
			return nil, false, err
		}
		return nil, true, rerr
	}
	ans, err := d.applyAnswer(ctx, r, op, res.Body)
	if err != nil {
		return nil, false, err
	}
	slog.Info("lost answer settled: applied", "kind", r.Kind, "key", r.Key, "code", r.Code)
	return ans, true, nil
}

// neverSent reports whether a failed request certainly did not reach the
// shop: nobody listened, or no connection could be made.
func neverSent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	// 429 Too Many Requests: the request was turned away before it was
	// looked at. Only a 429 of kind Unavailable gets here; the shop's own
	// (locked, conflict) are refusals.
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusTooManyRequests {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// Outcome is what became of a redemption or credit whose answer was lost
// (an error of kind Unknown).
type Outcome struct {
	Settled    bool            // The shop has been asked; Done says what it found.
	Done       bool            // The shop took it.
	Redemption *RedeemResult   // For a redemption that was done.
	Credit     *skranke.Credit // For a credit that was done.
	Reason     string          // Why it was not done, when settled and not done.
}

// Outcome reports what became of the redemption or credit with the given
// ID. Until the sync loop has asked the shop, Settled is false; callers
// wait for a Subscribe notification and ask again.
//
// Once it reports an action settled, staff are taken to have been told:
// LateOutcomes lists it no more.
func (d *Desk) Outcome(ctx context.Context, id string) (Outcome, error) {
	o, err := d.outcome(ctx, id)
	if err == nil && o.Settled {
		var rowID int64
		var untold bool
		if d.c.r.QueryRowContext(ctx, "SELECT id, untold FROM outbox WHERE key = ?", id).Scan(&rowID, &untold) == nil && untold {
			d.markTold(ctx, rowID)
		}
	}
	return o, err
}

// outcome is Outcome without recording that staff were told.
func (d *Desk) outcome(ctx context.Context, id string) (Outcome, error) {
	var kind, state, lastErr string
	err := d.c.r.QueryRowContext(ctx, "SELECT kind, state, last_error FROM outbox WHERE key = ?", id).Scan(&kind, &state, &lastErr)
	if errors.Is(err, sql.ErrNoRows) {
		return Outcome{}, skranke.E("sync.Desk.Outcome", skranke.NotFound, fmt.Sprintf("no action %s on this desk", id))
	}
	if err != nil {
		return Outcome{}, skranke.E("sync.Desk.Outcome", skranke.Internal, err)
	}
	switch state {
	case stateSending, statePending:
		return Outcome{}, nil
	case stateDone:
	default:
		return Outcome{Settled: true, Reason: lastErr}, nil
	}
	o := Outcome{Settled: true, Done: true}
	switch kind {
	case kindRedemption:
		var body []byte
		if err := d.c.r.QueryRowContext(ctx, "SELECT body FROM redemptions WHERE id = ?", id).Scan(&body); err != nil {
			return Outcome{}, skranke.E("sync.Desk.Outcome", skranke.Internal, fmt.Errorf("redemption %s: %w", id, err))
		}
		var res RedeemResult
		if err := json.Unmarshal(body, &res.Redemption); err != nil {
			return Outcome{}, skranke.E("sync.Desk.Outcome", skranke.Internal, fmt.Errorf("redemption %s is damaged: %w", id, err))
		}
		// The app prints the void slip and the remainder card from these
		// cards and takes staff as told once it is settled: a card not
		// cached (the cache started over, and the full pull has not filed
		// it again) is not reported as missing, or the remainder card's
		// code would never be shown. Until the pull files the cards, the
		// outcome is not settled; the pull's notification makes the app
		// ask again. A card kept across the start-over would not do: the
		// restored shop numbers its changes anew and the cache keeps the
		// copy with the higher number.
		card, ok, err := d.outcomeCard(ctx, id, res.Redemption.CardCode)
		if err != nil || !ok {
			return Outcome{}, err
		}
		res.Card = *card
		if res.Redemption.RemainderCode != "" {
			if res.Remainder, ok, err = d.outcomeCard(ctx, id, res.Redemption.RemainderCode); err != nil || !ok {
				return Outcome{}, err
			}
		}
		o.Redemption = &res
	case kindCredit:
		var body []byte
		if err := d.c.r.QueryRowContext(ctx, "SELECT body FROM activities WHERE id = ?", id).Scan(&body); err != nil {
			return Outcome{}, skranke.E("sync.Desk.Outcome", skranke.Internal, fmt.Errorf("credit %s: %w", id, err))
		}
		var c skranke.Credit
		if err := json.Unmarshal(body, &c); err != nil {
			return Outcome{}, skranke.E("sync.Desk.Outcome", skranke.Internal, fmt.Errorf("credit %s is damaged: %w", id, err))
		}
		o.Credit = &c
	}
	return o, nil
}

// outcomeCard reads the cached gift card code that redemption id used or
// issued; ok is false when it is not cached.
func (d *Desk) outcomeCard(ctx context.Context, id, code string) (c *skranke.Card, ok bool, err error) {
	c, _, ok, err = d.c.cachedCard(ctx, code)
	if err != nil {
		return nil, false, skranke.E("sync.Desk.Outcome", skranke.Internal, fmt.Errorf("gift card %s of redemption %s: %w", code, id, err))
	}
	return c, ok, nil
}

// Activities lists deliveries, redemptions and credits between from and to
// (local time day boundaries are the caller's), from the cache, so it works offline.
//
// When the shop is reachable the cache is first brought up to date with the
// centre's activity in the period (other desks' redemptions are not in the
// changes feed); when it is not, the cache answers alone.
func (d *Desk) Activities(ctx context.Context, from, to time.Time) ([]Activity, error) {
	if !d.backingOff() {
		cctx, cancel := d.interactiveCtx(ctx)
		if err := d.refreshActivities(cctx, from, to); err != nil && !(skranke.KindOf(err) == skranke.Unavailable) {
			slog.Warn("refresh activities", "err", err)
		}
		cancel()
	}
	rows, err := d.c.r.QueryContext(ctx, `SELECT kind, at, staff_id, staff_name, code, buyer, products, amount, signature_id, synced,
 kind IN ('delivery', 'reversal') AND coalesce(json_extract(CAST(body AS TEXT), '$.stated_by_desk'), 0),
 CASE WHEN kind = 'credit' THEN coalesce(json_extract(CAST(body AS TEXT), '$.approver_name'), '') ELSE '' END
FROM activities WHERE at >= ? AND at < ? ORDER BY at, id`, nanos(from), nanos(to))
	if err != nil {
		return nil, skranke.E("sync.Desk.Activities", skranke.Internal, err)
	}
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		var a Activity
		var at, amount int64
		var products string
		if err := rows.Scan(&a.Kind, &at, &a.StaffID, &a.StaffName, &a.Code, &a.Buyer, &products, &amount, &a.SignatureID, &a.Synced, &a.StatedByDesk, &a.ApproverName); err != nil {
			return nil, skranke.E("sync.Desk.Activities", skranke.Internal, err)
		}
		a.At, a.Amount = fromNanos(at), skranke.Money(amount)
		_ = json.Unmarshal([]byte(products), &a.Products)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, skranke.E("sync.Desk.Activities", skranke.Internal, err)
	}
	var names map[string]string // Read once, and only if a row lacks a name.
	for i := range out {
		if out[i].StaffName != "" || out[i].StaffID == "" {
			continue
		}
		if names == nil {
			names = map[string]string{}
			staff, _ := d.cachedStaff(ctx)
			for _, s := range staff {
				names[s.ID] = s.Name
			}
		}
		out[i].StaffName = names[out[i].StaffID]
	}
	return out, nil
}

// refreshActivities stores the centre's deliveries, redemptions and credits
// between from and to as the shop reports them.
func (d *Desk) refreshActivities(ctx context.Context, from, to time.Time) error {
	a, err := d.cl.Deliveries(ctx, from, to)
	d.noteReach(err)
	if err != nil {
		return err
	}
	purchases := map[string]*skranke.Purchase{}
	purchase := func(code string) *skranke.Purchase {
		if p, ok := purchases[code]; ok {
			return p
		}
		p, _, _, _ := d.c.cachedPurchase(ctx, code)
		purchases[code] = p
		return p
	}
	for _, dl := range a.Deliveries {
		purchase(dl.PurchaseCode)
	}
	for _, c := range a.Credits {
		purchase(c.PurchaseCode)
	}
	for _, r := range a.Reversals {
		purchase(r.PurchaseCode)
	}
	return d.c.write(ctx, "sync.Desk.refreshActivities", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		for i := range a.Deliveries {
			// Without the purchase the row would lack buyer and goods; the
			// next pull brings both.
			if p := purchases[a.Deliveries[i].PurchaseCode]; p != nil {
				if err := w.putActivity(deliveryActivity(p, &a.Deliveries[i], true)); err != nil {
					return err
				}
			}
		}
		for i := range a.Credits {
			if p := purchases[a.Credits[i].PurchaseCode]; p != nil {
				if err := w.putActivity(creditActivity(p, &a.Credits[i], true)); err != nil {
					return err
				}
			}
		}
		for i := range a.Reversals {
			if p := purchases[a.Reversals[i].PurchaseCode]; p != nil {
				if err := w.putActivity(reversalActivity(p, &a.Reversals[i], true)); err != nil {
					return err
				}
			}
		}
		for i := range a.Redemptions {
			if err := w.putRedemption(&a.Redemptions[i], true); err != nil {
				return err
			}
		}
		return nil
	})
}

// CardsOfPurchase returns the gift cards that web shop purchase code sold,
// oldest first, so that the desk can print them when it hands the purchase
// over. The shop issues them when the purchase is paid; the desk has them
// from the changes feed or from the answer to a delivery, so this works
// offline too. When the cache has none and the shop is reachable, the
// changes feed is pulled first. Offline with none cached it fails with kind
// Unavailable: the cards come with the next sync. No error and no cards
// means the shop has issued none.
func (d *Desk) CardsOfPurchase(ctx context.Context, code string) ([]skranke.Card, error) {
	const op = "sync.Desk.CardsOfPurchase"
	code = skranke.NormalizeCode(code)
	if code == "" {
		return nil, skranke.E(op, skranke.Invalid, "no purchase code")
	}
	cards, err := d.c.cachedCardsOfPurchase(ctx, code)
	if err != nil || len(cards) > 0 {
		return cards, err
	}
	if d.backingOff() {
		return nil, skranke.E(op, skranke.Unavailable, fmt.Sprintf("the gift cards of purchase %s are not on this desk yet; they come when the shop is reachable again", code))
	}
	cctx, cancel := d.interactiveCtx(ctx)
	perr := d.pull(cctx)
	cancel()
	if cards, err = d.c.cachedCardsOfPurchase(ctx, code); err != nil || len(cards) > 0 {
		return cards, err
	}
	// A hand-over of the purchase still in the outbox brings its cards
	// with the shop's answer: until it is sent they are to come, not
	// missing, whatever the pull found (it may run just before the
	// outbox is drained, back online).
	pending, err := d.c.pendingDeliveries(ctx, code)
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return nil, skranke.E(op, skranke.Unavailable, fmt.Sprintf("the gift cards of purchase %s come with its hand-over, which waits to be sent", code))
	}
	if perr != nil {
		return nil, skranke.E(op, skranke.KindOf(perr), fmt.Errorf("the gift cards of purchase %s are not on this desk yet: %w", code, perr))
	}
	return nil, nil
}
