package shop

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/skranke/skranke"
)

// readAhead names the rows a mutating request reads first: its
// idempotency record, the staff session it acts under (and that session's
// staff member) and, for requests on a purchase, the purchase and the
// delivery it names. A store on a database server fetches them in one
// round trip with the statements before them, instead of one round trip
// each while the chain's write lock is held. Empty fields read nothing.
type readAhead struct {
	idemScope, idemKey string
	session            string // TokenHash of the staff session's token.
	purchase           string // A purchase's reference code.
	purchaseCards      bool   // The purchase's gift cards too.
	delivery           string // A delivery's id.
}

// readAheadUpdater is a Store whose Update can fetch a readAhead's rows
// before fn asks for them.
type readAheadUpdater interface {
	updateReading(ctx context.Context, ra *readAhead, fn func(Tx) error) error
}

// update runs fn in a write transaction of store, reading ra's rows ahead
// where the store can.
func update(ctx context.Context, store Store, ra *readAhead, fn func(Tx) error) error {
	if u, ok := store.(readAheadUpdater); ok {
		return u.updateReading(ctx, ra, fn)
	}
	return store.Update(ctx, fn)
}

// mutationReadAhead is what a mutating request under idempotency key key
// reads first.
func mutationReadAhead(req *request, key string) *readAhead {
	ra := &readAhead{idemScope: req.scope, idemKey: key}
	if tok := strings.TrimSpace(req.http.Header.Get(SessionHeader)); tok != "" {
		ra.session = TokenHash(tok)
	}
	return ra
}

// deliveryReadAhead adds a delivery's purchase and id to ra.
func deliveryReadAhead(req *request, ra *readAhead) {
	// Only what the handler will accept is read ahead: anything else is
	// refused by the handler before it reads, and a malformed value (a NUL
	// byte) would fail the read on the server and the request with it.
	code, err := pathCode(req, "reference", skranke.ReferenceLen)
	if err != nil {
		return
	}
	ra.purchase = code
	if req.parsed != nil {
		// Decoded and checked already (see route.parse).
		if in, ok := req.parsed.v.(DeliveryRequest); ok && req.parsed.err == nil {
			ra.delivery = in.ID
		}
	} else {
		var in struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(req.body, &in) == nil && checkID("delivery", in.ID) == nil {
			ra.delivery = in.ID
		}
	}
	ra.purchaseCards = true
}

// statementViewer is a Store that can run a read-only fn without a
// transaction, each statement on its own snapshot: cheaper on a database
// server (no BEGIN and ROLLBACK, one round trip for one read).
type statementViewer interface {
	viewStatements(ctx context.Context, fn func(Tx) error) error
}

// viewAlone runs fn, whose reads need not see one snapshot (each may see
// a later one than the last), in the cheapest way store has.
func viewAlone(ctx context.Context, store Store, fn func(Tx) error) error {
	if v, ok := store.(statementViewer); ok {
		return v.viewStatements(ctx, fn)
	}
	return store.View(ctx, fn)
}
