package shop

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skranke/skranke"
)

func (t *sqlTx) CountSignatures(deskID string, since time.Time) (int, error) {
	var n int
	err := t.queryRow("SELECT count(*) FROM signatures WHERE desk_id = ? AND created_at >= ?", deskID, since.UnixMilli()).Scan(&n)
	return n, internal("shop.sqlTx.CountSignatures", err)
}

func (t *sqlTx) PurgeSignatures(before time.Time) (int64, error) {
	return t.execCount("shop.sqlTx.PurgeSignatures", "DELETE FROM signatures WHERE created_at < ?", before.UnixMilli())
}

func (t *sqlTx) StaffAuth(staffID string) (StaffAuth, error) {
	a := StaffAuth{StaffID: staffID}
	var locked int64
	err := t.queryRow("SELECT verifier, failures, locked_until FROM staff_auth WHERE staff_id = ?", staffID).
		Scan(&a.Verifier, &a.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return a, skranke.E("shop.sqlTx.StaffAuth", skranke.NotFound, "no PIN for staff member "+staffID)
	}
	a.LockedUntil = msTime(locked)
	return a, internal("shop.sqlTx.StaffAuth", err)
}

func (t *sqlTx) PutStaffAuth(a StaffAuth) error {
	return t.exec("shop.sqlTx.PutStaffAuth", "INSERT OR REPLACE INTO staff_auth (staff_id, verifier, failures, locked_until) VALUES (?, ?, ?, ?)",
		a.StaffID, a.Verifier, a.Failures, timeMS(a.LockedUntil))
}

func (t *sqlTx) Session(hash string) (Session, error) {
	s := Session{TokenHash: hash}
	var c, u, e int64
	err := t.queryRow("SELECT desk_id, staff_id, created_at, last_used, expires_at FROM staff_sessions WHERE token_hash = ?", hash).
		Scan(&s.DeskID, &s.StaffID, &c, &u, &e)
	if errors.Is(err, sql.ErrNoRows) {
		return s, skranke.E("shop.sqlTx.Session", skranke.NotFound, "no such staff session")
	}
	s.CreatedAt, s.LastUsed, s.ExpiresAt = msTime(c), msTime(u), msTime(e)
	return s, internal("shop.sqlTx.Session", err)
}

// sessionAndStaff implements sessionStaffReader.
func (t *sqlTx) sessionAndStaff(hash string) (s Session, st skranke.Staff, staffErr, err error) {
	s = Session{TokenHash: hash}
	var c, u, e int64
	var doc []byte
	err = t.queryRow(`SELECT s.desk_id, s.staff_id, s.created_at, s.last_used, s.expires_at, st.doc
		FROM staff_sessions s LEFT JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = ?`, hash).
		Scan(&s.DeskID, &s.StaffID, &c, &u, &e, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return s, st, nil, skranke.E("shop.sqlTx.Session", skranke.NotFound, "no such staff session")
	}
	if err != nil {
		return s, st, nil, internal("shop.sqlTx.Session", err)
	}
	s.CreatedAt, s.LastUsed, s.ExpiresAt = msTime(c), msTime(u), msTime(e)
	const op = "shop.sqlTx.StaffMember"
	if doc == nil {
		return s, st, skranke.E(op, skranke.NotFound, "staff member "+s.StaffID+" not found"), nil
	}
	if err := json.Unmarshal(doc, &st); err != nil {
		staffErr = internal(op, fmt.Errorf("decode staff member %s: %w", s.StaffID, err))
	}
	return s, st, staffErr, nil
}

func (t *sqlTx) PutSession(s Session) error {
	return t.exec("shop.sqlTx.PutSession", `INSERT OR REPLACE INTO staff_sessions (token_hash, desk_id, staff_id, created_at, last_used, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, s.TokenHash, s.DeskID, s.StaffID, timeMS(s.CreatedAt), timeMS(s.LastUsed), timeMS(s.ExpiresAt))
}

func (t *sqlTx) DeleteSession(hash string) error {
	return t.exec("shop.sqlTx.DeleteSession", "DELETE FROM staff_sessions WHERE token_hash = ?", hash)
}

func (t *sqlTx) PurgeSessions(before time.Time) (int64, error) {
	return t.execCount("shop.sqlTx.PurgeSessions", "DELETE FROM staff_sessions WHERE expires_at < ? OR last_used < ?",
		before.UnixMilli(), before.Add(-SessionIdle).UnixMilli())
}
