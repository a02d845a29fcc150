package sync

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/skranke/skranke"
)

// Offline login. The shop checks PINs and opens staff sessions; it sends
// the desk nothing derived from a PIN. So that staff can still log in while
// the shop is away, the desk makes its own verifier of the PIN at every
// successful online login: an argon2id hash, slow and memory-hard, so that
// someone holding desk.db needs at least pinCost per guess. Only staff who
// logged in online at this desk can log in offline, and a name is locked
// after MaxOfflinePINFailures wrong PINs in a row.

// pinCost are the argon2id parameters of the desk's offline PIN verifiers:
// 3 passes over 64 MiB, one lane. See docs/benchmarks-sync.md for what one
// guess costs (BenchmarkOfflinePINVerifier).
var pinCost = PINParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 1}

// PINParams are argon2id cost parameters.
type PINParams struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

const (
	// MaxOfflinePINFailures is how many wrong PINs in a row the desk takes
	// for one name offline before it locks that name.
	MaxOfflinePINFailures = 5
	// OfflineLockout is how long a locked name stays locked offline, unless
	// the staff member logs in at the shop first (the shop's own lock is as
	// long).
	OfflineLockout = 15 * time.Minute
)

// pinVerifier hashes pin with salt under params.
func pinVerifier(pin string, salt []byte, p PINParams) []byte {
	return argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, 32)
}

// staffSession is an open staff session at the shop.
type staffSession struct {
	token string
	staff skranke.Staff
}

// session returns the token of staffID's open staff session, or "".
func (d *Desk) session(staffID string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sessions[staffID].token
}

// managerSession returns the session of a logged-in manager, or else of
// anyone logged in, or "".
func (d *Desk) managerSession() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var any string
	for _, s := range d.sessions {
		if s.staff.Role == skranke.RoleManager {
			return s.token
		}
		any = s.token
	}
	return any
}

// dropSession forgets staffID's session if it is still token: the shop
// said it is gone.
func (d *Desk) dropSession(staffID, token string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.sessions[staffID]; ok && s.token == token {
		delete(d.sessions, staffID)
	}
}

// Online reports whether staffID has an open staff session at the shop:
// false after an offline login, when deliveries are recorded as stated by
// the desk.
func (d *Desk) Online(staffID string) bool { return d.session(staffID) != "" }

// Login checks a staff member's PIN. When the shop can be reached it checks
// the PIN itself and opens a staff session, which every action of theirs
// carries until Logout; the desk then also renews its offline verifier for
// them. When the shop cannot be reached, the desk checks the PIN against
// that verifier: only staff who have logged in online at this desk can log
// in offline, and deliveries they make are recorded as "offline, stated by
// the desk".
//
// A wrong PIN fails with kind Unauthorized; a name locked after repeated
// wrong PINs (at the shop, or MaxOfflinePINFailures here offline) with kind
// Locked; an offline login for someone with no verifier here with kind
// Unavailable.
func (d *Desk) Login(ctx context.Context, staffID, pin string) (skranke.Staff, error) {
	const op = "sync.Desk.Login"
	if staffID == "" || pin == "" {
		return skranke.Staff{}, skranke.E(op, skranke.Unauthorized, "choose a name and give the PIN")
	}
	cctx, cancel := context.WithTimeout(ctx, max(4*d.cfg.Timeout, LoginTimeout))
	s, err := d.cl.OpenSession(cctx, staffID, pin)
	cancel()
	d.noteReach(err)
	switch k := skranke.KindOf(err); {
	case err == nil:
		return d.loggedIn(ctx, s, pin)
	case k == skranke.Unauthorized:
		return skranke.Staff{}, skranke.E(op, skranke.Unauthorized, "unknown staff member or wrong PIN")
	case k != skranke.Unavailable && k != skranke.Internal:
		return skranke.Staff{}, skranke.E(op, k, err)
	}
	slog.Info("shop unreachable at login; checking the PIN offline", "staff", staffID, "err", err)
	return d.offlineLogin(ctx, staffID, pin, err)
}

