package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/skranke/skranke"
)

// feedBatchRows is how many purchases and gift cards of the changes feed
// go in one transaction at least: twenty pages. Reference codes are random,
// so each transaction dirties pages all over the code index; at a million
// purchases that index is some 2,300 pages (18 MB) and a transaction of
// twenty thousand rows touches nearly all of them. The WAL receives the
// whole index once per transaction, so the larger the batch, the fewer
// bytes per purchase: a cache that holds more than feedBatchShare times
// feedBatchRows purchases takes larger batches (feedBatch.batchRows), up
// to feedBatchMaxRows, so that the bytes written per purchase, and the
// CPU of the commits that write them, grow less with the cache. A desk
// action never waits for a whole batch: see writeGate.
const feedBatchRows = 20 * PageSize

// feedBatchShare is how many purchases the cache holds per row of a
// transaction of the feed, past feedBatchRows: a transaction writes its own
// rows once and the code index, about feedIndexBytes per cached purchase,
// once, so at one row per 10 cached the index costs under 200 bytes per
// row written, some 30 % of what the row itself does, until transactions
// reach feedBatchMaxRows (at 400,000 cached; at a million the index costs
// some 475 bytes a row). At 20 they reached it at 800,000 cached, and a
// first sync of a million wrote the index some 60 MB more.
const feedBatchShare = 10

// feedBatchMaxRows caps a transaction of the feed, and with it how long a
// desk action that needs the gate waits for its commit: at a million
// cached, a commit of the largest writes some 44 MB to the WAL, one of
// feedBatchRows some 30 MB.
const feedBatchMaxRows = 40 * PageSize

// staffWindow is how long after a desk action (a scan) the feed keeps its
// transactions at feedBatchRows: a desk action that takes the gate (a
// delivery, often right after the scan that found the purchase) waits
// for the feed to commit what it holds, and a transaction of
// feedBatchMaxRows rows took up to twice as long to commit.
const staffWindow = time.Minute

// feedRowBytes and feedIndexBytes are about what a purchase of the feed
// takes in the cache: its row, and its entry in the code index (measured
// at a million bulk purchases: 622 and 18.6 bytes). A transaction's rows
// and the index pages it dirties must fit the writer's page cache
// (writerCacheKiB) until it commits, or SQLite writes some of them to the
// WAL early, and an index page written early is written again when the
// next row changes it: batchRows takes no more rows than fit.
const feedRowBytes, feedIndexBytes = 650, 19

// feedCheckpointRows is how many rows the feed writes between the
// checkpoints it asks for. A checkpoint copies each page dirtied since the
// last one into the database once, however many transactions rewrote it,
// so rarer checkpoints write the index fewer times; the WAL grows to about
// this many rows' worth before it starts again. It must stay well under
// walBackstopPages, or SQLite checkpoints inside the feed's commit.
const feedCheckpointRows = 100_000

// feedBatch applies pages of the changes feed to the cache in transactions
// of many pages (see batchRows), each page's cursor with its rows. Its
// commits skip the fsync (WAL with synchronous NORMAL): the shop can send
// the pages again, so a power cut may lose them but never corrupts the
// cache, and the next desk action's commit syncs them along. A crash of
// the desk loses nothing.
type feedBatch struct {
	c       *cache
	conn    *sql.Conn
	tx      *sql.Tx
	w       *writer
	rows    int // Rows in the open transaction.
	total   int // Rows committed by this batch writer.
	sinceCk int // Rows committed since the last checkpoint.
	// cached is about how many purchases the cache held when the pull
	// began (the largest rowid), for batchRows.
	cached int
	// committing is the time its commits took, and longest the longest
	// of them, for the pull's log line.
	committing, longest time.Duration
	// since is where the page apply takes next starts: the feed numbers
	// of its entries must be above it (and at most the page's Next).
	since int64
	// refused counts the entries refused by this batch writer.
	refused int
	// bulkAhead is set for a pull into an empty cache (a first sync): if
	// its first page says more follow, the cache is set up for a bulk
	// indexing (startBulkIndex) before it files the page.
	bulkAhead bool
}

