package sync

import (
	"context"
	"database/sql"
	"encoding/json"
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
	if err := d.indexCached(ctx); err != nil {
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
	// The index looks up each term of three or more characters by its
	// longest prefix that has a prefix index (3, 5 or 8 characters: see
	// the migration); shorter terms, and what the prefix leaves out, are
	// checked on the text. Terms are letters and digits only
	// (skranke.ParseSearch), so quoting them is safe.
	var phrases []string
	exact := true
	for _, t := range q.Terms {
		r := []rune(t)
		if len(r) < skranke.MinSearchTerm {
			exact = false
			continue
		}
		n := 3
		for _, p := range []int{5, 8} {
			if len(r) >= p {
				n = p
			}
		}
		exact = exact && n == len(r)
		phrases = append(phrases, `"`+string(r[:n])+`"*`)
	}
	match := strings.Join(phrases, " AND ")
	var page skranke.SearchPage
	batch := limit + 1
	if !exact {
		batch = 4 * limit
	}
	// Pages through the hits until limit purchases pass the check: with only
	// long terms that is the first batch.
	for {
		rows, err := d.c.r.QueryContext(ctx, `WITH hits AS (
	SELECT rowid FROM purchase_search WHERE purchase_search MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?)
SELECT hits.rowid, p.body FROM hits JOIN purchases p ON p.rowid = hits.rowid ORDER BY hits.rowid DESC`, match, before, batch)
		if err != nil {
			return page, skranke.E(op, skranke.Internal, err)
		}
		n := 0
		for rows.Next() {
			n++
			var rowid int64
			var body []byte
			if err := rows.Scan(&rowid, &body); err != nil {
				rows.Close()
				return page, skranke.E(op, skranke.Internal, err)
			}
			before = rowid
			var p skranke.Purchase
			if err := json.Unmarshal(body, &p); err != nil {
				slog.Warn("damaged cached purchase", "rowid", rowid, "err", err)
				continue
			}
			if !q.Matches(skranke.SearchText(&p)) {
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
// columns and index entries (a page of the changes feed, or a cache from
// before the search): the sync loop calls it after each sync, and the
// search, the pickup list and the sales overview before they read, so they
// never miss a purchase.
func (d *Desk) indexCached(ctx context.Context) error {
	const op = "sync.Desk.indexCached"
	total := 0
	defer func() {
		if total >= feedBatchRows {
			// Indexing a first sync's purchases filled the writer's page
			// cache (cache_size): give those pages back, as the pull
			// does, since a desk at rest writes little.
			d.c.shrinkWriter()
		}
	}()
	for {
		n := 0
		err := d.c.writeRelaxed(ctx, op, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, "SELECT rowid, body FROM purchases WHERE indexed = 0 LIMIT 2000")
			if err != nil {
				return err
			}
			type row struct {
				id   int64
				p    skranke.Purchase
				good bool
			}
			var batch []row
			for rows.Next() {
				var r row
				var body []byte
				if err := rows.Scan(&r.id, &body); err != nil {
					rows.Close()
					return err
				}
				r.good = json.Unmarshal(body, &r.p) == nil
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(batch)
			w := &writer{ctx: ctx, tx: tx}
			for _, r := range batch {
				if !r.good {
					// A damaged body stays unsearchable rather than block the rest.
					slog.Warn("damaged cached purchase", "rowid", r.id)
					if _, err := tx.ExecContext(ctx, "UPDATE purchases SET indexed = 1 WHERE rowid = ?", r.id); err != nil {
						return err
					}
					continue
				}
				if _, err := tx.ExecContext(ctx, "UPDATE purchases SET created = ?, status = ?, remaining = ?, products = ?, indexed = 1 WHERE rowid = ?",
					nanos(r.p.CreatedAt), string(r.p.Status), r.p.RemainingUnits(), productList(&r.p), r.id); err != nil {
					return err
				}
				if err := w.indexPurchase(r.id, &r.p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		total += n
	}
}
