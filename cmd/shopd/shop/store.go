// Package shop is the reference implementation of Skranke's central shop API:
// the HTTP handlers of /api/v1, the business rules behind them (delivery,
// gift card redemption, credits, payment notifications, idempotency), and a
// SQLite store. shopd wires it to flags; tests start it with package shoptest.
//
// The rules live in this package and talk to storage only through Store and
// Tx, so that a PostgreSQL store can take SQLite's place without touching
// them. A Store must run Update transactions one at a time (serializable) and
// must hand out changes-feed sequence numbers in commit order.
package shop

import (
	"context"
	"encoding/json"
	"time"

	desksync "github.com/skranke/skranke/sync"
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
// error of kind NotFound (desksync.NotFound) for a missing item. Put* methods
// insert or replace; those on purchases and cards give the item the next
// sequence number of the changes feed and set its Seq.
type Tx interface {
	Centres() ([]desksync.Centre, error)
	Centre(id string) (desksync.Centre, error)
	PutCentre(c desksync.Centre) error

	// DeskByToken finds the desk whose token hashes (TokenHash) to hash.
	DeskByToken(hash string) (desksync.DeskInfo, error)
	PutDesk(d desksync.DeskInfo, tokenHash string) error

	Staff(centreID string) ([]desksync.Staff, error)
	StaffMember(id string) (desksync.Staff, error)
	PutStaff(s desksync.Staff) error

	Products() ([]desksync.Product, error)
	Product(id string) (desksync.Product, error)
	PutProduct(p desksync.Product) error

	Purchase(code string) (*desksync.Purchase, error)
	PutPurchase(p *desksync.Purchase) error
	Delivery(id string) (desksync.Delivery, error)
	AddDelivery(centreID string, d desksync.Delivery) error
	Credit(id string) (desksync.Credit, error)
	AddCredit(centreID string, c desksync.Credit) error

	Card(code string) (*desksync.Card, error)
	PutCard(c *desksync.Card) error
	// CardsOfPurchase lists the gift cards a web shop purchase sold (not
	// their remainder cards), in the order they were issued.
	CardsOfPurchase(code string) ([]desksync.Card, error)
	Redemption(id string) (desksync.Redemption, error)
	AddRedemption(centreID string, r desksync.Redemption) error
	// Redemptions lists the redemptions of the given cards, oldest first.
	Redemptions(cardCodes []string) ([]desksync.Redemption, error)

	Signature(id string) (Signature, error)
	PutSignature(s Signature) error

	// Changes lists the purchases and cards of a centre whose seq is above
	// since, ascending, at most limit of them together.
	Changes(centreID string, since int64, limit int) (Changes, error)
	// Activity lists a centre's deliveries, redemptions and credits made at
	// or after from and before to.
	Activity(centreID string, from, to time.Time) (Activity, error)

	Idempotency(scope, key string) (IdempotencyRecord, error)
	PutIdempotency(r IdempotencyRecord) error
	// PurgeIdempotency deletes keys created before t and says how many.
	PurgeIdempotency(before time.Time) (int64, error)

	// PaymentEvent reports whether an acquirer event was already handled.
	PaymentEvent(id string) (bool, error)
	AddPaymentEvent(id, reference string, status desksync.PaymentStatus, at time.Time) error
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
// desksync.Purchase and desksync.Card, kept ready-made so that a page costs
// no encoding.
type Changes struct {
	Purchases []json.RawMessage
	Cards     []json.RawMessage
	Next      int64 // The seq of the last item on the page, or since when empty.
	More      bool  // Items beyond Next exist.
}

// Activity is what a centre's desks did in a period.
type Activity struct {
	Deliveries  []desksync.Delivery   `json:"deliveries"`
	Redemptions []desksync.Redemption `json:"redemptions"`
	Credits     []desksync.Credit     `json:"credits"`
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
