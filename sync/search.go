package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/skranke/skranke"
)

// SearchResult is one page of a purchase search.
type SearchResult struct {
	skranke.SearchPage
	// Problem says why the query was not searched for (too short, too
	// long, empty); the page is empty then.
	Problem   skranke.SearchProblem
	FromCache bool // The shop was unreachable; the cache answered.
}

// DefaultSearchLimit is how many purchases a search page holds unless asked.
const DefaultSearchLimit = 30

// SearchPurchases asks the shop for one page of the desk's centre's
// purchases matching q, newest first. cursor is the Next of the page
// before, or empty.
func (cl *Client) SearchPurchases(ctx context.Context, q, cursor string, limit int) (skranke.SearchPage, error) {
	var page skranke.SearchPage
	v := url.Values{"q": {q}, "limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	b, err := cl.do(ctx, call{op: "sync.Client.SearchPurchases", method: "GET", path: "/purchases", query: v})
	if err != nil {
		return page, err
	}
	err = decode("sync.Client.SearchPurchases", b, &page)
	return page, err
}

// Search finds the desk's centre's purchases by buyer name, e-mail, phone
// number or part of a code (skranke.ParseSearch): from the shop, or from the
// cache when the shop cannot be reached. A query that cannot be searched for
// gives an empty result with its Problem, not an error. Remaining counts
// deliveries still in the outbox as made.
func (d *Desk) Search(ctx context.Context, q, cursor string) (SearchResult, error) {
	const op = "sync.Desk.Search"
	pq := skranke.ParseSearch(q)
	if pq.Problem != skranke.SearchOK {
		return SearchResult{Problem: pq.Problem}, nil
	}
	// A cursor from the cache ("c…") pages on in the cache.
	if !strings.HasPrefix(cursor, "c") {
		timeout := d.cfg.Timeout
		if d.backingOff() {
			timeout = min(timeout, timeoutWhileDown)
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		page, err := d.cl.SearchPurchases(cctx, strings.ToValidUTF8(q, " "), cursor, DefaultSearchLimit)
		cancel()
		d.noteReach(err)
		if err == nil {
			for i := range page.Purchases {
				if err := d.applyPending(ctx, &page.Purchases[i]); err != nil {
					return SearchResult{}, err
				}
			}
			return SearchResult{SearchPage: page}, nil
		}
		if k := skranke.KindOf(err); k != skranke.Unavailable && k != skranke.Internal {
			return SearchResult{}, skranke.E(op, skranke.KindOf(err), err)
		}
		slog.Debug("search from the cache", "err", err)
		cursor = ""
	}
	page, err := d.SearchCached(ctx, pq, cursor, DefaultSearchLimit)
	if err != nil {
		return SearchResult{}, err
	}
	return SearchResult{SearchPage: page, FromCache: true}, nil
}

// timeoutWhileDown caps how long a search waits for a shop that failed a
// moment ago, as readThrough does for lookups.
const timeoutWhileDown = time.Second

// SearchCached searches the cache alone: the purchases whose SearchText
// has every term of q beginning a word (skranke.SearchQuery.Matches),
// most recently learnt of first.
func (d *Desk) SearchCached(ctx context.Context, q skranke.SearchQuery, cursor string, limit int) (skranke.SearchPage, error) {
	const op = "sync.Desk.SearchCached"
	if q.Problem != skranke.SearchOK || len(q.Terms) == 0 {
		return skranke.SearchPage{}, nil
	}
	if err := d.indexCached(ctx, false); err != nil {
		return skranke.SearchPage{}, err
	}
	limit = min(max(limit, 1), skranke.MaxSearchLimit)
	before := int64(1<<63 - 1)
	if cursor != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(cursor, "c"), 10, 64)
		if err != nil {
			return skranke.SearchPage{}, skranke.E(op, skranke.Invalid, "the search cursor is damaged; search again")
		}
		before = n
	}
	tries := lookups(q)
	if len(tries) == 0 {
		// Only one-letter terms: ParseSearch refuses such a query, so
		// this is a caller's own SearchQuery; nothing to look up.
		return skranke.SearchPage{}, nil
	}
	var page skranke.SearchPage
	read := 0
	// Pages through the hits until limit purchases pass the check: with only
	// long terms that is the first batch. A lookup whose rows keep failing
	// the check gives way to the next, narrower one after its budget of
	// rows, from where it stopped.
	for {
		if len(tries) > 1 && read >= tries[0].budget {
			tries, read = tries[1:], 0
		}
		match, exact := tries[0].match, tries[0].exact
		batch := limit + 1
		if !exact {
			batch = 4 * limit
		}
		rows, err := d.c.searchHits.QueryContext(ctx, match, before, batch)
		if err != nil {
			return page, skranke.E(op, skranke.Internal, err)
		}
		n := 0
		for rows.Next() {
			n++
			read++
			var rowid int64
			var body []byte
			if err := rows.Scan(&rowid, &body); err != nil {
				rows.Close()
				return page, skranke.E(op, skranke.Internal, err)
			}
			before = rowid
			if !exact && !q.Matches(searchTextOf(body)) {
				continue
			}
			var p skranke.Purchase
			if err := json.Unmarshal(body, &p); err != nil {
				slog.Warn("damaged cached purchase", "rowid", rowid, "err", err)
				continue
			}
			if exact && !q.Matches(skranke.SearchText(&p)) {
				continue
			}
			if len(page.Purchases) == limit {
				page.Next = "c" + strconv.FormatInt(rowid+1, 10)
				break
			}
			page.Purchases = append(page.Purchases, skranke.Summarize(&p))
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return page, skranke.E(op, skranke.Internal, err)
		}
		if page.Next != "" || n < batch {
			break
		}
	}
	for i := range page.Purchases {
		if err := d.applyPending(ctx, &page.Purchases[i]); err != nil {
			return page, err
		}
	}
	return page, nil
}

