package skranke

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that callers can branch on what went wrong
// without parsing messages.
type Kind uint8

// The kinds of error the desk and the shop report.
const (
	Other        Kind = iota // Unclassified error.
	Invalid                  // The request was malformed or a value is out of range.
	NotFound                 // No such purchase, gift card or other item.
	Conflict                 // The request contradicts the current state (over-delivery, idempotency key reuse).
	Unauthorized             // The desk token or staff PIN was not accepted.
	Forbidden                // The staff member's role does not allow the action.
	NotPayable               // The purchase's payment status does not allow delivery.
	Unavailable              // The shop could not be reached; the answer may come from the cache.
	Internal                 // The server failed or answered something the desk cannot read.
	// Unknown: the request may have reached the shop, but no answer came, so
	// whether it happened is not known yet; the sync loop asks the shop and
	// Desk.Outcome reports what it found.
	Unknown
	// Locked: too many wrong PINs or tokens; the shop refuses for a while
	// (a staff member's PIN for 15 minutes) whatever is sent.
	Locked
)

var kindNames = [...]string{
	Other:        "other",
	Invalid:      "invalid",
	NotFound:     "not_found",
	Conflict:     "conflict",
	Unauthorized: "unauthorized",
	Forbidden:    "forbidden",
	NotPayable:   "not_payable",
	Unavailable:  "unavailable",
	Internal:     "internal",
	Unknown:      "outcome_unknown",
	Locked:       "locked",
}

// String returns the kind's wire name, as used in the API's error bodies.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// KindFromString maps an API error code back to its Kind; unknown codes map to Other.
func KindFromString(s string) Kind {
	for k, n := range kindNames {
		if n == s {
			return Kind(k)
		}
	}
	return Other
}

// Error is the error type of the desk, the scanner and the shop. Callers
// branch on its Kind (KindOf) and reach it with errors.As; its text is
// "op: cause", and the ops of the errors it wraps follow, so a logged error
// reads as the path the failure took.
type Error struct {
	Op   string // The function that failed, as package.Type.Method: "sync.Desk.Deliver".
	Kind Kind   // What class of failure it is; Other defers to the wrapped error's.
	Err  error  // The cause; nil when the kind says it all.
}

// E builds an *Error. err may be an error, which is wrapped, a string, which
// becomes the wrapped error's text, or nil.
func E(op string, kind Kind, err any) error {
	e := &Error{Op: op, Kind: kind}
	switch m := err.(type) {
	case error:
		e.Err = m
	case string:
		e.Err = errors.New(m)
	case nil:
	default:
		e.Err = fmt.Errorf("%v", m)
	}
	return e
}

// Error implements the error interface.
func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Op + ": " + e.Kind.String()
	case e.Op == "":
		return e.Err.Error()
	default:
		return e.Op + ": " + e.Err.Error()
	}
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain that has one, or
// Other.
func KindOf(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Other
		}
		if e.Kind != Other {
			return e.Kind
		}
		err = e.Err
	}
	return Other
}

// ElsewhereError says that a code belongs to another centre of the chain:
// the purchase or gift card exists but cannot be handed out or used here.
// It travels inside an Error of kind NotFound, so callers that do not look
// for it still see "not found"; those that do (errors.As) can send the
// customer to Centre, which holds that centre's public details only.
type ElsewhereError struct {
	Centre Centre // The centre the code belongs to: name, address, phone.
}

// Error implements the error interface.
func (e *ElsewhereError) Error() string {
	return "the code belongs to " + e.Centre.Name + ", another centre of the chain"
}
