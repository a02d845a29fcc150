package shop

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/skranke/skranke"
)

// searchSortCap is the most purchases the word index may find for a query
// to be read and sorted by date. When it finds more, a page of the newest
// is found sooner by walking the centre's purchases newest first and
// testing each: at least one purchase in searchSortCap matches then, so
// limit matches take about limit × (purchases ÷ searchSortCap) rows.
const searchSortCap = 5000

// SearchPurchases lists a centre's purchases after the cursor, newest
// first, whose search text holds every term or is not yet computed.
//
// The word index knows neither centres nor dates, so the purchases it
// finds are read one by one for theirs: that costs what they number, and
// is done only when they are at most searchSortCap. To keep them few, only
// the terms few purchases have are looked up in the index: a term most
// purchases have (the "no" and "gmail" of an e-mail address, a common first
// name) would make the index read a long list of purchases only to
// intersect it with a short one. Such terms are tested with LIKE on the
// purchases found instead, and the caller checks every term again.
func (t *sqlTx) SearchPurchases(centreID string, terms []string, after SearchCursor, limit int) ([]*skranke.Purchase, error) {
	const op = "shop.sqlTx.SearchPurchases"
	cond := "1"
	var condArgs []any
	if after.Code != "" {
		cond = "(created_at < ? OR (created_at = ? AND code < ?))"
		condArgs = []any{after.CreatedAt, after.CreatedAt, after.Code}
	}
	// Each term the index can look up, and how many purchases of the
	// chain it finds, counted up to searchSortCap+1: reading the start of
	// one list is cheap however long the list is.
	var phrases, counts []string
	var probeArgs []any
	phrase := map[string]string{} // By term.
	for _, term := range terms {
		// A word shorter than MinSearchTerm ("no" of an e-mail address)
		// begins words of most purchases, and even counting the start of
		// its list costs more than testing it with LIKE; ParseSearch
		// leaves a longer term beside it.
		if utf8.RuneCountInString(term) < skranke.MinSearchTerm {
			continue
		}
		if m, _ := (skranke.SearchQuery{Terms: []string{term}}).FTSMatch(); m != "" {
			phrases = append(phrases, m)
			counts = append(counts, "(SELECT count(*) FROM (SELECT 1 FROM purchase_search WHERE purchase_search MATCH ? LIMIT ?))")
			probeArgs = append(probeArgs, m, searchSortCap+1)
			phrase[term] = m
		}
	}
	found := make([]int, len(phrases))
	if len(phrases) > 0 {
		dest := make([]any, len(found))
		for i := range found {
			dest[i] = &found[i]
		}
		if err := t.queryRowOnce("SELECT "+strings.Join(counts, ", "), probeArgs...).Scan(dest...); err != nil {
			return nil, internal(op, err)
		}
	}
	// The rare terms are looked up in the index; then at most
	// searchSortCap purchases are found.
	var rare []string
	looked := map[string]bool{} // The phrases looked up.
	for i, m := range phrases {
		if found[i] <= searchSortCap {
			rare = append(rare, m)
			looked[m] = true
		}
	}
	if len(rare) == 0 && len(phrases) > 1 {
		// Every term is common, but purchases with all of them may be few
		// (a whole name: "kari hansen").
		n := searchSortCap + 1
		if err := t.queryRowOnce("SELECT count(*) FROM (SELECT 1 FROM purchase_search WHERE purchase_search MATCH ? LIMIT ?)",
			strings.Join(phrases, " AND "), searchSortCap+1).Scan(&n); err != nil {
			return nil, internal(op, err)
		}
		if n <= searchSortCap {
			rare = phrases
			for _, m := range phrases {
				looked[m] = true
			}
		}
	}
	// Terms are lower-case letters and digits only (skranke.ParseSearch),
	// so they need no escaping in a LIKE pattern. A term begins a word of
	// the text it matches, so the text holds it: LIKE finds those and
	// perhaps more, which the caller drops.
	var like []string
	var likeArgs []any
	for _, term := range terms {
		if !looked[phrase[term]] {
			like = append(like, "search LIKE ?")
			likeArgs = append(likeArgs, "%"+term+"%")
		}
	}
	likes := "1"
	if len(like) > 0 {
		likes = strings.Join(like, " AND ")
	}
	var query string
	var args []any
	if len(rare) > 0 {
		// The purchases the index found, each read for its centre and date
		// (CROSS JOIN: from the index to the table, never a walk of the
		// centre's purchases testing each against the list), and those
		// without a search text yet; their dates sorted before any
		// document is read.
		query = `SELECT p.doc FROM (
			SELECT p.rowid AS id, p.created_at, p.code
			FROM (SELECT rowid AS id FROM purchase_search WHERE purchase_search MATCH ?) AS m
			CROSS JOIN purchases AS p ON p.rowid = m.id
			WHERE p.centre_id = ? AND ` + cond + ` AND ` + likes + `
			UNION ALL
			SELECT rowid, created_at, code FROM purchases WHERE centre_id = ? AND search = '' AND ` + cond + `
			ORDER BY 2 DESC, 3 DESC LIMIT ?) AS h
		JOIN purchases p ON p.rowid = h.id ORDER BY h.created_at DESC, h.code DESC`
		args = append(append(append(append(append([]any{strings.Join(rare, " AND "), centreID}, condArgs...), likeArgs...), centreID), condArgs...), limit)
	} else {
		query = `SELECT doc FROM purchases
		WHERE centre_id = ? AND (search = '' OR (` + likes + `)) AND ` + cond + `
		ORDER BY created_at DESC, code DESC LIMIT ?`
		args = append(append(append([]any{centreID}, likeArgs...), condArgs...), limit)
	}
	rows, err := t.queryOnce(query, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	var out []*skranke.Purchase
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, internal(op, err)
		}
		p := new(skranke.Purchase)
		if err := json.Unmarshal(doc, p); err != nil {
			return nil, internal(op, err)
		}
		out = append(out, p)
	}
	return out, internal(op, rows.Err())
}
