package app

import (
	"errors"

	"github.com/skranke/skranke"
)

// errText turns an error from the desk into a sentence for staff.
func errText(err error) string {
	if err == nil {
		return ""
	}
	switch skranke.KindOf(err) {
	case skranke.Unavailable:
		return tr("err.unavailable", "The shop cannot be reached (offline).")
	case skranke.Unauthorized:
		return tr("err.unauthorized", "The shop did not accept the desk token or PIN. Check Settings.")
	case skranke.Forbidden:
		return tr("err.forbidden", "Your role does not allow this.")
	case skranke.NotFound:
		return tr("err.not_found", "Not found.")
	case skranke.NotPayable:
		return tr("err.not_payable", "The purchase is not paid, so it cannot be delivered.")
	case skranke.Conflict:
		return tr("err.conflict", "The shop refused: {{.Msg}}", m{"Msg": innermost(err)})
	case skranke.Invalid:
		return tr("err.invalid", "Invalid: {{.Msg}}", m{"Msg": innermost(err)})
	}
	return err.Error()
}

// innermost returns the message of the innermost wrapped error, which is the
// server's or the validator's own words without the chain of operations.
func innermost(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