func (b *feedBatch) begin(ctx context.Context) error {
	if b.tx != nil {
		return nil
	}
	if err := b.c.gate.lockLow(ctx); err != nil {
		return err
	}
	conn, err := b.c.w.Conn(ctx)
	if err != nil {
		b.c.gate.unlock()
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		conn.Close()
		b.c.gate.unlock()
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err == nil {
		b.w, err = newWriter(ctx, tx)
		if err != nil {
			tx.Rollback()
		} else {
			b.w.deferIndex = true // Desk.indexCached indexes them after the sync.
		}
	}
	if err == nil {
		// Copies handed off while the last transaction committed.
		b.c.gate.openCopies()
		b.applyCopies()
	}
	if err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL")
		conn.Close()
		b.c.gate.unlock()
		return err
	}
	b.conn, b.tx = conn, tx
	return nil
}

// end commits (or rolls back) the open transaction, if any, and lets the
// next writer in. It returns how many rows it committed.
func (b *feedBatch) end(commit bool) (int, error) {
	if b.tx == nil {
		return 0, nil
	}
	var err error
	if commit {
		// Copies handed off from here on go into the next transaction, or
		// to whoever writes next: a scan does not wait for this commit.
		b.applyCopies()
		began := time.Now()
		err = b.tx.Commit()
		took := time.Since(began)
		b.committing += took
		b.longest = max(b.longest, took)
	}
	if !commit || err != nil {
		b.tx.Rollback() // Copies in it are lost like the batch: the shop can send them again.
	}
	b.conn.ExecContext(context.Background(), "PRAGMA synchronous = FULL")
	b.conn.Close()
	b.c.gate.unlock()
	n := b.rows
	b.conn, b.tx, b.w, b.rows = nil, nil, nil, 0
	if !commit || err != nil {
		return 0, err
	}
	b.sinceCk += n
	b.total += n
	if b.sinceCk >= feedCheckpointRows {
		b.c.checkpoint()
		b.sinceCk = 0
	}
	return n, nil
}

// batchRows is how many rows the open transaction takes before the feed
// commits it: more, the more purchases the cache holds (see
// feedBatchShare), as long as they fit the writer's page cache; but
// feedBatchRows while staff are at the desk (staffWindow), because a
// delivery waits for the commit of what the feed holds.
func (b *feedBatch) batchRows() int {
	if b.c.gate.staffAtWork(staffWindow) {
		return feedBatchRows
	}
	n := b.cached + b.total
	fits := (writerCacheKiB<<10*7/8 - n*feedIndexBytes) / feedRowBytes
	return max(feedBatchRows, min(n/feedBatchShare, fits, feedBatchMaxRows))
}

// finish commits the open transaction and asks for a checkpoint of what
// the feed wrote, so that a desk at rest has a short WAL.
func (b *feedBatch) finish() (int, error) {
	n, err := b.end(true)
	if err == nil && b.sinceCk > 0 {
		b.c.checkpoint()
		b.sinceCk = 0
	}
	if err == nil && b.total >= feedBatchRows {
		// A long pull filled the writer's page cache (cache_size): give
		// those pages back, since a desk at rest writes little.
		b.c.shrinkWriter()
	}
	return n, err
}

// applyCopies writes what desk actions handed to the feed (see
// writeGate.handOff) in the open transaction.
func (b *feedBatch) applyCopies() {
	writeCopies(b.w, b.c.gate.takeCopies())
}

// writeCopies writes copies of the shop's answers handed off by desk
// actions with w. A copy that fails is only logged: the next lookup or the
// feed brings it again.
func writeCopies(w *writer, fns []func(*writer) error) {
	for _, fn := range fns {
		if err := fn(w); err != nil {
			slog.Warn("keep a copy of the shop's answer", "err", err)
		}
	}
}