// searchTextOf returns the skranke.SearchText of a cached purchase's body,
// decoding only the fields it is made of: most rows an inexact lookup finds
// fail the check, and decoding their lines too took a third of an e-mail
// search. A damaged body gives no text.
func searchTextOf(body []byte) string {
	var p struct {
		Code  string        `json:"code"`
		Buyer skranke.Buyer `json:"buyer"`
	}
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	return skranke.SearchText(&skranke.Purchase{Code: p.Code, Buyer: p.Buyer})
}

// sqlSearchHits reads a batch of the rows an FTS5 query finds, newest
// first, from rowid before down.
const sqlSearchHits = `WITH hits AS (
	SELECT rowid FROM purchase_search WHERE purchase_search MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?)
SELECT hits.rowid, p.body FROM hits JOIN purchases p ON p.rowid = hits.rowid ORDER BY hits.rowid DESC`

// lookup is an FTS5 query on the search index; exact says whether every
// row it finds matches the search. SearchCached reads up to budget rows
// of it before it tries the next lookup.
type lookup struct {
	match  string
	exact  bool
	budget int
}

// lookups returns the lookups SearchCached tries for q, in turn, each
// cheaper to ask than the next but finding more rows that fail the check:
//
//   - A term of up to skranke.MaxIndexedPrefix characters is looked up
//     whole, row by row newest first, and every row found matches it;
//     longer terms are looked up by their first MaxIndexedPrefix
//     characters, one-letter terms not at all, and both are checked on
//     the text (skranke.SearchQuery.FTSMatch).
//   - The words of an e-mail address's domain ("example", "no") begin
//     nearly every row, and intersecting their lists made an e-mail the
//     slowest search (20 ms at the 99th percentile on a million
//     purchases), so they are left to the check too: the local part is
//     looked up alone (skranke.SearchQuery.Local).
//   - A long word that its first characters do not tell apart
//     ("torbjornmorset59" among the Torbjørns) is next looked up whole
//     (FTSMatchWhole): cheap for such a rare word, dear for a common one
//     ("kristiansen"), hence not first.
//   - A common local part ("post@…") whose rows seldom have the domain
//     is last looked up with the domain.
//
// Reading and checking a row costs some microseconds, so a lookup gives
// way to a cheap one after a batch (wordBudget) and to the one with the
// domain after about the time that one takes (domainBudget).
func lookups(q skranke.SearchQuery) []lookup {
	local := q.Local()
	partial := len(local.Terms) < len(q.Terms)
	var out []lookup
	add := func(match string, exact, partial bool, budget int) {
		if match == "" {
			return
		}
		if n := len(out); n > 0 {
			if out[n-1].match == match {
				return
			}
			out[n-1].budget = budget
		}
		out = append(out, lookup{match, exact && !partial, 0})
	}
	m, exact := local.FTSMatch()
	add(m, exact, partial, 0)
	m, exact = local.FTSMatchWhole()
	add(m, exact, partial, wordBudget)
	if partial {
		m, exact = q.FTSMatch()
		add(m, exact, false, domainBudget)
	}
	return out
}

