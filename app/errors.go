package app

import (
	"errors"
	"log/slog"
	"net/http"
	"syscall"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// errText turns an error from the desk into a sentence for staff: every
// kind of error has its own text, in the staff's language.
func errText(err error) string {
	if err == nil {
		return ""
	}
	switch skranke.KindOf(err) {
	case skranke.Unavailable:
		if desksync.ShopBusy(err) {
			return label("err.busy")
		}
		return label("err.unavailable")
	case skranke.Unauthorized:
		return label("err.unauthorized")
	case skranke.Forbidden:
		return label("err.forbidden")
	case skranke.NotFound:
		return label("err.not_found")
	case skranke.NotPayable:
		return label("err.not_payable")
	case skranke.Conflict:
		return label("err.conflict", m{"Msg": detail(err)})
	case skranke.Invalid:
		return label("err.invalid", m{"Msg": detail(err)})
	case skranke.Internal:
		if text, ok := storageText(err); ok {
			return text
		}
		return label("err.internal", m{"Msg": detail(err)})
	case skranke.Unknown:
		return label("err.unknown")
	case skranke.Locked:
		var se *desksync.StatusError
		if errors.As(err, &se) && se.Status == http.StatusTooManyRequests {
			return label("err.token_locked")
		}
		var le *desksync.LockedError
		if errors.As(err, &le) && !le.Until.IsZero() {
			return label("err.locked_until", m{"Until": fmtTime(le.Until)})
		}
		return label("err.locked")
	}
	return label("err.other", m{"Msg": detail(err)})
}

// storageText says, for a desk action that failed because the desk could
// not save to its disk, that the action did not happen (the desk saves an
// action before it sends it), why, and what staff do: hand nothing over,
// call IT. ok is false for any other error.
func storageText(err error) (text string, ok bool) {
	se := storageErr(err)
	if se == nil {
		return "", false
	}
	slog.Warn("the desk cannot save to its disk", "err", err)
	if se.Full {
		return label("err.storage_full"), true
	}
	return label("err.storage_failed"), true
}

// detail is an error's own words for a sentence that quotes them. The
// shop's, the libraries' and the system's messages are English: staff who
// work in another language read that the details are in the desk's log,
// where they go.
func detail(err error) string {
	if label("lang.code") == "en" {
		return innermost(err)
	}
	slog.Info("error shown to staff without its English details", "err", err)
	return label("err.details_logged")
}

// innermost returns the message of the innermost wrapped error, which is the
// server's or the validator's own words without the chain of operations.
func innermost(err error) string {
	for {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			// fmt.Errorf with several %w: the marks come first, the cause last.
			if errs := j.Unwrap(); len(errs) > 0 {
				err = errs[len(errs)-1]
				continue
			}
		}
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// diskFull reports whether err is a write that failed for want of space
// (the disk or the user's quota full).
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// elsewhereText says where a code was bought (key: scan.elsewhere_detail or
// cards.elsewhere_detail) with the centre's name, address and phone, those
// the shop gave.
func elsewhereText(key, code string, c skranke.Centre) string {
	where := c.Name
	if c.Address != "" {
		where += ", " + c.Address
	}
	text := label(key, m{"Code": code, "Centre": c.Name, "Where": where})
	if c.Phone != "" {
		text += " " + label("elsewhere.phone", m{"Phone": c.Phone})
	}
	return text
}
