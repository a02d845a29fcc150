package shop

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/skranke/skranke"
)

// SessionHeader carries a staff session's token on every staff action.
const SessionHeader = "X-Staff-Session"

// ApproverHeader carries the staff session of a manager who approves, with
// their PIN at the desk, an action of staff who are not managers (a credit).
const ApproverHeader = "X-Approver-Session"

// SessionRequest is the body of POST /staff/sessions.
type SessionRequest struct {
	StaffID string `json:"staff_id"`
	PIN     string `json:"pin"`
}

// SessionResult is the answer to POST /staff/sessions: the session token
// to send in X-Staff-Session, who it is for, and when it ends at the
// latest (it ends earlier after SessionIdle unused).
type SessionResult struct {
	Token     string        `json:"token"`
	Staff     skranke.Staff `json:"staff"`
	ExpiresAt time.Time     `json:"expires_at"`
}

// publicStaff is what a desk may know of a staff member: no PIN material.
func publicStaff(s skranke.Staff) skranke.Staff {
	return skranke.Staff{ID: s.ID, Name: s.Name, Role: s.Role, CentreID: s.CentreID}
}

// actingStaff returns the staff member of the request's staff session,
// which must have been opened at the desk that sends it and not have
// expired. In a write transaction the session's idle time starts again.
func (s *Server) actingStaff(tx Tx, req *request) (skranke.Staff, error) {
	const op = "shop.Server.actingStaff"
	tok := strings.TrimSpace(req.http.Header.Get(SessionHeader))
	if tok == "" {
		return skranke.Staff{}, skranke.E(op, skranke.Unauthorized, "a staff session is required: log in at the desk")
	}
	st, err := s.sessionStaff(tx, req, tok)
	if err != nil {
		return st, skranke.E(op, skranke.Other, err)
	}
	return st, nil
}

// sessionStaff returns the staff member of the staff session tok, which must
// be open at the request's desk and belong to someone of its centre.
func (s *Server) sessionStaff(tx Tx, req *request, tok string) (skranke.Staff, error) {
	const op = "shop.Server.sessionStaff"
	var sess Session
	var st skranke.Staff
	var err, staffErr error
	joined, ok := tx.(sessionStaffReader)
	if ok {
		sess, st, staffErr, err = joined.sessionAndStaff(TokenHash(tok))
	} else {
		sess, err = tx.Session(TokenHash(tok))
	}
	if skranke.KindOf(err) == skranke.NotFound {
		return skranke.Staff{}, skranke.E(op, skranke.Unauthorized, "the staff session has ended or is not known: log in again")
	}
	if err != nil {
		return skranke.Staff{}, err
	}
	now := s.now()
	if sess.DeskID != req.desk.ID {
		return skranke.Staff{}, skranke.E(op, skranke.Unauthorized, "the staff session belongs to another desk: log in again")
	}
	if sess.Expired(now) {
		return skranke.Staff{}, skranke.E(op, skranke.Unauthorized, "the staff session expired: log in again")
	}
	if ok {
		err = staffErr
	} else {
		st, err = tx.StaffMember(sess.StaffID)
	}
	if skranke.KindOf(err) == skranke.NotFound || (err == nil && st.CentreID != req.desk.CentreID) {
		return st, skranke.E(op, skranke.Forbidden, "staff member "+sess.StaffID+" does not work at this centre")
	}
	if err != nil {
		return st, err
	}
	// Sliding the idle expiry costs a write; once a minute is enough.
	if req.write && now.Sub(sess.LastUsed) >= time.Minute {
		sess.LastUsed = now
		if err := tx.PutSession(sess); err != nil {
			return st, err
		}
	}
	return st, nil
}