// The lookup budgets (lookups).
const (
	wordBudget   = 120
	domainBudget = 480
)

// applyPending counts deliveries of s's purchase still in the outbox into
// its Remaining, as Lookup does.
func (d *Desk) applyPending(ctx context.Context, s *skranke.PurchaseSummary) error {
	pending, err := d.c.pendingDeliveries(ctx, s.Code)
	if err != nil || len(pending) == 0 {
		return err
	}
	// The cached copy's lines tell which deliveries the shop already has.
	p, _, ok, err := d.c.cachedPurchase(ctx, s.Code)
	if err != nil || !ok {
		return err
	}
	overlay(p, pending)
	s.Remaining = p.RemainingUnits()
	return nil
}

// productList is the product names of p's lines, each between two unit
// separators (U+001F), which no name holds.
func productList(p *skranke.Purchase) string {
	var b strings.Builder
	b.WriteByte(unitSep)
	for _, l := range p.Lines {
		b.WriteString(l.Name)
		b.WriteByte(unitSep)
	}
	return b.String()
}

const unitSep = 0x1f

// indexPurchase puts p's search text in the search index under the rowid of
// its cached row.
func (w *writer) indexPurchase(rowid int64, p *skranke.Purchase) error {
	if w.search == nil {
		var err error
		if w.search, err = w.tx.PrepareContext(w.ctx, sqlIndexPurchase); err != nil {
			return err
		}
	}
	_, err := w.search.ExecContext(w.ctx, rowid, skranke.SearchText(p))
	return err
}

const sqlIndexPurchase = "INSERT OR REPLACE INTO purchase_search(rowid, text) VALUES(?, ?)"

