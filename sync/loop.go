package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/skranke/skranke"
)

// PageSize is how many changes the desk asks for at a time.
const PageSize = 1000

// progressRows is how many rows of the changes feed go between the
// progress lines a long pull logs.
const progressRows = 100_000

// staffRefresh is how often the loop refreshes the staff list and desk info.
const staffRefresh = 5 * time.Minute

// Run runs the sync loop (pull changes, drain the outbox) until ctx ends or
// the desk is closed. It syncs at once, then every SyncInterval, on SyncNow,
// and when new actions are queued. After a failure it backs off
// exponentially with jitter, never longer than SyncInterval, so that
// everything is synced within one interval of the shop coming back.
func (d *Desk) Run(ctx context.Context) error {
	var lastStaff time.Time
	// The first purge waits purgeAfterStart: at start it competed with the
	// window coming up and the first sync, and it reads every old settled
	// purchase (4 s of CPU for 75,000 on a loaded 2-core desk PC).
	lastPurge := time.Now().Add(purgeAfterStart - purgeEvery)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.closed:
			return nil
		case <-timer.C:
		case <-d.now:
		case <-d.kick:
			if d.backingOff() {
				continue
			}
		}
		if time.Since(lastStaff) > staffRefresh && !d.backingOff() {
			sctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
			_, serr := d.refreshStaff(sctx)
			if serr == nil {
				_, _, serr = d.DeskInfo(sctx)
			}
			cancel()
			if serr == nil {
				lastStaff = time.Now()
			}
		}
		if time.Since(lastPurge) > purgeEvery {
			if _, perr := d.PurgeBuyers(ctx, time.Now()); perr != nil {
				slog.Warn("purge buyer data", "err", perr)
			}
			lastPurge = time.Now()
		}
		err := d.Sync(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if ierr := d.indexCached(ctx, true); ierr != nil && ctx.Err() == nil {
			slog.Warn("index cached purchases", "err", ierr)
		}
		// Desk actions between syncs (every scan caches what the shop
		// said) fill the writer's page cache, sized for a feed batch, a
		// few pages each across a cache of a million: keep it small while
		// the desk is at rest. The next write reads its pages again from
		// the operating system's cache.
		d.c.shrinkWriter()
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(d.nextWait(err))
	}
}

