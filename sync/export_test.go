package sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/skranke/skranke"
)

// Test hooks: exported only to this package's tests.

// CacheForTest stores purchases, cards and staff in the cache as if the shop
// had sent them, in one transaction.
func (d *Desk) CacheForTest(ctx context.Context, ps []*skranke.Purchase, cards []*skranke.Card, staff []skranke.Staff) error {
	return d.c.write(ctx, "test", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if err := w.putPurchase(p, nil); err != nil {
				return err
			}
		}
		for _, c := range cards {
			if err := w.putCard(c); err != nil {
				return err
			}
		}
		for _, s := range staff {
			b, _ := json.Marshal(s)
			if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO staff(id, body) VALUES(?, ?)", s.ID, b); err != nil {
				return err
			}
		}
		return nil
	})
}

// FillDiskForTest makes the cache's disk "full": the database may not grow.
func (d *Desk) FillDiskForTest(ctx context.Context) error {
	var n int64
	if err := d.c.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(&n); err != nil {
		return err
	}
	_, err := d.c.w.ExecContext(ctx, "PRAGMA max_page_count = "+itoa(n))
	return err
}

// OutboxStatesForTest counts outbox rows by state.
func (d *Desk) OutboxStatesForTest(ctx context.Context) (map[string]int, error) {
	return d.countsForTest(ctx, "SELECT state, count(*) FROM outbox GROUP BY state")
}

// countsForTest reads rows of a name and a count into a map.
func (d *Desk) countsForTest(ctx context.Context, query string) (map[string]int, error) {
	rows, err := d.c.r.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		m[s] = n
	}
	return m, rows.Err()
}

