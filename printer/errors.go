package printer

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
)

// Kind is the class of a printing failure, for the app to branch on and to
// pick a message staff understand.
type Kind uint8

// Kinds of failure.
const (
	KindOther Kind = iota
	// KindUnreachable: the printer cannot be reached (no route, refused,
	// device file missing, spooler printer unknown).
	KindUnreachable
	// KindTimeout: the printer did not take the job or answer in time.
	KindTimeout
	// KindPaperOut: the roll is empty.
	KindPaperOut
	// KindCoverOpen: the cover is open.
	KindCoverOpen
	// KindOffline: the printer reports itself offline or in error.
	KindOffline
	// KindUnsupported: the transport cannot do what was asked (status
	// from a file).
	KindUnsupported
	// KindInvalid: the target or document is wrong; retrying will not help.
	KindInvalid
	// KindIO: the connection broke while sending.
	KindIO
	// KindCanceled: the caller gave up.
	KindCanceled
	// KindPermission: the OS refused access to the device or port (on
	// Linux the user must be in the lp or dialout group).
	KindPermission
)

var kindText = [...]string{
	KindOther:       "printing failed",
	KindUnreachable: "printer unreachable",
	KindTimeout:     "printer did not answer in time",
	KindPaperOut:    "printer is out of paper",
	KindCoverOpen:   "printer cover is open",
	KindOffline:     "printer is offline",
	KindUnsupported: "not supported by this printer connection",
	KindInvalid:     "invalid printer setting or document",
	KindIO:          "connection to the printer broke",
	KindCanceled:    "printing canceled",
	KindPermission:  "no permission to use the printer port",
}

// String returns a short English description of the kind.
func (k Kind) String() string {
	if int(k) < len(kindText) {
		return kindText[k]
	}
	return kindText[KindOther]
}

// Transient reports whether a retry may succeed.
func (k Kind) Transient() bool {
	return k == KindUnreachable || k == KindTimeout || k == KindIO
}

// Error is a printing failure: what was being done, its kind, and the cause.
type Error struct {
	Op   string
	Kind Kind
	Err  error
}

// Error returns "op: kind: cause".
func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error of the same kind with no op or cause, so callers
// can write errors.Is(err, printer.ErrPaperOut).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Err == nil && t.Kind == e.Kind
}

// Sentinels for errors.Is.
var (
	ErrUnreachable = &Error{Kind: KindUnreachable}
	ErrTimeout     = &Error{Kind: KindTimeout}
	ErrPaperOut    = &Error{Kind: KindPaperOut}
	ErrCoverOpen   = &Error{Kind: KindCoverOpen}
	ErrOffline     = &Error{Kind: KindOffline}
	ErrUnsupported = &Error{Kind: KindUnsupported}
	ErrInvalid     = &Error{Kind: KindInvalid}
	ErrPermission  = &Error{Kind: KindPermission}
)

// KindOf returns the kind of err, KindOther when it is not a printer error.
func KindOf(err error) Kind { return classify(err) }

// classify returns the kind of a printer error, or guesses the kind of a
// low-level one.
func classify(err error) Kind {
	var ne net.Error
	var e *Error
	switch {
	case err == nil:
		return KindOther
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, os.ErrPermission):
		return KindPermission
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return KindTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENODEV),
		errors.Is(err, syscall.ENXIO):
		return KindUnreachable
	case errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EIO):
		return KindIO
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		if oe.Op == "dial" {
			return KindUnreachable
		}
		return KindIO
	}
	return KindOther
}

func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Op == "" {
			return &Error{Op: op, Kind: e.Kind, Err: e.Err}
		}
		return err
	}
	return &Error{Op: op, Kind: classify(err), Err: err}
}
