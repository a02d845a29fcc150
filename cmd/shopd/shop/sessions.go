package shop

import "time"

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
