package sync

import (
	"context"
	"time"
)

// Config says how a desk reaches its shop and where it keeps its data.
type Config struct {
	BaseURL      string        // Shop API root, such as "http://127.0.0.1:8080".
	Token        string        // The desk's bearer token.
	DataDir      string        // Where the cache database lives.
	SyncInterval time.Duration // How often the loop pulls changes; 0 means 5 s.
	Timeout      time.Duration // Per request; 0 means 5 s.
}

// Lookup is the answer to a scan: the purchase, and whether it came from the
// cache because the shop could not be reached.
type Lookup struct {
	Purchase  *Purchase
	FromCache bool       // The shop was unreachable; Purchase is the cached copy.
	CachedAt  time.Time  // When the cached copy was last confirmed by the shop.
	Pending   []Delivery // Deliveries made at this desk and not yet accepted by the shop.
}

// CardLookup is a gift card with its chain of parent and remainder cards.
type CardLookup struct {
	Card        *Card
	Chain       []Card
	Redemptions []Redemption
	FromCache   bool
	CachedAt    time.Time
}

// DeliverRequest asks to hand over lines of a purchase.
type DeliverRequest struct {
	Code      string
	Lines     []DeliveredLine // Empty means everything that remains.
	Staff     Staff
	Signature []byte // PNG; required when physical goods are handed over.
}

// RedeemResult is what a redemption did: the used card and the remainder card
// issued for what is left, if anything.
type RedeemResult struct {
	Redemption Redemption
	Card       Card
	Remainder  *Card
}

// Status is what the UI shows about the desk's connection to the shop.
type Status struct {
	Online    bool
	LastSync  time.Time
	Pending   int    // Actions in the outbox not yet accepted.
	Conflicts int    // Actions the shop refused, waiting for a manager.
	LastError string // The last sync error, empty after a success.
}

// OutboxConflict is an outbox action the shop refused; a manager retries or discards it.
type OutboxConflict struct {
	ID      int64
	Kind    string // "delivery", "signature", "redemption", "credit".
	Summary string // Human-readable: what was attempted, on which code.
	Reason  string // The server's message.
	At      time.Time
	StaffID string
}

// Activity is one row of the daily report: a delivery, redemption or credit
// made at this desk or synced from the shop, with its sync state.
type Activity struct {
	Kind        string // "delivery", "redemption", "credit".
	At          time.Time
	StaffID     string
	StaffName   string
	Code        string // Purchase or gift card code.
	Buyer       string
	Products    []string
	Amount      Money
	SignatureID string
	Synced      bool
}

// Desk is the desk's handle on the shop: lookups answered online or from the
// cache, actions written to the outbox and sent in order, and the sync loop.
// All methods are safe for concurrent use and none touches the UI.
type Desk struct {
	cfg Config
}

var errTodo = E("desk", Internal, "not implemented yet")

// Open opens (creating if needed) the cache in cfg.DataDir and returns a desk.
// It does not contact the shop; call Run to start syncing.
func Open(ctx context.Context, cfg Config) (*Desk, error) { return &Desk{cfg: cfg}, nil }

// Close stops the desk's background work and closes the cache.
func (d *Desk) Close() error { return nil }

// Run runs the sync loop (pull changes, drain the outbox) until ctx ends.
func (d *Desk) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// SyncNow asks the loop to sync at once, without waiting for the interval.
func (d *Desk) SyncNow() {}

// Status reports the connection and outbox state for the UI.
func (d *Desk) Status() Status { return Status{} }

// Subscribe returns a channel that receives a value whenever Status or cached
// data changes; cancel with the returned func.
func (d *Desk) Subscribe() (<-chan struct{}, func()) { return make(chan struct{}), func() {} }

// DeskInfo returns this desk and its centre (cached after the first success).
func (d *Desk) DeskInfo(ctx context.Context) (DeskInfo, Centre, error) {
	return DeskInfo{}, Centre{}, errTodo
}

// Staff lists the centre's staff, from the shop or the cache.
func (d *Desk) Staff(ctx context.Context) ([]Staff, error) { return nil, errTodo }

// Login checks a staff member's PIN (offline too) and returns the staff member.
func (d *Desk) Login(ctx context.Context, staffID, pin string) (Staff, error) {
	return Staff{}, errTodo
}

// Lookup finds a purchase by reference code: from the shop, or from the cache
// when the shop is unreachable (Lookup.FromCache).
func (d *Desk) Lookup(ctx context.Context, code string) (Lookup, error) { return Lookup{}, errTodo }

// Deliver records a delivery in the outbox and the cache in one transaction and
// returns the delivery and the purchase as the desk now sees it. It succeeds
// offline; the outbox sends it when the shop is back.
func (d *Desk) Deliver(ctx context.Context, req DeliverRequest) (Delivery, *Purchase, error) {
	return Delivery{}, nil, errTodo
}

// Signature returns the PNG of a stored signature.
func (d *Desk) Signature(ctx context.Context, id string) ([]byte, error) { return nil, errTodo }

// Card looks up a gift card with its chain.
func (d *Desk) Card(ctx context.Context, code string) (CardLookup, error) {
	return CardLookup{}, errTodo
}

// Redeem uses amount of a gift card. It needs the shop: offline it fails with
// kind Unavailable.
func (d *Desk) Redeem(ctx context.Context, code string, amount Money, staff Staff) (RedeemResult, error) {
	return RedeemResult{}, errTodo
}

// Credit credits amount of a purchase with a reason; staff must be a manager.
func (d *Desk) Credit(ctx context.Context, code string, amount Money, reason string, staff Staff) (Credit, error) {
	return Credit{}, errTodo
}

// Conflicts lists the outbox actions the shop refused.
func (d *Desk) Conflicts(ctx context.Context) ([]OutboxConflict, error) { return nil, errTodo }

// Retry puts a refused action back in the outbox.
func (d *Desk) Retry(ctx context.Context, id int64) error { return errTodo }

// Discard drops a refused action, recording who did it and why.
func (d *Desk) Discard(ctx context.Context, id int64, reason string, staff Staff) error {
	return errTodo
}

// Activities lists deliveries, redemptions and credits between from and to
// (local time day boundaries are the caller's), from the cache, so it works offline.
func (d *Desk) Activities(ctx context.Context, from, to time.Time) ([]Activity, error) {
	return nil, errTodo
}