// loggedIn keeps the session and renews the offline verifier.
func (d *Desk) loggedIn(ctx context.Context, s StaffSession, pin string) (skranke.Staff, error) {
	d.mu.Lock()
	old := d.sessions[s.Staff.ID]
	d.sessions[s.Staff.ID] = staffSession{token: s.Token, staff: s.Staff}
	d.mu.Unlock()
	if old.token != "" && old.token != s.Token {
		// Logged in twice without logging out: one session is enough.
		d.endAtShop(ctx, old.token)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return s.Staff, nil // No offline login for them; online works.
	}
	// Staff are in once the shop says so; the verifier is for a later
	// offline login. Deriving it costs argon2id's seconds of CPU on a
	// loaded desk PC, which staff waited for at every login.
	stored := make(chan struct{})
	d.mu.Lock()
	select {
	case <-d.closed:
		// Close has begun and waits only for the verifiers it saw: this
		// one would be written to a closed cache.
		d.mu.Unlock()
		return s.Staff, nil
	default:
	}
	before := d.verifying[s.Staff.ID]
	d.verifying[s.Staff.ID] = stored
	d.mu.Unlock()
	go d.storeVerifier(s.Staff, pin, salt, before, stored)
	return s.Staff, nil
}

// storeVerifier derives and stores staff's offline PIN verifier, after the
// one an older login is storing (before), and closes stored when done.
// One derivation runs at a time (d.deriving): at a shift change several
// staff log in within seconds, and each argon2id run takes 64 MiB and a
// core of a two-core desk PC that is scanning meanwhile.
func (d *Desk) storeVerifier(staffMember skranke.Staff, pin string, salt []byte, before, stored chan struct{}) {
	defer func() {
		d.mu.Lock()
		if d.verifying[staffMember.ID] == stored {
			delete(d.verifying, staffMember.ID)
		}
		d.mu.Unlock()
		close(stored)
	}()
	if before != nil {
		<-before // An older login's verifier must not land after this one.
	}
	d.mu.Lock()
	newer := d.verifying[staffMember.ID] != stored
	d.mu.Unlock()
	if newer {
		return // A later login of theirs stores its own.
	}
	d.deriving <- struct{}{}
	p := pinCost
	hash := pinVerifier(pin, salt, p)
	<-d.deriving
	staff, _ := json.Marshal(staffMember)
	wctx, cancel := context.WithTimeout(context.Background(), LoginTimeout)
	defer cancel()
	err := d.c.write(wctx, "sync.Desk.Login", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(wctx, `INSERT INTO pin_verifiers(staff_id, staff, salt, hash, time_cost, memory_kib, threads, failures, locked_until, created_at)
VALUES(?, ?, ?, ?, ?, ?, ?, 0, 0, ?)
ON CONFLICT(staff_id) DO UPDATE SET staff = excluded.staff, salt = excluded.salt, hash = excluded.hash, time_cost = excluded.time_cost,
memory_kib = excluded.memory_kib, threads = excluded.threads, failures = 0, locked_until = 0, created_at = excluded.created_at`,
			staffMember.ID, staff, salt, hash, p.Time, p.MemoryKiB, p.Threads, time.Now().UnixNano())
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(wctx, "INSERT INTO staff(id, body) VALUES(?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body", staffMember.ID, staff)
		return err
	})
	if err != nil {
		slog.Warn("store offline PIN verifier", "staff", staffMember.ID, "err", err)
	}
}