// indexCached indexes the cached purchases filed without their search
// columns, index entries and month facts (a page of the changes feed, or a
// cache from before them): the sync loop calls it after each sync, and the
// search, the pickup list, the sales overview and the month before they
// read, so they never miss a purchase.
//
// With background (the sync loop), it writes in transactions that give way
// to desk actions (cache.writeBackground): after a first sync of a million
// purchases it indexes for minutes, and a scan or a delivery must not wait
// behind it. Its transactions are indexBatchRows purchases while staff are
// away (indexBulkRows in bulk) and indexStaffRows while they are at the
// desk (see staffWindow): one that a desk action interrupts commits at once
// all the same, but the desk action waits for that commit. Called by a desk
// action (a search, the pickup list), it writes in transactions of
// indexBatchRows, which other desk actions may wait behind.
//
// A backlog of more than indexBulkAfter purchases is indexed in bulk
// (setBulkIndex): the search index is left unmerged while it lasts and
// merged once at the end (mergeIndex).
func (d *Desk) indexCached(ctx context.Context, background bool) error {
	const op = "sync.Desk.indexCached"
	write := d.c.writeRelaxed
	if background {
		write = d.c.writeBackground
	}
	total := 0
	// A bulk that a crash or a close cut short goes on in bulk.
	bulk, err := bulkIndexOn(ctx, d.c.r)
	if err != nil {
		return skranke.E(op, skranke.Internal, err)
	}
	defer func() {
		if total >= feedBatchRows {
			// Indexing a first sync's purchases filled the writer's page
			// cache (cache_size): give those pages back, as the pull
			// does, since a desk at rest writes little.
			d.c.shrinkWriter()
		}
	}()
	for {
		limit := d.indexing.batch
		switch {
		case !background:
			// A desk action (a search, the pickup list) waits for it;
			// others may wait behind it.
		case d.c.gate.staffAtWork(staffWindow):
			limit = d.indexing.staff
		case bulk && d.indexing.bulk > 0:
			limit = d.indexing.bulk
		}
		n := 0
		err := write(ctx, op, func(tx *sql.Tx) error {
			if !bulk && total >= d.indexing.bulkAfter {
				if err := startBulkIndex(ctx, tx); err != nil {
					return err
				}
				bulk = true
			}
			// Another indexing (the sync loop's, or a reader's) may have
			// set the bulk up since this one read it: this transaction
			// then files into the bulk tables, and this indexing must end
			// the bulk before it returns, or its caller would read
			// month_facts and pickup_products without the rows still in
			// the bulk tables. Ending it twice finds the work done.
			var err error
			var inBulk bool
			n, inBulk, err = d.indexBatch(ctx, tx, limit, background)
			bulk = bulk || inBulk
			return err
		})
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if d.indexing.afterBatch != nil {
			d.indexing.afterBatch()
		}
		total += n
	}
	// How long the end of a bulk took, for its log line: each step holds
	// the writer, and a desk action waits for the one under way.
	var ending, longest time.Duration
	if bulk {
		// The rows keyed by date, written once in their order.
		for _, step := range endBulkSteps(ctx, d.indexing.copyChunk) {
			start := time.Now()
			if err := write(ctx, op, step); err != nil {
				return err
			}
			took := time.Since(start)
			ending += took
			longest = max(longest, took)
		}
	}
	merging := time.Now()
	if bulk || total >= mergeAfter {
		if err := d.mergeIndex(ctx, background); err != nil {
			return err
		}
	}
	if bulk {
		if err := d.c.writeRelaxed(ctx, op, func(tx *sql.Tx) error { return setBulkIndex(ctx, tx, false) }); err != nil {
			return err
		}
		d.cfg.Logger.Info("bulk indexing ended", "purchases", total, "end_seconds", ending.Seconds(),
			"longest_step_seconds", longest.Seconds(), "merge_seconds", time.Since(merging).Seconds())
	}
	return nil
}

// Transactions of indexCached in the background (see there). A larger
// transaction writes each page it touches once for more purchases: the
// search index's new b-tree (segment), the pages of the month's facts and
// of the pickup list's indexes, which a first sync's purchases, filed in
// the order of the feed, hit all over. A desk action that comes while one
// is open waits for at most yieldEvery purchases and the commit.
const (
	indexBatchRows = 2048
	indexStaffRows = 256
)

// indexBulkRows is the transaction of indexCached in bulk (setBulkIndex)
// while staff are away. FTS5 writes at least a segment per transaction,
// and a level that reaches bulkCrisisMerge segments is merged into the
// next: a million purchases in transactions of indexBatchRows made 488
// segments, and every index entry was written on two levels before
// mergeIndex merged them. In transactions of indexBulkRows, with
// bulkHashSize, they make about 120, merged once, at the end.
const indexBulkRows = 16384

// indexSizes are the transaction sizes of indexCached in the background,
// while staff are away (batch) and at the desk (staff), and how many
// purchases it indexes in one go before it switches to bulk (bulkAfter).
// afterBatch, if set, is called after each transaction, and mergeStep in
// each transaction of mergeIndex, for tests.
type indexSizes struct {
	batch, staff, bulkAfter int
	bulk                    int // In bulk while staff are away; 0: batch.
	copyChunk               int // Rows the end of a bulk sorts at once; 0: bulkCopyChunkRows.
	afterBatch              func()
	mergeStep               func(tx *sql.Tx)
}

// indexBulkAfter is how many purchases indexCached indexes in one go before
// it switches to bulk indexing (setBulkIndex).
const indexBulkAfter = 4 * indexBatchRows