// sessionStaffReader is a Tx that reads a staff session and its staff
// member with one statement: on SQLite the second statement was a good
// part of what every delivery costs the group committer.
type sessionStaffReader interface {
	// sessionAndStaff returns the session of hash as Tx.Session does,
	// and its staff member with the error Tx.StaffMember would give.
	sessionAndStaff(hash string) (sess Session, st skranke.Staff, staffErr, err error)
}

// approvingManager returns who approves an action that only a manager may
// do: staff themselves when they are a manager, or else the manager whose
// staff session, opened with their PIN at this desk (so counted against
// their lockout like any login), the request carries in ApproverHeader. A
// missing or unusable approval is refused with kind Forbidden, never
// Unauthorized, which would tell the desk that staff's own session ended.
func (s *Server) approvingManager(tx Tx, req *request, staff skranke.Staff, what string) (skranke.Staff, error) {
	const op = "shop.Server.approvingManager"
	if staff.Role == skranke.RoleManager {
		return staff, nil
	}
	tok := strings.TrimSpace(req.http.Header.Get(ApproverHeader))
	if tok == "" {
		return skranke.Staff{}, skranke.E(op, skranke.Forbidden, staff.Name+" is "+string(staff.Role)+"; only a manager may "+what+", or staff with a manager's approval")
	}
	m, err := s.sessionStaff(tx, req, tok)
	if err != nil {
		return skranke.Staff{}, skranke.E(op, skranke.Forbidden, fmt.Errorf("the manager's approval is not valid: %w", err))
	}
	if m.Role != skranke.RoleManager {
		return skranke.Staff{}, skranke.E(op, skranke.Forbidden, m.Name+" is "+string(m.Role)+" and cannot approve; only a manager may "+what)
	}
	return m, nil
}

// staffLockCount is how many mutexes the PIN checks of all staff share:
// enough that two staff members logging in at once seldom wait for each
// other (a chain's centres have tens of staff, not hundreds, and PIN
// checks run two at a time anyway, see pinSem).
const staffLockCount = 256

// staffLock returns the mutex the PIN checks of staff id take turns on.
// The hash is seeded per process, so that no one can choose ids that
// share a real staff member's mutex to hold up their logins.
func (s *Server) staffLock(id string) *sync.Mutex {
	return &s.staffLocks[maphash.String(s.staffLocksSeed, id)%staffLockCount]
}

