package app

import (
	"errors"

	"github.com/skranke/skranke"
)

// errText turns an error from the desk into a sentence for staff: every
// kind of error has its own text, in the staff's language.
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
	case skranke.Internal:
		return tr("err.internal", "Something failed in the shop or on this desk: {{.Msg}}", m{"Msg": innermost(err)})
	case skranke.Unknown:
		return tr("err.unknown", "The shop did not answer, so it is not known yet whether this was done. The desk is finding out; do not try again before it says.")
	}
	return tr("err.other", "Something went wrong: {{.Msg}}", m{"Msg": innermost(err)})
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