// Backoff exposes the loop's backoff for tests.
func Backoff(n int, limit time.Duration) time.Duration { return backoff(n, limit) }

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// BulkCacheForTest stores n purchases made by gen in one transaction, the
// way a benchmark builds a large cache quickly.
func (d *Desk) BulkCacheForTest(ctx context.Context, n int, gen func(i int) *skranke.Purchase) error {
	return d.c.write(ctx, "test", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		for i := range n {
			if err := w.putPurchase(gen(i), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// The lookup queries, for checking their plans.
var LookupQueries = []string{sqlGetPurchase, sqlGetCard}

// PickupQueriesForTest returns the pickup list's count and list queries
// for f, with their arguments but the limit, for checking their plans.
func PickupQueriesForTest(f PickupFilter) (count, list string, args []any) {
	return pickupQueries(f)
}

// PruneForTest prunes settled outbox actions older than before.
func (d *Desk) PruneForTest(ctx context.Context, before time.Time) (int64, error) {
	return d.c.prune(ctx, before)
}

// CountCachedForTest counts the cached purchases and gift cards.
func (d *Desk) CountCachedForTest(ctx context.Context) (int, error) {
	var n int
	err := d.c.r.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM purchases) + (SELECT count(*) FROM cards)").Scan(&n)
	return n, err
}

// MaxServerFailuresForTest is how many server failures in a row move an
// outbox action to the conflicts list.
const MaxServerFailuresForTest = maxServerFailures

// StoredRequest is an outbox action's request as the desk stored it.
type StoredRequest struct {
	Kind, Key, Method, Path, ContentType, StaffID string
	Body                                          []byte
}

// OutboxForTest lists the outbox's actions in order, with their stored
// requests.
func (d *Desk) OutboxForTest(ctx context.Context) ([]StoredRequest, error) {
	rows, err := d.c.r.QueryContext(ctx, "SELECT kind, key, method, path, content_type, staff_id, body FROM outbox ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredRequest
	for rows.Next() {
		var r StoredRequest
		if err := rows.Scan(&r.Kind, &r.Key, &r.Method, &r.Path, &r.ContentType, &r.StaffID, &r.Body); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SessionForTest returns the token of staffID's open staff session.
func (d *Desk) SessionForTest(staffID string) string { return d.session(staffID) }

// SignaturesOnDeskForTest counts the signature PNGs the desk keeps.
func (d *Desk) SignaturesOnDeskForTest(ctx context.Context) (int, error) {
	var n int
	err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM signatures").Scan(&n)
	return n, err
}

// CacheTextForTest returns every text and blob the cache's tables hold
// about staff, joined, to look for what must not be there, once the offline
// PIN verifiers of the logins so far are stored.
func (d *Desk) CacheTextForTest(ctx context.Context) (string, error) {
	if err := d.verifiersStored(ctx, ""); err != nil {
		return "", err
	}
	var s string
	err := d.c.r.QueryRowContext(ctx, `SELECT coalesce((SELECT group_concat(CAST(body AS TEXT), '|') FROM staff), '') || '|' ||
 coalesce((SELECT group_concat(hex(hash) || ':' || time_cost || ':' || memory_kib, '|') FROM pin_verifiers), '')`).Scan(&s)
	return s, err
}

// PINVerifierForTest computes one offline PIN verifier at the desk's cost.
func PINVerifierForTest(pin string) []byte {
	return pinVerifier(pin, []byte("0123456789abcdef"), pinCost)
}

// CacheFileContainsForTest reports whether the cache's files (database and
// WAL) hold the bytes b anywhere, free pages included.
func (d *Desk) CacheFileContainsForTest(b []byte) (bool, error) {
	for _, p := range []string{d.c.path, d.c.path + "-wal"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			return false, err
		}
		if bytes.Contains(raw, b) {
			return true, nil
		}
	}
	return false, nil
}

// OutboxCountsForTest reads the counters the outbox's triggers keep, by
// state, signatures included.
func (d *Desk) OutboxCountsForTest(ctx context.Context) (map[string]int, error) {
	return d.countsForTest(ctx, "SELECT state, sum(n) FROM outbox_counts GROUP BY state HAVING sum(n) <> 0")
}

// RecountStatusForTest counts pending actions and conflicts row by row, as
// Status did before it had counters.
func (d *Desk) RecountStatusForTest(ctx context.Context) (pending, conflicts int, err error) {
	err = d.c.r.QueryRowContext(ctx, `SELECT
 (SELECT count(*) FROM outbox WHERE state = 'pending' AND kind <> 'signature'),
 (SELECT count(*) FROM outbox WHERE `+sqlConflict+`)`).Scan(&pending, &conflicts)
	return pending, conflicts, err
}

// StatusQueryForTest is the query behind Status, for checking its plan.
const StatusQueryForTest = sqlStatus

// HoldReadersForTest takes all but free of the cache's read connections, as
// screens and the sync loop reading at the same moment do, until release.
func (d *Desk) HoldReadersForTest(ctx context.Context, free int) (release func(), err error) {
	var held []*sql.Conn
	release = func() {
		for _, c := range held {
			c.Close()
		}
	}
	for range d.c.r.Stats().MaxOpenConnections - free {
		c, err := d.c.r.Conn(ctx)
		if err != nil {
			release()
			return nil, err
		}
		held = append(held, c)
	}
	return release, nil
}

// ReadInProgressForTest opens a read transaction on one of the cache's read
// connections, as a long report does, and keeps it open until release.
func (d *Desk) ReadInProgressForTest(ctx context.Context) (release func(), err error) {
	c, err := d.c.r.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var n int
	if _, err = c.ExecContext(ctx, "BEGIN"); err == nil {
		err = c.QueryRowContext(ctx, "SELECT count(*) FROM outbox").Scan(&n)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return func() {
		c.ExecContext(context.Background(), "ROLLBACK")
		c.Close()
	}, nil
}

// UnfileCardsForTest makes the cached cards look as migration 0010 leaves
// the cards of an older cache: without their days.
func (d *Desk) UnfileCardsForTest(ctx context.Context) error {
	return d.c.write(ctx, "test", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE cards SET issued_day = -1, end_day = -1, owed = 0, amount = 0")
		return err
	})
}

// IndexedForTest counts the cached purchases whose search words, month
// facts and pickup rows are filed (none queued in unindexed).
func (d *Desk) IndexedForTest(ctx context.Context) (int, error) {
	var n int
	err := d.c.r.QueryRowContext(ctx, "SELECT count(*) FROM purchases WHERE rowid NOT IN (SELECT purchase FROM unindexed)").Scan(&n)
	return n, err
}

// CachedPurchasesForTest returns each cached purchase's seq and a digest of
// the body the cache holds, by code.
func (d *Desk) CachedPurchasesForTest(ctx context.Context) (map[string]string, error) {
	rows, err := d.c.r.QueryContext(ctx, "SELECT code, seq, body FROM purchases")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code string
		var seq int64
		var body []byte
		if err := rows.Scan(&code, &seq, &body); err != nil {
			return nil, err
		}
		out[code] = fmt.Sprintf("%d %x", seq, sha256.Sum256(body))
	}
	return out, rows.Err()
}

// FillStoreForTest makes the cache's disk full where the desk stores an
// action: the database may not grow, and every row written to the outbox
// (deliveries, signatures, gift card uses, credits, undoings) needs room,
// so SQLite itself fails each with "database or disk is full", whatever
// room is left in the outbox's pages. FreeStoreForTest undoes it.
func (d *Desk) FillStoreForTest(ctx context.Context) error {
	for _, q := range []string{
		"CREATE TABLE IF NOT EXISTS main.filler_for_test(b BLOB)",
		"CREATE TEMP TRIGGER IF NOT EXISTS full_for_test BEFORE INSERT ON main.outbox BEGIN INSERT INTO main.filler_for_test VALUES (zeroblob(1048576)); END",
	} {
		if _, err := d.c.w.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return d.FillDiskForTest(ctx)
}

// FreeStoreForTest gives the cache room again after FillStoreForTest.
func (d *Desk) FreeStoreForTest(ctx context.Context) error {
	for _, q := range []string{"DROP TRIGGER IF EXISTS temp.full_for_test", "PRAGMA max_page_count = 1073741823"} {
		if _, err := d.c.w.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// TruncateWALForTest copies the WAL into the database and empties it, as
// after a restart, so that the next write needs new room on the disk.
func (d *Desk) TruncateWALForTest(ctx context.Context) error {
	done, err := walCheckpoint(ctx, d.c.ck, "TRUNCATE")
	if err == nil && !done {
		err = fmt.Errorf("a reader or writer kept the WAL from being emptied")
	}
	return err
}

// HoldWriterForTest takes the cache's write gate as a desk action does,
// so that nothing else writes to the cache until release is called.
func (d *Desk) HoldWriterForTest(ctx context.Context) (release func(), err error) {
	if err := d.c.gate.lock(ctx); err != nil {
		return nil, err
	}
	return d.c.gate.unlock, nil
}

// FetchFeedForTest fetches and decodes the changes feed from since to its
// end as a pull does (fetchFeed, fetchedPage.read), without filing
// anything, and returns how many purchases came.
func (d *Desk) FetchFeedForTest(ctx context.Context, since int64) (int, error) {
	var ft fetchTimes
	n := 0
	for f := range d.fetchFeed(ctx, since, &ft) {
		if f.err == nil && f.page == nil {
			f.page, f.err = f.read()
		}
		if f.err != nil {
			return n, f.err
		}
		n += len(f.page.Purchases)
	}
	return n, nil
}

// CopiesOpenForTest reports whether a pull of the changes feed is writing
// and takes the copies of the shop's answers (writeGate.handOff).
func (d *Desk) CopiesOpenForTest() bool {
	d.c.gate.mu.Lock()
	defer d.c.gate.mu.Unlock()
	return d.c.gate.open
}

// IndexCachedForTest runs Desk.indexCached: background as the sync loop
// does after a sync, or at a desk action's priority as a search does.
func (d *Desk) IndexCachedForTest(ctx context.Context, background bool) error {
	return d.indexCached(ctx, background)
}

// DataDirForTest is the desk's data directory.
func (d *Desk) DataDirForTest() string { return d.cfg.DataDir }

// CachedCardForTest is the gift card code as the cache holds it, or nil.
func (d *Desk) CachedCardForTest(ctx context.Context, code string) (*skranke.Card, error) {
	c, _, ok, err := d.c.cachedCard(ctx, code)
	if !ok {
		return nil, err
	}
	return c, err
}

// CheckRestoreNowForTest makes the next Sync ask the shop for the desk's
// last hand-over or undo (checkRestored), however recently it last did.
func (d *Desk) CheckRestoreNowForTest() {
	d.mu.Lock()
	d.restoreChecked = time.Time{}
	d.mu.Unlock()
}

// StartOverForTest empties the cache as after a restore of the shop
// (startOver).
func (d *Desk) StartOverForTest(ctx context.Context) error { return d.startOver(ctx) }

// ForgetRedemptionForTest deletes the cached redemption id, as a damaged
// or lost row.
func (d *Desk) ForgetRedemptionForTest(ctx context.Context, id string) error {
	return d.c.write(ctx, "test", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM redemptions WHERE id = ?", id)
		return err
	})
}

// RefusedDueForTest makes every refused entry of the changes feed due at
// the next Sync, as once its pause (refusedRetryAfter) has passed.
func (d *Desk) RefusedDueForTest(ctx context.Context) error {
	return d.c.write(ctx, "test", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE feed_refused SET next_at = 0")
		return err
	})
}