// setBulkIndex sets the search index up for indexing a large backlog, or
// back as it was. FTS5 writes what a transaction indexes as new b-trees
// (segments) of about its 'hashsize' (1 MiB) each and merges segments a
// little at each write ('automerge', 4 at a time), so that over a first
// sync each index entry was rewritten once per level of segments before
// mergeIndex rewrote it once more at the end. In bulk FTS5 does no
// merging of its own but the 'crisismerge' of a level that holds
// bulkCrisisMerge segments, and mergeIndex merges it all at the end. The
// rows keyed by date are written at the end too (endBulkSteps). Nothing
// searches the index while the bulk lasts: a search indexes what is left
// first, and with it ends the bulk. The setting is kept in the index (its config
// table), so a desk closed during a bulk finds it set and ends it
// (bulkIndexOn).
func setBulkIndex(ctx context.Context, tx *sql.Tx, on bool) error {
	automerge := 4 // FTS5's default.
	if on {
		automerge = 0
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO purchase_search(purchase_search, rank) VALUES('automerge', ?)", automerge); err != nil {
		return fmt.Errorf("set the search index's automerge: %w", err)
	}
	crisis := 16 // FTS5's default.
	if on {
		crisis = bulkCrisisMerge
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO purchase_search(purchase_search, rank) VALUES('crisismerge', ?)", crisis); err != nil {
		return fmt.Errorf("set the search index's crisismerge: %w", err)
	}
	hash := 1 << 20 // FTS5's default.
	if on {
		hash = bulkHashSize
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO purchase_search(purchase_search, rank) VALUES('hashsize', ?)", hash); err != nil {
		return fmt.Errorf("set the search index's hashsize: %w", err)
	}
	return nil
}

// bulkHashSize is FTS5's 'hashsize' while a bulk indexing lasts: the
// index entries it gathers in memory before it writes them as a segment,
// so that a transaction of indexBulkRows purchases writes two segments,
// not one per MiB (the default). Twice as much would make one, for some
// 60 MB more of the desk's memory while it indexes.
const bulkHashSize = 32 << 20

// bulkCrisisMerge is FTS5's 'crisismerge' while a bulk indexing lasts: a
// level of the search index is merged into one segment of the next when it
// holds this many. At FTS5's 16 a million purchases' words (a segment or
// more per transaction) were rewritten on two levels before mergeIndex
// rewrote them all once more; at 64, with transactions of indexBatchRows,
// on one. In transactions of indexBulkRows a million purchases make some
// 120 segments (two a transaction, each of bulkHashSize): at 128 none is
// merged before mergeIndex merges them all, once. Each step of mergeIndex
// rewrites the first page of every segment it merges from, which its
// steps of mergeBulkPages make a small part of what it writes.
const bulkCrisisMerge = 128

// bulkIndexOn reports whether the search index is set up for bulk
// indexing (setBulkIndex).
func bulkIndexOn(ctx context.Context, db *sql.DB) (bool, error) {
	var on bool
	err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM purchase_search_config WHERE k = 'automerge' AND v = 0)").Scan(&on)
	return on, err
}

