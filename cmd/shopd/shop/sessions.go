package shop

import (
	"context"
	"time"
)

// StaffAuth is how the shop checks a staff member's PIN: the verifier
// (argon2id, see NewPINVerifier), the wrong PINs in a row, and until when
// the member is locked out after too many.
type StaffAuth struct {
	StaffID     string
	Verifier    string
	Failures    int
	LockedUntil time.Time // Zero when not locked.
}

// Session is a staff member's login at one desk: made by POST
// /staff/sessions with the right PIN, valid only with the bearer token of
// that desk, ended by DELETE /staff/sessions/current, after SessionIdle
// unused or at ExpiresAt. TokenHash is TokenHash of the session token: the
// database never holds a usable token.
type Session struct {
	TokenHash string
	DeskID    string
	StaffID   string
	CreatedAt time.Time
	LastUsed  time.Time
	ExpiresAt time.Time
}

// Session lifetimes and the PIN lockout.
const (
	// SessionIdle is how long an unused session lives; each use slides it.
	SessionIdle = 30 * time.Minute
	// SessionMaxAge is how long a session lives at most.
	SessionMaxAge = 12 * time.Hour
	// MaxPINFailures is how many wrong PINs in a row lock a staff member.
	MaxPINFailures = 5
	// PINLockout is how long a locked staff member is refused.
	PINLockout = 15 * time.Minute
)

// Expired reports whether the session cannot be used at now.
func (s Session) Expired(now time.Time) bool {
	return !now.Before(s.ExpiresAt) || !now.Before(s.LastUsed.Add(SessionIdle))
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func timeMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// DefaultSignatureRetention is how long the shop keeps buyers' signatures:
// five years, as bookkeeping records are kept.
const DefaultSignatureRetention = 5 * 365 * 24 * time.Hour

// Purged says how much Purge deleted.
type Purged struct {
	Keys, Sessions, Signatures int64
}

// Purge deletes what the shop no longer needs at now: idempotency keys
// older than IdempotencyRetention, ended staff sessions, and signatures
// stored longer ago than sigRetention.
func Purge(ctx context.Context, store Store, now time.Time, sigRetention time.Duration) (Purged, error) {
	var n Purged
	err := store.Update(ctx, func(tx Tx) error {
		var err error
		if n.Keys, err = tx.PurgeIdempotency(now.Add(-IdempotencyRetention)); err != nil {
			return err
		}
		if n.Sessions, err = tx.PurgeSessions(now); err != nil {
			return err
		}
		n.Signatures, err = tx.PurgeSignatures(now.Add(-sigRetention))
		return err
	})
	return n, err
}