// close ends the batch, rolling back what is not committed, and lets no
// more copies be handed to the feed; those handed off but not written yet
// are written in a transaction of their own.
func (b *feedBatch) close(ctx context.Context) {
	b.end(false)
	fns := b.c.gate.closeCopies()
	if len(fns) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx) // Also when the pull was cancelled.
	err := b.c.writeRelaxed(ctx, "sync.Desk.pullFeed", func(tx *sql.Tx) error {
		w, err := newWriter(ctx, tx)
		if err != nil {
			return err
		}
		writeCopies(w, fns)
		return nil
	})
	if err != nil {
		slog.Warn("keep copies of the shop's answers", "err", err)
	}
}

// yield commits what the batch holds when a desk action waits for the
// cache, and takes the gate again after it.
func (b *feedBatch) yield(ctx context.Context) (int, error) {
	if b.tx == nil || !b.c.gate.wanted() {
		return 0, nil
	}
	n, err := b.end(true)
	if err != nil {
		return n, err
	}
	return n, b.begin(ctx)
}

// giveWay is what the feed does between rows, every yieldEvery: it pauses
// while a desk action is under way (writeGate.pauseForDesk), writes the
// copies desk actions handed to it, and commits and lets a desk action
// that waits for the gate write first (yield).
func (b *feedBatch) giveWay(ctx context.Context) (int, error) {
	b.c.gate.pauseForDesk(ctx)
	b.applyCopies()
	return b.yield(ctx)
}

// yieldEvery is how many rows the feed writes between looks at the gate.
const yieldEvery = 32

// apply adds one page of the changes feed and its cursor to the batch. It
// reports how many rows it committed on the way, when desk actions
// interrupted it.
func (b *feedBatch) apply(ctx context.Context, page *ChangesPage) (committed int, err error) {
	const op = "sync.Desk.applyPage"
	fail := func(err error) (int, error) {
		var de *skranke.Error
		if errors.As(err, &de) {
			return committed, err
		}
		return committed, storeErr(op, err)
	}
	// Every row is read before the first is written: a page the desk
	// cannot file is refused whole.
	b.c.gate.pauseForDesk(ctx) // Reading the page is CPU too.
	if err := page.read(); err != nil {
		return fail(skranke.E(op, skranke.Internal, fmt.Errorf("the shop sent a changes page the desk cannot file: %w", err)))
	}
	if err := b.begin(ctx); err != nil {
		return fail(err)
	}
	if b.bulkAhead {
		// The feed files the search columns, and the indexes keyed by
		// date would be written all over by them (see bulkindex.go):
		// they are dropped now, not after the pull.
		b.bulkAhead = false
		if page.More {
			if err := startBulkIndex(ctx, b.tx); err != nil {
				return fail(err)
			}
		}
	}
	// Purchases without deliveries or credits, most of a first sync, go
	// in by fileMany, many to a statement; the others one by one, in the
	// feed's order all the same.
	var codes []string
	var seqs []int64
	var raws [][]byte
	var cols []searchCols
	flush := func() error {
		err := b.w.fileMany(codes, seqs, raws, cols)
		codes, seqs, raws, cols = codes[:0], seqs[:0], raws[:0], cols[:0]
		return err
	}
	// An entry numbered outside its page is refused with the page: the
	// number is what a refused entry is asked for again by, and the
	// cursor must not pass the entry the shop meant to send there.
	outside := func(what, code string, seq int64) (int, error) {
		return fail(skranke.E(op, skranke.Internal, fmt.Errorf("the shop sent a changes page the desk cannot file: %s %s is numbered %d in the page after %d that ends at %d",
			what, code, seq, b.since, page.Next)))
	}
	var refusals []feedRefusal
	for i := range page.items {
		it := &page.items[i]
		if it.Seq <= b.since || it.Seq > page.Next {
			return outside("purchase", it.Code, it.Seq)
		}
		if it.refused != "" {
			refusals = append(refusals, feedRefusal{kind: refusedPurchase, seq: it.Seq, code: it.Code, reason: it.refused})
		}
	}
	for i := range page.cards {
		c := &page.cards[i]
		if c.Seq <= b.since || c.Seq > page.Next {
			return outside("gift card", c.Code, c.Seq)
		}
		if page.cardsRefused != nil && page.cardsRefused[i] != "" {
			refusals = append(refusals, feedRefusal{kind: refusedCard, seq: c.Seq, code: c.Code, reason: page.cardsRefused[i]})
		}
	}
	if err := b.refuse(ctx, refusals); err != nil {
		return fail(err)
	}
	for start := 0; start < len(page.Purchases); start += yieldEvery {
		if start > 0 {
			n, err := b.giveWay(ctx)
			committed += n
			if err != nil {
				return fail(err)
			}
		}
		for i := start; i < min(start+yieldEvery, len(page.Purchases)); i++ {
			it := &page.items[i]
			if it.refused != "" {
				continue
			}
			if it.full == nil {
				codes, seqs, raws, cols = append(codes, it.Code), append(seqs, it.Seq), append(raws, page.Purchases[i]), append(cols, it.cols)
				b.rows++
				continue
			}
			if err := flush(); err != nil {
				return fail(err)
			}
			if err := b.w.putPurchase(it.full, page.Purchases[i]); err != nil {
				return fail(err)
			}
			b.rows++
		}
		if err := flush(); err != nil {
			return fail(err)
		}
	}
	for i := range page.cards {
		if page.cardsRefused != nil && page.cardsRefused[i] != "" {
			continue
		}
		if err := b.w.putCard(&page.cards[i]); err != nil {
			return fail(err)
		}
		b.rows++
	}
	// Rows of a page committed early without its cursor are sent again by
	// the shop after a crash, and stored again alike: every write here is
	// an upsert that keeps the newest seq.
	if err := setMeta(ctx, b.tx, "cursor", strconv.FormatInt(page.Next, 10)); err != nil {
		return fail(err)
	}
	b.since = page.Next
	return committed, nil
}

