package printer

import (
	"context"
	"errors"
	"fmt"
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

// Error is a printing failure: what was being done, its kind, and the
// cause. Callers reach it with errors.As and branch on KindOf.
type Error struct {
	Op   string // The function that failed, as package.Type.Method: "printer.Printer.Send".
	Kind Kind   // What class of failure it is; KindOther defers to the wrapped error's.
	Err  error  // The cause; nil when the kind says it all.
}

// E builds an *Error. op names the failing function as printer.Type.Method
// (printer.Func for functions); err may be an error, which is wrapped, a
// string, which becomes the wrapped error's text, or nil. It is the one way
// the package makes an *Error, as skranke.E is for the desk.
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

// Error returns "op: kind: cause"; when the cause is a printer error itself,
// its kind is not said twice: "op: inner op: kind: cause".
func (e *Error) Error() string {
	var inner *Error
	if errors.As(e.Err, &inner) && (e.Kind == KindOther || e.Kind == inner.Kind) {
		if e.Op == "" {
			return e.Err.Error()
		}
		return e.Op + ": " + e.Err.Error()
	}
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
	return ok && t.Op == "" && t.Err == nil && t.Kind == e.Kind && e.Kind != KindOther
}

// Sentinels for errors.Is: each matches any printer error of its kind. They
// have no op because they are only compared against, never returned.
var (
	ErrUnreachable = E("", KindUnreachable, nil)
	ErrTimeout     = E("", KindTimeout, nil)
	ErrPaperOut    = E("", KindPaperOut, nil)
	ErrCoverOpen   = E("", KindCoverOpen, nil)
	ErrOffline     = E("", KindOffline, nil)
	ErrUnsupported = E("", KindUnsupported, nil)
	ErrInvalid     = E("", KindInvalid, nil)
	ErrPermission  = E("", KindPermission, nil)
)

// KindOf returns the kind of the first *Error in err's chain that has one.
// Only an error from outside the package (net, os, syscall, context) with no
// kind given is classified by what it is; anything else is KindOther.
func KindOf(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return classify(err)
		}
		if e.Kind != KindOther {
			return e.Kind
		}
		err = e.Err
	}
	return KindOther
}

// classify guesses the kind of a low-level error from the OS, the network
// or a context.
func classify(err error) Kind {
	var ne net.Error
	switch {
	case err == nil:
		return KindOther
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

// wrapOp returns err as an *Error from op, its kind fixed now: a printer
// error keeps its kind, a foreign one is classified. It returns nil for nil.
func wrapOp(op string, err error) error {
	if err == nil {
		return nil
	}
	return E(op, KindOf(err), err)
}