// openSession checks a staff member's PIN and opens a session at the desk.
// The PIN checks of one staff member take turns on this shopd, and each
// wrong one is counted before the next begins, so that guesses sent in
// parallel cannot get past the lockout (with several shopd on one
// database, each can let one guess run beside the others' at most).
func (s *Server) openSession(w http.ResponseWriter, req *request) {
	const op = "shop.Server.openSession"
	ctx := req.http.Context()
	var in SessionRequest
	if err := decode(req, &in); err != nil {
		writeError(w, err)
		return
	}
	in.StaffID = strings.TrimSpace(in.StaffID)
	if err := checkID("staff", in.StaffID); err != nil {
		writeError(w, err)
		return
	}
	mu := s.staffLock(in.StaffID)
	mu.Lock()
	defer mu.Unlock()
	now := s.now()
	var st skranke.Staff
	var auth StaffAuth
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		st, err = tx.StaffMember(in.StaffID)
		if skranke.KindOf(err) == skranke.NotFound || (err == nil && st.CentreID != req.desk.CentreID) {
			return skranke.E(op, skranke.Unauthorized, "no staff member "+in.StaffID+" at this centre")
		}
		if err != nil {
			return err
		}
		auth, err = tx.StaffAuth(st.ID)
		if skranke.KindOf(err) == skranke.NotFound {
			auth, err = StaffAuth{StaffID: st.ID}, nil
		}
		if err != nil {
			return err
		}
		if auth.Verifier == "" && st.PINHash == "" {
			return skranke.E(op, skranke.Unauthorized, st.Name+" has no PIN at the shop yet; a manager must set one")
		}
		if auth.LockedUntil.After(now) {
			return skranke.E(op, skranke.Locked, fmt.Sprintf("%s is locked after %d wrong PINs; try again in %d minutes",
				st.Name, MaxPINFailures, int(auth.LockedUntil.Sub(now)/time.Minute)+1))
		}
		return nil
	})
	if err != nil {
		if skranke.KindOf(err) == skranke.Locked {
			s.log.Warn("staff login refused: locked", "staff", in.StaffID, "desk", req.desk.ID, "remote", s.clientAddr(req.http))
		}
		writeError(w, err)
		return
	}
	// A staff member from before the shop kept its own verifiers has only
	// the old PBKDF2 digest in the staff document: a right PIN replaces it
	// with a verifier, and the digest is dropped.
	legacy := auth.Verifier == ""
	var ok bool
	if legacy {
		ok = skranke.CheckPIN(st, in.PIN)
	} else {
		ok = s.verifyPIN(auth.Verifier, in.PIN)
	}
	res := SessionResult{Staff: publicStaff(st)}
	lockedNow := false
	err = s.store.Update(ctx, func(tx Tx) error {
		cur, err := tx.StaffAuth(st.ID)
		if skranke.KindOf(err) == skranke.NotFound && legacy {
			cur, err = StaffAuth{StaffID: st.ID}, nil
		}
		if err != nil {
			return err
		}
		if ok && legacy {
			if err := CheckPINPolicy(st.Role, in.PIN); err != nil {
				s.log.Warn("staff PIN shorter than the policy; set a new one", "staff", st.ID)
			}
			salt := make([]byte, pinSaltLen)
			rand.Read(salt)
			cur.Verifier = encodeVerifier(in.PIN, salt, pinTime, pinMemory, pinThreads)
			if err := tx.PutStaff(publicStaff(st)); err != nil {
				return err
			}
			if err := tx.PutStaffAuth(cur); err != nil {
				return err
			}
		}
		if !ok {
			if !cur.LockedUntil.IsZero() && !cur.LockedUntil.After(now) {
				cur.Failures, cur.LockedUntil = 0, time.Time{} // An earlier lockout has ended.
			}
			cur.Failures++
			if cur.Failures >= MaxPINFailures {
				cur.LockedUntil, lockedNow = now.Add(PINLockout), true
			}
			return tx.PutStaffAuth(cur)
		}
		if cur.Failures != 0 || !cur.LockedUntil.IsZero() {
			cur.Failures, cur.LockedUntil = 0, time.Time{}
			if err := tx.PutStaffAuth(cur); err != nil {
				return err
			}
		}
		raw := make([]byte, 32)
		rand.Read(raw)
		res.Token = base64.RawURLEncoding.EncodeToString(raw)
		res.ExpiresAt = now.Add(SessionMaxAge)
		return tx.PutSession(Session{TokenHash: TokenHash(res.Token), DeskID: req.desk.ID, StaffID: st.ID,
			CreatedAt: now, LastUsed: now, ExpiresAt: res.ExpiresAt})
	})
	if err != nil {
		writeError(w, err)
		return
	}
	if !ok {
		s.log.Warn("wrong staff PIN", "staff", st.ID, "desk", req.desk.ID, "remote", s.clientAddr(req.http), "locked", lockedNow)
		msg := "wrong PIN for " + st.Name
		if lockedNow {
			msg += fmt.Sprintf("; locked for %d minutes after %d wrong PINs", int(PINLockout/time.Minute), MaxPINFailures)
		}
		writeError(w, skranke.E(op, skranke.Unauthorized, msg))
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

// verifyPIN checks a PIN, at most two at a time: each check takes 64 MiB
// and a good part of a core, and a flood of logins must not take the
// shop's memory.
func (s *Server) verifyPIN(verifier, pin string) bool {
	s.pinSem <- struct{}{}
	defer func() { <-s.pinSem }()
	return VerifyPIN(verifier, pin)
}

// closeSession ends the request's staff session (desk lock, logout, idle
// lock). Ending a session that has already ended is no error.
func (s *Server) closeSession(w http.ResponseWriter, req *request) {
	tok := strings.TrimSpace(req.http.Header.Get(SessionHeader))
	if tok == "" {
		writeError(w, skranke.E("shop.Server.closeSession", skranke.Invalid, "the "+SessionHeader+" header names the session to end"))
		return
	}
	err := s.store.Update(req.http.Context(), func(tx Tx) error {
		sess, err := tx.Session(TokenHash(tok))
		if skranke.KindOf(err) == skranke.NotFound || (err == nil && sess.DeskID != req.desk.ID) {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.DeleteSession(sess.TokenHash)
	})
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// abandonedFingerprint marks an idempotency key that POST
// /actions/{key}/resolve settled as never applied: a request arriving
// with it later is refused.
const abandonedFingerprint = "abandoned"

// ResolveResult is the answer to POST /actions/{key}/resolve. State is
// "applied" (Status and Body are the original answer) or "abandoned".
type ResolveResult struct {
	State  string          `json:"state"`
	Status int             `json:"status,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// resolve settles an action whose answer the desk lost: in one write
// transaction, the same as actions run in, it returns the applied answer
// or records the key as abandoned, after which the original request can
// never apply.
func (s *Server) resolve(w http.ResponseWriter, req *request) {
	key := strings.TrimSpace(req.http.PathValue("key"))
	if key == "" || len(key) > 255 || !printableKey(key) {
		writeError(w, skranke.E("shop.Server.resolve", skranke.Invalid, "the idempotency key to resolve is missing, longer than 255 characters or not printable text"))
		return
	}
	var res ResolveResult
	err := s.store.Update(req.http.Context(), func(tx Tx) error {
		old, err := tx.Idempotency(req.scope, key)
		switch {
		case err == nil && old.Fingerprint == abandonedFingerprint:
			res = ResolveResult{State: "abandoned"}
			return nil
		case err == nil:
			res = ResolveResult{State: "applied", Status: old.Status, Body: json.RawMessage(strings.TrimSpace(string(old.Body)))}
			return nil
		case skranke.KindOf(err) != skranke.NotFound:
			return err
		}
		res = ResolveResult{State: "abandoned"}
		return tx.PutIdempotency(IdempotencyRecord{Scope: req.scope, Key: key, Fingerprint: abandonedFingerprint,
			Status: http.StatusConflict, ContentType: "application/json", Body: []byte("{}"), CreatedAt: s.now()})
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// failLimiter counts failures per key (a client address) in a window and
// refuses a key that had too many, until its window ends.
type failLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	m      map[string]*failWindow
}

type failWindow struct {
	n     int
	start time.Time
}

func newFailLimiter(max int, window time.Duration) *failLimiter {
	return &failLimiter{max: max, window: window, m: map[string]*failWindow{}}
}

// blocked reports whether key had max failures in its current window.
func (l *failLimiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[key]
	return f != nil && now.Sub(f.start) < l.window && f.n >= l.max
}

// fail counts a failure of key and returns the failures in its window.
func (l *failLimiter) fail(key string, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 10_000 {
		for k, f := range l.m {
			if now.Sub(f.start) >= l.window {
				delete(l.m, k)
			}
		}
	}
	f := l.m[key]
	if f == nil || now.Sub(f.start) >= l.window {
		f = &failWindow{start: now}
		l.m[key] = f
	}
	f.n++
	return f.n
}

// Wrong desk tokens: after MaxTokenFailures from one address within
// TokenFailureWindow, further wrong tokens from that address are answered
// 429 until the window ends, and tokens never accepted on this shopd are
// looked up only within BlockedLookupsPerSecond (see Server.authDesk).
const (
	MaxTokenFailures   = 10
	TokenFailureWindow = time.Minute
)
