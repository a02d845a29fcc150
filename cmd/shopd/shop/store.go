// Package shop is the reference implementation of Skranke's central shop API:
// the HTTP handlers of /api/v1, the business rules behind them (delivery,
// gift card redemption, credits, payment notifications, idempotency), and two
// stores: SQLite (one shopd) and PostgreSQL (several shopd on one database;
// see Postgres). shopd wires it to flags; tests start it with package
// shoptest, and every store and API test runs on both stores.
//
// The rules live in this package and talk to storage only through Store and
// Tx, so that either store serves them unchanged. A Store must run Update
// transactions one at a time (serializable), across every shopd sharing the
// database, and must hand out changes-feed sequence numbers in commit order.
package shop

import (
	"context"
	"encoding/json"
	"time"

	"github.com/skranke/skranke"
)

// Store is where the shop keeps its data. Update runs fn in a write
// transaction, committed when fn returns nil and rolled back otherwise; write
// transactions never overlap. View runs fn in a read-only snapshot.
type Store interface {
	View(ctx context.Context, fn func(Tx) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is what the shop's rules may do inside a transaction. Getters return an
// error of kind NotFound (skranke.NotFound) for a missing item. Put* methods
// insert or replace; those on purchases and cards give the item the next
// sequence number of the changes feed and set its Seq.
type Tx interface {
	Centres() ([]skranke.Centre, error)
	Centre(id string) (skranke.Centre, error)
	PutCentre(c skranke.Centre) error

	// DeskByToken finds the desk whose token hashes (TokenHash) to hash.
	DeskByToken(hash string) (skranke.DeskInfo, error)
	PutDesk(d skranke.DeskInfo, tokenHash string) error

	Staff(centreID string) ([]skranke.Staff, error)
	StaffMember(id string) (skranke.Staff, error)
	PutStaff(s skranke.Staff) error

	Products() ([]skranke.Product, error)
	Product(id string) (skranke.Product, error)
	PutProduct(p skranke.Product) error

	Purchase(code string) (*skranke.Purchase, error)
	// PurchaseDoc returns a purchase's centre and its stored document (the
	// JSON of skranke.Purchase, as the changes feed serves it), so that a
	// lookup answers without decoding and encoding it again.
	PurchaseDoc(code string) (centreID string, doc json.RawMessage, err error)
	PutPurchase(p *skranke.Purchase) error
	Delivery(id string) (skranke.Delivery, error)
	AddDelivery(centreID string, d skranke.Delivery) error
	Credit(id string) (skranke.Credit, error)
	AddCredit(centreID string, c skranke.Credit) error
	Reversal(id string) (skranke.Reversal, error)
	// AddReversal records a reversal. The schema holds one reversal per
	// delivery; the rules check that before (Purchase.CheckReversal).
	AddReversal(centreID string, r skranke.Reversal) error
	// SearchPurchases lists at most limit of a centre's purchases after the
	// cursor, newest first (created_at, then code, descending), whose
	// search text (skranke.SearchText) holds every term; purchases stored
	// before the text existed are listed too, for the caller to check.
	SearchPurchases(centreID string, terms []string, after SearchCursor, limit int) ([]*skranke.Purchase, error)

	// MonthPurchases lists a centre's purchases made at or after from and
	// before to, or delivered or credited in that time, each once.
	MonthPurchases(centreID string, from, to time.Time) ([]*skranke.Purchase, error)

	Card(code string) (*skranke.Card, error)
	// CentreCards lists every gift card of a centre, remainder cards too.
	CentreCards(centreID string) ([]skranke.Card, error)
	PutCard(c *skranke.Card) error
	// CardsOfPurchase lists the gift cards a web shop purchase sold (not
	// their remainder cards), in the order they were issued.
	CardsOfPurchase(code string) ([]skranke.Card, error)
	Redemption(id string) (skranke.Redemption, error)
	AddRedemption(centreID string, r skranke.Redemption) error
	// Redemptions lists the redemptions of the given cards, oldest first.
	Redemptions(cardCodes []string) ([]skranke.Redemption, error)

	Signature(id string) (Signature, error)
	PutSignature(s Signature) error
	// CountSignatures says how many signatures a desk stored at or after since.
	CountSignatures(deskID string, since time.Time) (int, error)
	// PurgeSignatures deletes signatures stored before t and says how many.
	PurgeSignatures(before time.Time) (int64, error)

	// StaffAuth returns a staff member's PIN verifier and lockout state.
	StaffAuth(staffID string) (StaffAuth, error)
	PutStaffAuth(a StaffAuth) error
	// Session finds the staff session whose token hashes (TokenHash) to hash.
	Session(hash string) (Session, error)
	// PutSession inserts or replaces a session.
	PutSession(s Session) error
	DeleteSession(hash string) error
	// PurgeSessions deletes sessions that expired before t and says how many.
	PurgeSessions(before time.Time) (int64, error)

	// Changes lists the purchases and cards of a centre whose seq is above
	// since, ascending, at most limit of them together.
	Changes(centreID string, since int64, limit int) (Changes, error)
	// FeedHead is the last sequence number handed out (in any centre) as
	// this transaction sees it: nothing above it has committed, and every
	// item at or below it that will ever be in the feed is there. On
	// PostgreSQL, in a View, it is the last durable one, and Changes stops
	// there (see pgTx.FeedHead), which it may wait for.
	FeedHead() (int64, error)
	// Activity lists a centre's deliveries, redemptions and credits made at
	// or after from and before to.
	Activity(centreID string, from, to time.Time) (Activity, error)

	Idempotency(scope, key string) (IdempotencyRecord, error)
	PutIdempotency(r IdempotencyRecord) error
	// PurgeIdempotency deletes keys created before t and says how many.
	PurgeIdempotency(before time.Time) (int64, error)

	// PaymentEvent reports whether an acquirer event was already handled.
	PaymentEvent(id string) (bool, error)
	AddPaymentEvent(id, reference string, status skranke.PaymentStatus, at time.Time) error
}

// feedHeadReader is a Store that can read Tx.FeedHead outside a
// transaction more cheaply than View can (one round trip on PostgreSQL
// instead of three). What it reads has committed, and is durable.
type feedHeadReader interface {
	FeedHead(ctx context.Context) (int64, error)
}

// Signature is a buyer's signature drawn at a desk, as PNG.
type Signature struct {
	ID       string
	CentreID string
	DeskID   string
	PNG      []byte
	At       time.Time
}

// Changes is one page of the changes feed. The documents are the JSON of
// skranke.Purchase and skranke.Card, kept ready-made so that a page costs
// no encoding.
type Changes struct {
	Purchases []json.RawMessage
	Cards     []json.RawMessage
	Next      int64 // The seq of the last item on the page, or since when empty.
	More      bool  // Items beyond Next exist.
}

// Activity is what a centre's desks did in a period.
type Activity struct {
	Deliveries  []skranke.Delivery   `json:"deliveries"`
	Redemptions []skranke.Redemption `json:"redemptions"`
	Credits     []skranke.Credit     `json:"credits"`
	Reversals   []skranke.Reversal   `json:"reversals"`
}

// IdempotencyRecord is a stored answer to a mutating request. Scope is who
// asked (a desk or the web shop), Fingerprint a hash of method, path and body.
type IdempotencyRecord struct {
	Scope       string
	Key         string
	Fingerprint string
	Status      int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
}