// indexBatch indexes up to limit purchases filed unindexed in tx and
// returns how many it read, and whether the bulk tables were there (a bulk
// indexing is on, whichever indexing set it up). In the background it
// stops early, committing what it did, when a desk action waits for the
// cache.
func (d *Desk) indexBatch(ctx context.Context, tx *sql.Tx, limit int, background bool) (n int, bulk bool, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.rowid, p.body, p.created, p.status, p.remaining, p.products
FROM unindexed u JOIN purchases p ON p.rowid = u.purchase ORDER BY u.purchase LIMIT ?`, limit)
	if err != nil {
		return 0, false, err
	}
	type row struct {
		id   int64
		p    skranke.Purchase
		good bool
		cols searchCols // As filed.
	}
	var batch []row
	for rows.Next() {
		var r row
		var body []byte
		if err := rows.Scan(&r.id, &body, &r.cols.created, &r.cols.status, &r.cols.remaining, &r.cols.products); err != nil {
			rows.Close()
			return 0, false, err
		}
		r.good = json.Unmarshal(body, &r.p) == nil
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	// In bulk the month facts and pickup rows go to the bulk tables
	// (bulkindex.go); they are there from the transaction that set the
	// bulk up to the one that ended it, whichever indexing did.
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'month_facts_bulk')").Scan(&bulk); err != nil {
		return 0, false, err
	}
	w := &writer{ctx: ctx, tx: tx, bulk: bulk}
	// giveWay reports, every yieldEvery rows, whether a desk action waits
	// for the cache: the batch then commits what it did and the rest
	// comes in the next.
	giveWay := func(i int) bool {
		if !background || i%yieldEvery != yieldEvery-1 {
			return false
		}
		// Staff wait for a scan: give the CPU to it first.
		d.c.gate.pauseForDesk(ctx)
		return d.c.gate.wanted()
	}
	// The search words first, for the whole batch. FTS5 keeps what is
	// written to it in memory and writes it out as a new segment at the
	// commit, or before any statement that opens a statement journal
	// (xSavepoint): filing the month's facts does (its triggers), and
	// interleaved with them the words of every purchase became a segment
	// of their own, a hundred thousand segments for as many purchases,
	// which FTS5 then spent most of the indexing merging. Words written
	// for purchases that a desk action then keeps from being filed are
	// written again with them (INSERT OR REPLACE).
	if w.search, err = tx.PrepareContext(ctx, sqlIndexPurchase); err != nil {
		return 0, false, err
	}
	defer w.search.Close()
	for i, r := range batch {
		if giveWay(i) {
			return len(batch), bulk, nil
		}
		if r.good {
			if err := w.indexPurchase(r.id, &r.p); err != nil {
				return 0, false, err
			}
		}
	}
	if len(batch) == 0 {
		return 0, bulk, nil
	}
	// The facts and pickup rows filed before for the batch's purchases
	// (those the feed filed again since), in one statement each: the
	// batch is every unindexed purchase from its first rowid to its last.
	// Deleted purchase by purchase, a statement each for nothing to
	// delete after a first sync. Those of purchases a desk action then
	// keeps from being indexed are filed again with them; until then
	// they are not indexed, and whatever reads these tables indexes
	// first (or, the pickup count during a pull, reads the purchase's
	// own columns).
	first, last := batch[0].id, batch[len(batch)-1].id
	deletes := []string{
		"DELETE FROM month_facts WHERE purchase IN (SELECT purchase FROM unindexed WHERE purchase BETWEEN ? AND ?)",
		"DELETE FROM pickup_products WHERE purchase IN (SELECT purchase FROM unindexed WHERE purchase BETWEEN ? AND ?)",
	}
	if bulk {
		deletes = append(deletes,
			"DELETE FROM month_facts_bulk WHERE purchase IN (SELECT purchase FROM unindexed WHERE purchase BETWEEN ? AND ?)",
			"DELETE FROM pickup_products_bulk WHERE purchase IN (SELECT purchase FROM unindexed WHERE purchase BETWEEN ? AND ?)")
	}
	for _, q := range deletes {
		if _, err := tx.ExecContext(ctx, q, first, last); err != nil {
			return 0, false, err
		}
	}
	// The purchases indexed leave the queue at the end, by the range
	// done: one statement, where one per purchase cost as much as a
	// purchase's facts. A batch cut short (giveWay) leaves the rest
	// queued.
	done := 0
	defer func() {
		if err != nil || done == 0 {
			return
		}
		if _, derr := tx.ExecContext(ctx, "DELETE FROM unindexed WHERE purchase BETWEEN ? AND ?", first, batch[done-1].id); derr != nil {
			n, err = 0, derr
		}
	}()
	// A purchase's row is written only when its search columns were not
	// filed right (a cache of an older version, or a purchase whose JSON
	// the feed's reading left to encoding/json): the changes feed files
	// them, and rewriting every row here doubled what a first sync wrote.
	var update *sql.Stmt
	defer func() {
		if update != nil {
			update.Close()
		}
	}()
	for i, r := range batch {
		if giveWay(i) {
			return len(batch), bulk, nil
		}
		done = i + 1
		if !r.good {
			// A damaged body stays unsearchable rather than block the rest,
			// and out of the pickup list and the sales, which decode what
			// their columns select: the feed filed columns it could read.
			slog.Warn("damaged cached purchase", "rowid", r.id)
			if r.cols != (searchCols{}) {
				if _, err := tx.ExecContext(ctx, "UPDATE purchases SET created = 0, status = '', remaining = 0, products = '' WHERE rowid = ?", r.id); err != nil {
					return 0, false, err
				}
			}
			continue
		}
		if cols := colsOf(&r.p); cols != r.cols {
			if update == nil {
				// Prepared once per batch, not parsed again for each
				// of a million rows of a cache from before.
				if update, err = tx.PrepareContext(ctx, "UPDATE purchases SET created = ?, status = ?, remaining = ?, products = ? WHERE rowid = ?"); err != nil {
					return 0, false, err
				}
			}
			if _, err := update.ExecContext(ctx, cols.created, cols.status, cols.remaining, cols.products, r.id); err != nil {
				return 0, false, err
			}
		}
		if err := w.addFacts(r.id, &r.p); err != nil {
			return 0, false, err
		}
		if err := w.addPickup(r.id, &r.p); err != nil {
			return 0, false, err
		}
	}
	return len(batch), bulk, nil
}

// mergeAfter is how many purchases indexed in one go (a first sync, an
// upgrade, a long time offline) make indexCached merge the search index.
const mergeAfter = 10_000

// mergePages is how many pages of the search index one write transaction
// of mergeIndex rewrites while staff are at the desk (see staffWindow): a
// few milliseconds of work, so that a scan's write never waits long
// behind it.
const mergePages = 200

// mergeBulkPages is mergePages while staff are away. Each step rewrites
// the first page of every segment it merges from besides the pages it
// merges: after a first sync of a million purchases, 120 segments in steps
// of mergePages wrote the index four times over, WAL and checkpoint.
const mergeBulkPages = 4000

// mergeIndex merges the search index into a single b-tree, a bounded step
// per write transaction. FTS5 adds a b-tree (segment) for each batch that
// indexCached writes and merges them only a few at a time, and a search
// reads every one of them for every term: on 200,000 purchases indexed in
// indexCached's batches, looking a whole name up took 15 ms on average,
// and 0.6 ms once the index was merged (docs/bench/search-issue14). The
// steps are FTS5's incremental "merge" command: the first with a negative
// page count puts every segment on one level, the following ones finish
// that merge, and a step that changes fewer than two rows found nothing
// left to do. A search that meets a large backlog waits for the merge too.
//
// With background (the sync loop's indexing), each step takes the writer
// only when no desk action waits: a merge left over from a bulk that a
// close cut short runs at the next start, and the staff list, a scan's
// copy or a delivery must not queue behind its thousands of steps (the
// desk was seen ready 5 s late).
//
// The writer's page cache is mergeCacheKiB while it merges, and back to
// writerCacheKiB after: what a connection once cached stays resident.
func (d *Desk) mergeIndex(ctx context.Context, background bool) (err error) {
	const op = "sync.Desk.mergeIndex"
	write := d.c.writeRelaxed
	if background {
		write = d.c.writeBackground
	}
	if err := d.c.setWriterCache(ctx, mergeCacheKiB); err != nil {
		return skranke.E(op, skranke.Internal, err)
	}
	defer func() {
		// Without a context's end: the writer must get its cache back.
		if rerr := d.c.setWriterCache(context.WithoutCancel(ctx), writerCacheKiB); rerr != nil && err == nil {
			err = skranke.E(op, skranke.Internal, rerr)
		}
	}()
	for first := true; ; first = false {
		pages := mergePages
		if background && !d.c.gate.staffAtWork(staffWindow) {
			pages = mergeBulkPages
		}
		if first {
			// The first step puts every segment on one level.
			pages = -pages
		}
		var changed int64
		err := write(ctx, op, func(tx *sql.Tx) error {
			var before, after int64
			if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO purchase_search(purchase_search, rank) VALUES('merge', ?)", pages); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&after); err != nil {
				return err
			}
			changed = after - before
			if d.indexing.mergeStep != nil {
				d.indexing.mergeStep(tx)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if changed < 2 {
			return nil
		}
	}
}
