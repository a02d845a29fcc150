package shop

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke"
)

func (t *pgTx) CountSignatures(deskID string, since time.Time) (int, error) {
	var n int
	err := t.queryRow("SELECT count(*) FROM signatures WHERE desk_id = $1 AND created_at >= $2", deskID, since.UnixMilli()).Scan(&n)
	return n, internal("count signatures", err)
}

func (t *pgTx) PurgeSignatures(before time.Time) (int64, error) {
	return t.execCount("purge signatures", "DELETE FROM signatures WHERE created_at < $1", before.UnixMilli())
}

// execCount runs a write now, after the queued ones, and says how many
// rows it touched.
func (t *pgTx) execCount(op, query string, args ...any) (int64, error) {
	clear(t.ahead)
	if err := t.flush(); err != nil {
		return 0, err
	}
	t.flushes++
	t.touch(touchedAll)
	t.sentWrites++
	tag, err := t.c.Exec(t.ctx, query, args...)
	if err != nil {
		return 0, internal(op, err)
	}
	return tag.RowsAffected(), nil
}

func (t *pgTx) StaffAuth(staffID string) (StaffAuth, error) {
	a := StaffAuth{StaffID: staffID}
	var locked, failures int64
	err := t.queryRow("SELECT verifier, failures, locked_until FROM staff_auth WHERE staff_id = $1", staffID).
		Scan(&a.Verifier, &failures, &locked)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, skranke.E("get staff PIN", skranke.NotFound, "no PIN for staff member "+staffID)
	}
	a.Failures, a.LockedUntil = int(failures), msTime(locked)
	return a, internal("get staff PIN", err)
}

func (t *pgTx) PutStaffAuth(a StaffAuth) error {
	return t.exec("put staff PIN", `INSERT INTO staff_auth (staff_id, verifier, failures, locked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (staff_id) DO UPDATE SET verifier = excluded.verifier, failures = excluded.failures, locked_until = excluded.locked_until`,
		a.StaffID, a.Verifier, int64(a.Failures), timeMS(a.LockedUntil))
}

func (t *pgTx) Session(hash string) (Session, error) {
	if a, ok := t.takeAhead(aheadSession + hash); ok {
		if !a.found {
			return a.sess, skranke.E("get staff session", skranke.NotFound, "no such staff session")
		}
		return a.sess, nil
	}
	s := Session{TokenHash: hash}
	var c, u, e int64
	err := t.queryRow("SELECT desk_id, staff_id, created_at, last_used, expires_at FROM staff_sessions WHERE token_hash = $1", hash).
		Scan(&s.DeskID, &s.StaffID, &c, &u, &e)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, skranke.E("get staff session", skranke.NotFound, "no such staff session")
	}
	s.CreatedAt, s.LastUsed, s.ExpiresAt = msTime(c), msTime(u), msTime(e)
	return s, internal("get staff session", err)
}

func (t *pgTx) PutSession(s Session) error {
	t.touch(aheadSession + s.TokenHash)
	return t.write("put staff session", "staff_sessions", `INSERT INTO staff_sessions (token_hash, desk_id, staff_id, created_at, last_used, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (token_hash) DO UPDATE SET last_used = excluded.last_used, expires_at = excluded.expires_at`,
		s.TokenHash, s.DeskID, s.StaffID, timeMS(s.CreatedAt), timeMS(s.LastUsed), timeMS(s.ExpiresAt))
}

func (t *pgTx) DeleteSession(hash string) error {
	return t.exec("delete staff session", "DELETE FROM staff_sessions WHERE token_hash = $1", hash)
}

func (t *pgTx) PurgeSessions(before time.Time) (int64, error) {
	return t.execCount("purge staff sessions", "DELETE FROM staff_sessions WHERE expires_at < $1 OR last_used < $2",
		before.UnixMilli(), before.Add(-SessionIdle).UnixMilli())
}