// feedRefusal is an entry of the changes feed the desk does not file, and why.
type feedRefusal struct {
	kind   string // refusedPurchase or refusedCard.
	seq    int64
	code   string
	reason string
}

// maxRefusalLogs is how many refused entries of one page are logged one by
// one; the rest are counted in one line.
const maxRefusalLogs = 10

// refuse records rs in feed_refused in the open transaction, with the
// page's cursor, so that the cursor never passes an entry the desk has
// neither filed nor kept to ask for again, and logs them.
func (b *feedBatch) refuse(ctx context.Context, rs []feedRefusal) error {
	if len(rs) == 0 {
		return nil
	}
	if err := b.begin(ctx); err != nil {
		return err
	}
	now := time.Now().UnixNano()
	for i, r := range rs {
		// Due from now (next_at): Desk.retryRefused asks for it again
		// at the next sync, not in the one that has just refused it.
		if _, err := b.tx.ExecContext(ctx, `INSERT INTO feed_refused(kind, seq, code, reason, at, next_at) VALUES(?, ?, ?, ?, ?, ?)
ON CONFLICT(kind, seq) DO UPDATE SET code = excluded.code, reason = excluded.reason`, r.kind, r.seq, r.code, r.reason, now, now); err != nil {
			return fmt.Errorf("keep the refused %s %s: %w", r.kind, r.code, err)
		}
		if i < maxRefusalLogs {
			slog.Warn("the shop's changes feed sent an entry with impossible figures: not filed; the desk asks for it again at the next sync, then less and less often",
				"kind", r.kind, "code", r.code, "seq", r.seq, "reason", r.reason)
		}
	}
	if len(rs) > maxRefusalLogs {
		slog.Warn("the shop's changes feed sent more entries with impossible figures", "more", len(rs)-maxRefusalLogs)
	}
	b.refused += len(rs)
	return nil
}