// nextWait is how long the loop sleeps after a sync that ended with err.
func (d *Desk) nextWait(err error) time.Duration {
	if err == nil {
		return d.cfg.SyncInterval
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Until(d.retryAt)
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// backoff is the wait after n consecutive failures: exponential from 250 ms,
// capped at limit, with the upper half jittered so desks do not stampede a
// shop that comes back.
func backoff(n int, limit time.Duration) time.Duration {
	d := 250 * time.Millisecond
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + rand.N(half+1)
}

// SyncNow asks the loop to sync at once, without waiting for the interval.
func (d *Desk) SyncNow() {
	select {
	case d.now <- struct{}{}:
	default:
	}
}

func (d *Desk) kickLoop() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Sync pulls the shop's changes and sends the outbox once, now, and returns
// the first error. Run calls it; it is exported for a "sync now" button that
// wants the result, and for tests.
func (d *Desk) Sync(ctx context.Context) error {
	select {
	case <-d.closed:
		return skranke.E("sync.Desk.Sync", skranke.Unavailable, "the desk is closed")
	default:
	}
	if err := d.busyErr("sync.Desk.Sync"); err != nil {
		// The shop asked to be left alone a while (Retry-After): a
		// "sync now" does not override that.
		d.afterSync(err, true)
		return err
	}
	d.checkRestored(ctx)
	_, err := d.drain(ctx, 0)
	// One action the shop keeps failing on (a 500 on that request alone)
	// must not keep the cache from updating: go on unless the shop is gone.
	if err == nil || !(skranke.KindOf(err) == skranke.Unavailable) {
		err = errors.Join(err, d.resolveSending(ctx))
	}
	if err == nil || !(skranke.KindOf(err) == skranke.Unavailable) {
		restarted := d.restartedAt()
		err = errors.Join(err, d.pull(ctx))
		if !d.restartedAt().Equal(restarted) && err == nil {
			// The shop was restored: what it lost of this desk's work is
			// queued again (startOver) and went before the pull from the
			// start (pull); what that drain left, and what staff did
			// during the pull, goes now, not a sync later, before another
			// desk takes the purchase as not handed over.
			_, err = d.drain(ctx, 0)
		}
	}
	// Deleted personal data a reader kept in the WAL: its pages are
	// emptied once the reader is gone, not at the next deletion.
	d.c.checkpointOwed()
	d.afterSync(err, true)
	return err
}

// afterSync records a sync's outcome for Status and the backoff. full says
// whether it was a whole sync (a success then sets LastSync).
func (d *Desk) afterSync(err error, full bool) {
	d.mu.Lock()
	if err != nil {
		d.failures++
		d.retryAt = time.Now().Add(backoff(d.failures, d.cfg.SyncInterval))
		if ra := waitAsked(err); ra > 0 {
			d.busyUntil = later(d.busyUntil, time.Now().Add(ra))
		}
		// Not before the shop said it may be asked again.
		d.retryAt = later(d.retryAt, d.busyUntil)
		// A sync held back by the shop's Retry-After keeps the shop's
		// own answer as the last error: the wait says nothing new.
		var held *BusyError
		if !errors.As(err, &held) || d.lastErr == nil {
			d.lastErr = err
		}
		if skranke.KindOf(err) == skranke.Unavailable {
			d.online = false
		}
	} else {
		d.failures = 0
		d.lastErr = nil
		d.online = true
		if full {
			d.lastSync = time.Now().UTC()
		}
	}
	last := d.lastSync
	// Kept for a start without the shop ("offline, synced 3 min ago"):
	// at most once a minute, and at Close. A write after every poll of
	// a desk at rest added a WAL frame every 5 s.
	keep := err == nil && full && last.Sub(d.lastSyncKept) >= lastSyncKeepEvery
	if keep {
		d.lastSyncKept = last
	}
	d.mu.Unlock()
	if keep {
		d.keepLastSync(last)
	} else if err != nil && !(skranke.KindOf(err) == skranke.Unavailable) {
		slog.Warn("desk sync failed", "err", err)
	}
	d.notify()
}

// lastSyncKeepEvery is how often a desk that syncs keeps its last sync's
// time in the cache, at most: a start without the shop shows it.
const lastSyncKeepEvery = time.Minute

// keepLastSync writes last as the last sync's time to the cache (afterSync,
// Close), which its callers noted in lastSyncKept.
func (d *Desk) keepLastSync(last time.Time) {
	wctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = d.c.writeRelaxed(wctx, "sync.Desk.afterSync", func(tx *sql.Tx) error { return setMeta(wctx, tx, "last_sync", last.Format(time.RFC3339Nano)) })
}

// Cursor returns the position in the shop's changes feed the cache has reached.
func (d *Desk) Cursor(ctx context.Context) (int64, error) {
	s, err := d.c.meta(ctx, "cursor")
	if err != nil || s == "" {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// pull fetches the changes feed from the stored cursor to its end, applying
// the pages in transactions of many (feedBatch), each with the cursor of
// its last page, so that a crash resumes after the last page committed.
// Pages are fetched and decoded ahead while earlier ones are written
// (fetchFeed).
func (d *Desk) pull(ctx context.Context) error {
	start := time.Now()
	err := d.pullFeed(ctx)
	var restored *FeedRestoredError
	if errors.As(err, &restored) {
		d.cfg.Logger.Warn("the shop's changes feed is behind this desk: its database was restored from an earlier copy; the cache starts over (the outbox is kept)",
			"cursor", restored.Since, "shop", restored.Message)
		if err = d.startOver(ctx); err == nil {
			// What the restore lost of this desk's work (queued again
			// by startOver) goes before the pull from the start, which
			// takes minutes on a large shop: until it reaches the shop,
			// another desk takes the purchases as not handed over. An
			// action that fails here stays queued and goes with the
			// next drain; only a shop gone away stops the pull too.
			_, derr := d.drain(ctx, 0)
			if derr != nil && skranke.KindOf(derr) == skranke.Unavailable {
				err = fmt.Errorf("send again what the restored shop lost: %w", derr)
			} else {
				err = errors.Join(derr, d.pullFeed(ctx))
			}
		}
	}
	if err == nil {
		err = d.retryRefused(ctx, start)
	}
	d.mu.Lock()
	d.feedOK = err == nil
	d.mu.Unlock()
	return err
}

// restartedAt is when the cache last started over (startOver).
func (d *Desk) restartedAt() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.feedRestarted
}

// feedWorks reports whether the last pull of the changes feed succeeded:
// the shop answers, and a failure on one action is that action's.
func (d *Desk) feedWorks() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.feedOK
}

// sqlResend selects the outbox actions a desk sends again when it finds
// the shop restored from an earlier copy: the deliveries and reversals the
// shop had accepted (done), as far back as the outbox keeps them
// (OutboxRetention). Those accepted after the copy was taken are gone from
// the shop, and the desk cannot tell which: a restored shop's changes feed
// numbers are not a clock. Each names itself (the delivery's or reversal's
// ID, which the shop checks before anything else, idempotency key or not),
// so the shop answers one it still has as it did and does the lost ones
// once. Signatures are not sent again: the desk deleted its copy once the
// shop had it (docs/privacy.md), so a signed hand-over the restore lost
// comes back refused and waits for a manager, not silently dropped.
// Redemptions and credits are not sent again either: they needed the
// shop's answer there and then, and a new one would not be the one the
// customer holds (a remainder card's code).
const sqlResend = "state = 'done' AND kind IN ('delivery', 'reversal')"

// startOver empties what the cache holds of the shop (purchases, cards,
// redemptions, the activity the shop confirmed, and what is derived from
// them) and sets the cursor to the start, in one transaction, so that the
// next pull files the shop's state from scratch: after a restore the desk
// may hold changes the shop has lost, and the shop will give their numbers
// to other changes. The outbox, signatures, staff and PIN verifiers stay:
// what staff did and has not reached the shop is still sent.
func (d *Desk) startOver(ctx context.Context) error {
	const op = "sync.Desk.startOver"
	d.pullMu.Lock()
	defer d.pullMu.Unlock()
	at := time.Now().UTC()
	var resent int64
	err := d.c.write(ctx, op, func(tx *sql.Tx) error {
		// Cards first: their delete trigger books into card_days, which
		// is emptied after. The derived tables go before the purchases,
		// so that their triggers find nothing to undo row by row.
		// What the shop had accepted from this desk may be lost with the
		// restore: the hand-overs and their undoing go again (see
		// sqlResend), and the report shows them as not yet confirmed until
		// the shop answers.
		if _, err := tx.ExecContext(ctx, "UPDATE activities SET synced = 0 WHERE id IN (SELECT key FROM outbox WHERE "+sqlResend+")"); err != nil {
			return fmt.Errorf("keep the resent actions in the report: %w", err)
		}
		res, err := tx.ExecContext(ctx, "UPDATE outbox SET state = 'pending', attempts = 0, last_error = '', updated_at = ? WHERE "+sqlResend, time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("send the accepted actions again: %w", err)
		}
		resent, _ = res.RowsAffected()
		// A bulk indexing's own tables go with what they hold; the rest of
		// the bulk (the indexes it dropped, the search index's setting) is
		// undone below, so that the full pull that follows files into the
		// schema of a fresh cache and not into tables without their
		// indexes (see bulkindex.go).
		for _, q := range sqlDropBulkTables {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		for _, q := range []string{
			"DELETE FROM cards",
			"DELETE FROM card_days",
			// A gift card use or credit whose outcome staff were not yet
			// told (untold) keeps what LateOutcomes reads to tell them:
			// the shop may send it again, or not if the restore lost it.
			"DELETE FROM redemptions WHERE id NOT IN (SELECT key FROM outbox WHERE untold = 1)",
			"DELETE FROM month_facts",
			"DELETE FROM month_sums",
			"DELETE FROM pickup_products",
			"DELETE FROM purchases",
			"INSERT INTO purchase_search(purchase_search) VALUES ('delete-all')",
			"DELETE FROM activities WHERE synced = 1 AND id NOT IN (SELECT key FROM outbox WHERE untold = 1)",
			"DELETE FROM feed_refused",
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		// Created on the emptied tables, the indexes cost nothing now.
		if err := createIndexes(ctx, tx, append(slices.Clone(bulkRebuiltIndexes), bulkDroppedIndexes...)); err != nil {
			return err
		}
		if err := setBulkIndex(ctx, tx, false); err != nil {
			return err
		}
		if err := setMeta(ctx, tx, "cursor", "0"); err != nil {
			return err
		}
		return setMeta(ctx, tx, "feed_restarted", at.Format(time.RFC3339Nano))
	})
	if err != nil {
		return storeErr(op, err)
	}
	if resent > 0 {
		d.cfg.Logger.Warn("the shop was restored: the deliveries and undos it had accepted from this desk are sent again (the shop recognises the ones it still has by their IDs)",
			"actions", resent)
	}
	d.mu.Lock()
	d.feedRestarted = at
	d.mu.Unlock()
	d.filed.Add(1)
	d.notify()
	return nil
}

func (d *Desk) pullFeed(ctx context.Context) error {
	d.pullMu.Lock()
	defer d.pullMu.Unlock()
	d.pulling.Add(1)
	defer d.pulling.Add(-1)
	cursor, err := d.Cursor(ctx)
	if err != nil {
		return skranke.E("sync.Desk.pullFeed", skranke.Internal, fmt.Errorf("read cursor: %w", err))
	}
	b := &feedBatch{c: d.c, since: cursor}
	if err := d.c.r.QueryRowContext(ctx, "SELECT ifnull(max(rowid), 0) FROM purchases").Scan(&b.cached); err != nil {
		return skranke.E("sync.Desk.pullFeed", skranke.Internal, fmt.Errorf("count cached purchases: %w", err))
	}
	b.bulkAhead = b.cached == 0
	defer b.close(ctx) // Whatever an error left open, and copies not written yet.
	start := time.Now()
	var total int
	mark, markRows := start, 0
	committed := func(n int) {
		if n <= 0 {
			return
		}
		d.filed.Add(1)
		total += n
		d.notify()
		if total-markRows >= progressRows {
			// A long pull (a first sync, a desk back after days) says how
			// it goes, so that a rate that falls shows in the log.
			d.cfg.Logger.Info("changes feed progress", "rows", total, "per_second", int(float64(total-markRows)/time.Since(mark).Seconds()))
			mark, markRows = time.Now(), total
		}
	}
	// The fetcher fetches the pages ahead while this goroutine decodes
	// and writes them: see fetchFeed.
	fctx, stopFetch := context.WithCancel(ctx)
	var ft fetchTimes
	pages := d.fetchFeed(fctx, cursor, &ft)
	var waited, decoding time.Duration // For pages the fetcher had not brought yet; decoding them.
	defer func() {
		stopFetch()
		for range pages { // The fetcher has ended once it closes pages.
		}
		if total >= PageSize {
			took := time.Since(start)
			// Where the time went: a writer that seldom waits for pages
			// sets the pace; one that waits much waits for the shop.
			d.cfg.Logger.Info("changes feed pulled", "rows", total, "seconds", took.Seconds(), "per_second", int(float64(total)/took.Seconds()),
				"writer_waited_s", waited.Seconds(), "commits_s", b.committing.Seconds(), "longest_commit_s", b.longest.Seconds(),
				"decoding_s", decoding.Seconds(), "fetching_s", ft.fetching.Seconds(), "fetcher_waited_s", ft.waited.Seconds())
		}
	}()
	for {
		var f fetchedPage
		var ok bool
		asked := time.Now()
		select {
		case f, ok = <-pages:
		case <-d.c.gate.wantC():
			// A desk action waits while the next page is on its way.
			n, err := b.end(true)
			committed(n)
			if err != nil {
				return storeErr("sync.Desk.pullFeed", err)
			}
			f, ok = <-pages
		}
		waited += time.Since(asked)
		if !ok {
			// Only ctx ends the fetcher before a last page or an error.
			f.err = skranke.E("sync.Desk.pullFeed", skranke.Unavailable, fmt.Errorf("cancelled: %w", context.Cause(ctx)))
		}
		if f.err == nil && f.page == nil {
			// Decoding a page is milliseconds of CPU that a scan on a
			// two-core desk PC would wait for: not while one is under
			// way. It is done here rather than in a goroutine of its
			// own, which ran beside the fetcher and the shop while staff
			// scanned, and made scans wait longer for a processor.
			b.c.gate.pauseForDesk(ctx)
			began := time.Now()
			f.page, f.err = f.read()
			decoding += time.Since(began)
		}
		d.noteReach(f.err)
		if f.err != nil {
			// Keep the pages that came.
			n, err := b.finish()
			committed(n)
			return errors.Join(f.err, err)
		}
		page := f.page
		if page.Next < cursor || (page.More && page.Next == cursor) {
			return skranke.E("sync.Desk.pullFeed", skranke.Internal, fmt.Sprintf("the shop's changes feed went backwards (from %d to %d)", cursor, page.Next))
		}
		if len(page.Purchases)+len(page.Cards) == 0 && page.Next == cursor && !page.More && b.tx == nil {
			// Nothing new, as on every poll of a desk at rest: no
			// transaction for a cursor that stays where it is (SQLite
			// wrote no page for it, but the transaction, its four
			// prepared statements and the pragmas around it were CPU
			// every few seconds).
			return nil
		}
		n, err := b.apply(ctx, page)
		committed(n)
		if err == nil && (b.rows >= b.batchRows() || !page.More) {
			if page.More {
				n, err = b.end(true)
			} else {
				n, err = b.finish()
			}
			if err != nil {
				err = storeErr("sync.Desk.applyPage", err)
			}
			committed(n)
		}
		if err != nil {
			return err
		}
		cursor = page.Next
		if !page.More {
			return nil
		}
	}
}

// feedAhead is how many pages of the changes feed the fetcher may hold
// ahead of the page being written. The writer's commits and checkpoints
// wait for the disk: with a single page ahead, the fetcher (and the shop,
// whose answer it waits for) stood still as long, and the pull took the
// sum of both sides' time rather than the longer. A page is about a
// megabyte of JSON.
const feedAhead = 4

// fetchedPage is a page of the changes feed as the fetcher got it, with
// where the fetcher read that the next page starts (see pageTail), or the
// error that ended the fetching. page is nil until the page is decoded
// (read); the fetcher decodes one itself only when its end does not say
// where the next one starts.
type fetchedPage struct {
	body  []byte
	since int64 // What the page was asked for with.
	next  int64
	more  bool
	page  *ChangesPage
	err   error
}

// read decodes the page and checks that it says where the next one
// starts as its end did.
func (f *fetchedPage) read() (*ChangesPage, error) {
	p, err := readChangesPage(f.body)
	if err != nil {
		return nil, err
	}
	if p.Next != f.next || p.More != f.more {
		return nil, skranke.E("sync.Client.Changes", skranke.Internal, unreadableAnswer{fmt.Errorf(
			"the shop's changes page after %d says the next starts after %d (more: %v), but ends with %d (more: %v)",
			f.since, p.Next, p.More, f.next, f.more)})
	}
	return &p, nil
}

// fetchTimes is where the fetcher's time went: asking the shop (the
// answer's transfer and gunzip included), and waiting for the writer to
// take the pages.
type fetchTimes struct {
	fetching, waited time.Duration
}

// fetchFeed fetches the changes feed from the page after since on, each
// page from where the last ended, in a goroutine of its own, and sends the
// pages on the channel it returns, up to feedAhead of them ahead of the
// reader. It asks for the next page as soon as the body of one has come:
// its end says where the next starts (pageTail), so the shop works on a
// page while the desk decodes and writes the one before. It stops after a
// page that ends the feed (or does not move on, which the reader refuses),
// after an error, which it sends, or when ctx ends, and then closes the
// channel; ft holds its times once the channel is closed. The feed's
// cursor is the writer's: a page fetched ahead is fetched again after a
// crash.
//
// Like the writer it pauses while a desk action is under way, before each
// page (writeGate.waitDeskIdle): a page's gunzip is milliseconds of CPU
// that a scan on a two-core desk PC would wait for.
func (d *Desk) fetchFeed(ctx context.Context, since int64, ft *fetchTimes) <-chan fetchedPage {
	pages := make(chan fetchedPage, feedAhead)
	go func() {
		defer close(pages)
		for {
			d.c.gate.waitDeskIdle(ctx)
			began := time.Now()
			f := fetchedPage{since: since}
			f.body, f.err = d.cl.changesBody(ctx, since, PageSize)
			if f.err == nil {
				var ok bool
				if f.next, f.more, ok = pageTail(f.body); !ok {
					// An ending the shop does not write: decode the page
					// to know where the next one starts.
					p, err := readChangesPage(f.body)
					f.page, f.err, f.next, f.more = &p, err, p.Next, p.More
				}
			}
			got := time.Now()
			ft.fetching += got.Sub(began)
			select {
			case pages <- f:
			case <-ctx.Done():
				return
			}
			ft.waited += time.Since(got)
			if f.err != nil || !f.more || f.next <= since {
				return
			}
			since = f.next
		}
	}()
	return pages
}

// maxRetryRefused is how many refused entries of the changes feed one sync
// asks the shop for again: a forged feed must not turn every sync into a
// thousand requests.
const maxRetryRefused = 20

// Refused entries still impossible are asked for again after a pause that
// doubles with every attempt, from refusedRetryFirst up to refusedRetryMax:
// an entry a broken proxy spoiled once comes within the minute, while one
// the shop keeps sending impossible (a shop bug, a forger) costs a request
// an hour, not one every sync.
const (
	refusedRetryFirst = 30 * time.Second
	refusedRetryMax   = time.Hour
)

// refusedRetryAfter is the pause before the next request for a refused
// entry the shop has given impossible attempts times since it was refused.
func refusedRetryAfter(attempts int) time.Duration {
	if attempts < 1 {
		return 0
	}
	d := refusedRetryFirst
	for i := 1; i < attempts && d < refusedRetryMax; i++ {
		d *= 2
	}
	return min(d, refusedRetryMax)
}

// retryRefused asks the changes feed again for the refused entries that
// are due (feed_refused), each by its own number, the longest waiting
// first: one the shop now gives whole is filed, one the feed no longer
// holds at that number was replaced by a newer change (filed, or refused
// under its own number, by the pull), and one still impossible stays
// refused and is asked for again after a longer pause (refusedRetryAfter).
// So an entry a broken proxy spoiled once is not lost for good, though the
// cursor moved on past it, and entries that stay impossible neither starve
// the others nor cost a request each at every sync. An entry is due from
// when it was refused, but only for a pull that started after that: the
// pull that has just refused it saw it impossible a moment ago. What the
// answers change is written in one transaction; a sync with nothing due
// writes nothing.
func (d *Desk) retryRefused(ctx context.Context, pullStart time.Time) error {
	const op = "sync.Desk.retryRefused"
	type refusal struct {
		kind     string
		seq      int64
		attempts int
		reason   string
		// What the shop's answer brought: the entry still impossible
		// (why), or whole (purchase and raw, or card), or neither (no
		// longer at that number). asked is false when no answer came.
		asked    bool
		why      string
		purchase *pageItem
		raw      []byte
		card     *skranke.Card
	}
	now := time.Now()
	rows, err := d.c.r.QueryContext(ctx, "SELECT kind, seq, attempts, reason FROM feed_refused WHERE next_at < ? ORDER BY next_at, seq LIMIT ?",
		pullStart.UnixNano(), maxRetryRefused)
	if err != nil {
		return skranke.E(op, skranke.Internal, fmt.Errorf("find the refused entries due: %w", err))
	}
	var todo []refusal
	for rows.Next() {
		var r refusal
		if err := rows.Scan(&r.kind, &r.seq, &r.attempts, &r.reason); err != nil {
			rows.Close()
			return skranke.E(op, skranke.Internal, fmt.Errorf("read a refused entry: %w", err))
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return skranke.E(op, skranke.Internal, fmt.Errorf("read the refused entries: %w", err))
	}
	// The answers come first, and are written together after: a shop
	// gone away halfway still has what it answered written.
	var away error
	for i := range todo {
		r := &todo[i]
		page, err := d.cl.Changes(ctx, r.seq-1, 1)
		d.noteReach(err)
		var beyond *FeedRestoredError
		if errors.As(err, &beyond) {
			// The number is beyond the feed's head: the shop never gave
			// it (a forged number), or was restored since, which the
			// next pull finds and starts over from. Nothing to ask for.
			page, err = ChangesPage{}, nil
		}
		if err != nil {
			if skranke.KindOf(err) == skranke.Unavailable {
				// Not the entry's doing: it stays due for the next sync.
				away = err
				break
			}
			// Any other answer is asked for again after the pause, as
			// an impossible one is, so that it is not asked at every
			// sync either.
			d.cfg.Logger.Warn("ask the shop again for a refused entry of its changes feed", "kind", r.kind, "seq", r.seq, "err", err)
			r.asked, r.why = true, r.reason
			if r.why == "" {
				r.why = err.Error()
			}
			continue
		}
		r.asked = true
		for i := range page.items {
			if it := &page.items[i]; r.kind == refusedPurchase && it.Seq == r.seq {
				r.purchase, r.raw, r.why = it, page.Purchases[i], it.refused
			}
		}
		for i := range page.cards {
			if c := &page.cards[i]; r.kind == refusedCard && c.Seq == r.seq {
				r.card = c
				if page.cardsRefused != nil {
					r.why = page.cardsRefused[i]
				}
			}
		}
	}
	if !slices.ContainsFunc(todo, func(r refusal) bool { return r.asked }) {
		return away
	}
	filed := false
	err = d.c.writeRelaxed(ctx, op, func(tx *sql.Tx) error {
		var w *writer
		for i := range todo {
			r := &todo[i]
			if !r.asked {
				continue
			}
			if r.why != "" {
				next := now.Add(refusedRetryAfter(r.attempts + 1)).UnixNano()
				if _, err := tx.ExecContext(ctx, "UPDATE feed_refused SET reason = ?, attempts = ?, next_at = ? WHERE kind = ? AND seq = ?",
					r.why, r.attempts+1, next, r.kind, r.seq); err != nil {
					return fmt.Errorf("put off the refused %s %d: %w", r.kind, r.seq, err)
				}
				continue
			}
			if r.purchase != nil || r.card != nil {
				if w == nil {
					var err error
					if w, err = newWriter(ctx, tx); err != nil {
						return err
					}
				}
				if r.purchase != nil {
					p := r.purchase.full
					if p == nil {
						p = new(skranke.Purchase)
						if err := json.Unmarshal(r.raw, p); err != nil {
							return fmt.Errorf("read purchase %s: %w", r.purchase.Code, err)
						}
					}
					if err := w.putPurchase(p, r.raw); err != nil {
						return err
					}
				} else if err := w.putCard(r.card); err != nil {
					return err
				}
				filed = true
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM feed_refused WHERE kind = ? AND seq = ?", r.kind, r.seq); err != nil {
				return fmt.Errorf("forget the refused %s %d: %w", r.kind, r.seq, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range todo {
		if r.asked && r.why == "" {
			d.cfg.Logger.Info("a refused entry of the shop's changes feed came whole", "kind", r.kind, "seq", r.seq, "filed", r.purchase != nil || r.card != nil)
		}
	}
	if filed {
		d.filed.Add(1)
		d.notify()
	}
	return away
}

// restoreCheckEvery is how often the desk asks the shop whether it still
// has the last hand-over or undo it accepted from this desk (checkRestored): one
// small request every few minutes, and a restore the changes feed cannot
// show is found within as long.
const restoreCheckEvery = 5 * time.Minute

// shopNotFound reports whether err is the shop's own answer that it does
// not know what was asked: a 404 whose body is the shop's error document.
// A 404 page from a proxy or load balancer in front of the shop (during a
// deploy, or a route it does not pass on) is no news of the shop's data.
func shopNotFound(err error) bool {
	var se *StatusError
	return skranke.KindOf(err) == skranke.NotFound && errors.As(err, &se) && se.Shop
}

// checkRestored finds a restore of the shop's database that the changes
// feed does not show: the restored shop answers 410 only while its head is
// behind the desk's cursor, and new changes (the web shop, other desks)
// may pass the cursor again before this desk polls. Then the desk would
// go on from its cursor, missing the changes numbered below it, and never
// send again what the restore lost of its work. Every restoreCheckEvery it
// asks the shop for the purchase of the last hand-over or undo the shop
// accepted from this desk: a restore that lost anything of this desk's
// lost that one too, since it came last. Both kinds count, since an undo
// made after the last hand-over is lost alone by a copy taken between
// them. A shop without it (for a hand-over, nor an undoing of it) was
// restored, and the desk starts over as for a 410 (startOver), which sends
// again what the shop had accepted. Only the shop's own "not found" counts
// (shopNotFound); a request the shop did not answer is tried at the next
// sync, any other answer again after restoreCheckEvery.
func (d *Desk) checkRestored(ctx context.Context) {
	d.mu.Lock()
	due := time.Since(d.restoreChecked) >= restoreCheckEvery
	if due {
		d.restoreChecked = time.Now()
	}
	d.mu.Unlock()
	if !due || d.backingOff() {
		return
	}
	var kind, code, id string
	err := d.c.r.QueryRowContext(ctx, "SELECT kind, code, key FROM outbox WHERE kind IN ('delivery', 'reversal') AND state = 'done' ORDER BY id DESC LIMIT 1").Scan(&kind, &code, &id)
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			d.cfg.Logger.Warn("find the desk's last hand-over or undo", "err", err)
		}
		return
	}
	cctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	p, _, err := d.cl.Purchase(cctx, code)
	cancel()
	d.noteReach(err)
	switch {
	case err == nil && kind == kindDelivery && (hasDelivery(p, id) || p.Reversed(id)):
		return
	case err == nil && kind == kindReversal && hasReversal(p, id):
		// The shop keeps a reversal under the ID the desk chose (a
		// resend finds it), and refuses a second undo of a delivery
		// rather than answer with another desk's: a done undo is in
		// the shop's list by its own ID.
		return
	case errors.As(err, new(*skranke.ElsewhereError)):
		return // Another centre's now (the desk was moved): nothing lost.
	case err != nil && !shopNotFound(err):
		if skranke.KindOf(err) == skranke.Unavailable {
			d.mu.Lock()
			d.restoreChecked = time.Time{} // Not answered: ask at the next sync.
			d.mu.Unlock()
		}
		// Any other answer (a proxy's page, a refusal, a broken
		// answer) proves nothing: asked again in restoreCheckEvery.
		return
	}
	// Purchases are never deleted at the shop, nor deliveries and their
	// undoing (an undoing is recorded beside the delivery): only a
	// restore loses them.
	d.cfg.Logger.Warn("the shop no longer has the last hand-over or undo it accepted from this desk: its database was restored from an earlier copy; the cache starts over (the outbox is kept and what the shop had accepted is sent again)",
		"code", code, "kind", kind, "id", id, "err", err)
	if err := d.startOver(ctx); err != nil {
		d.cfg.Logger.Warn("start the cache over after a restore of the shop", "err", err)
	}
}