// verifiersStored waits until the offline PIN verifiers that online logins
// are deriving are stored: staffID's, or everyone's for "".
func (d *Desk) verifiersStored(ctx context.Context, staffID string) error {
	d.mu.Lock()
	var wait []chan struct{}
	for id, ch := range d.verifying {
		if staffID == "" || id == staffID {
			wait = append(wait, ch)
		}
	}
	d.mu.Unlock()
	for _, ch := range wait {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// offlineLogin checks pin against the verifier made at staffID's last
// online login at this desk. shopErr is why the shop was not asked.
func (d *Desk) offlineLogin(ctx context.Context, staffID, pin string, shopErr error) (skranke.Staff, error) {
	const op = "sync.Desk.Login"
	// The verifier of an online login a moment ago may still be on its way.
	if err := d.verifiersStored(ctx, staffID); err != nil {
		return skranke.Staff{}, skranke.E(op, skranke.Unavailable, err)
	}
	var (
		staffJSON, salt, hash []byte
		p                     PINParams
		failures              int
		lockedUntil           int64
	)
	err := d.c.r.QueryRowContext(ctx, "SELECT staff, salt, hash, time_cost, memory_kib, threads, failures, locked_until FROM pin_verifiers WHERE staff_id = ?", staffID).
		Scan(&staffJSON, &salt, &hash, &p.Time, &p.MemoryKiB, &p.Threads, &failures, &lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return skranke.Staff{}, skranke.E(op, skranke.Unavailable, fmt.Errorf("the shop cannot be reached, and %s has not logged in at this desk while it could, so the desk cannot check the PIN: %w", staffID, shopErr))
	}
	if err != nil {
		return skranke.Staff{}, skranke.E(op, skranke.Internal, err)
	}
	now := time.Now()
	if until := time.Unix(0, lockedUntil); lockedUntil != 0 && now.Before(until) {
		return skranke.Staff{}, lockedErr(op, until)
	}
	got := pinVerifier(pin, salt, p)
	if subtle.ConstantTimeCompare(got, hash) == 1 {
		var s skranke.Staff
		if err := json.Unmarshal(staffJSON, &s); err != nil {
			return skranke.Staff{}, skranke.E(op, skranke.Internal, fmt.Errorf("offline login record of %s is damaged: %w", staffID, err))
		}
		if failures > 0 || lockedUntil != 0 {
			_ = d.c.write(ctx, op, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "UPDATE pin_verifiers SET failures = 0, locked_until = 0 WHERE staff_id = ?", staffID)
				return err
			})
		}
		return s, nil
	}
	// Counted in the database, in one statement, so that neither a restart
	// nor two logins at once reset or skip the count.
	var n int
	var until int64
	err = d.c.write(ctx, op, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE pin_verifiers SET
 failures = CASE WHEN locked_until <> 0 AND locked_until <= ?1 THEN 1 ELSE failures + 1 END,
 locked_until = CASE WHEN (CASE WHEN locked_until <> 0 AND locked_until <= ?1 THEN 1 ELSE failures + 1 END) >= ?2 THEN ?3 ELSE 0 END
WHERE staff_id = ?4 RETURNING failures, locked_until`, now.UnixNano(), MaxOfflinePINFailures, now.Add(OfflineLockout).UnixNano(), staffID).Scan(&n, &until)
	})
	if err != nil {
		return skranke.Staff{}, err
	}
	if until != 0 {
		slog.Warn("offline login locked after wrong PINs", "staff", staffID, "failures", n)
		return skranke.Staff{}, lockedErr(op, time.Unix(0, until))
	}
	return skranke.Staff{}, skranke.E(op, skranke.Unauthorized, fmt.Sprintf("unknown staff member or wrong PIN (%d of %d tries before the name is locked)", n, MaxOfflinePINFailures))
}

// LockedError is the detail of a name locked after wrong PINs.
type LockedError struct {
	Until time.Time // Zero when the shop locked it and did not say until when.
}

// Error implements the error interface.
func (e *LockedError) Error() string {
	if e.Until.IsZero() {
		return "this name is locked after too many wrong PINs"
	}
	return "this name is locked after too many wrong PINs until " + e.Until.Local().Format("15:04") + ", or until a login while the shop is reachable"
}

func lockedErr(op string, until time.Time) error {
	return skranke.E(op, skranke.Locked, &LockedError{Until: until})
}

// Logout ends staffID's staff session at the shop (lock, logout, idle
// lock). The desk forgets the session even when the shop cannot be told,
// which is not an error: the shop then ends it when it has been idle long
// enough. An error means the shop answered and failed.
func (d *Desk) Logout(ctx context.Context, staffID string) error {
	d.mu.Lock()
	s, ok := d.sessions[staffID]
	delete(d.sessions, staffID)
	d.mu.Unlock()
	if !ok {
		return nil
	}
	return d.endAtShop(ctx, s.token)
}

func (d *Desk) endAtShop(ctx context.Context, token string) error {
	cctx, cancel := d.interactiveCtx(ctx)
	defer cancel()
	err := d.cl.EndSession(cctx, token)
	d.noteReach(err)
	if err == nil {
		return nil
	}
	switch skranke.KindOf(err) {
	case skranke.Unauthorized:
		// Already ended (expired): done.
	case skranke.Unavailable:
		slog.Info("staff session left to expire at the shop", "err", err)
	default:
		slog.Warn("end staff session at the shop", "err", err)
		return err
	}
	return nil
}

// endAllSessions ends every open staff session, as the desk closes.
func (d *Desk) endAllSessions(ctx context.Context) {
	d.mu.Lock()
	var tokens []string
	for id, s := range d.sessions {
		tokens = append(tokens, s.token)
		delete(d.sessions, id)
	}
	d.mu.Unlock()
	for _, t := range tokens {
		_ = d.endAtShop(ctx, t)
	}
}
