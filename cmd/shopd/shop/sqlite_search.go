package shop

import (
	"encoding/json"
	"strings"

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
func (t *sqlTx) SearchPurchases(centreID string, terms []string, after SearchCursor, limit int) ([]*skranke.Purchase, error) {
	const op = "shop.sqlTx.SearchPurchases"
	cond := "1"
	var condArgs []any
	if after.Code != "" {
		cond = "(created_at < ? OR (created_at = ? AND code < ?))"
		condArgs = []any{after.CreatedAt, after.CreatedAt, after.Code}
	}
	var query string
	var args []any
	match, _ := skranke.SearchQuery{Terms: terms}.FTSMatch()
	found := searchSortCap + 1
	if match != "" {
		if err := t.tx.QueryRowContext(t.ctx, "SELECT count(*) FROM (SELECT 1 FROM purchase_search WHERE purchase_search MATCH ? LIMIT ?)",
			match, searchSortCap+1).Scan(&found); err != nil {
			return nil, internal(op, err)
		}
	}
	if found <= searchSortCap {
		// The purchases the index found and those without a search text yet,
		// their dates sorted before any document is read.
		query = `SELECT p.doc FROM (
			SELECT rowid AS id, created_at, code FROM purchases
			WHERE rowid IN (SELECT rowid FROM purchase_search WHERE purchase_search MATCH ?
				UNION ALL SELECT rowid FROM purchases WHERE centre_id = ? AND search = '')
			AND centre_id = ? AND ` + cond + `
			ORDER BY created_at DESC, code DESC LIMIT ?) AS h
		JOIN purchases p ON p.rowid = h.id ORDER BY h.created_at DESC, h.code DESC`
		args = append(append([]any{match, centreID, centreID}, condArgs...), limit)
	} else {
		// Terms are lower-case letters and digits only (skranke.ParseSearch),
		// so they need no escaping in a LIKE pattern.
		var like []string
		args = []any{centreID}
		for _, term := range terms {
			like = append(like, "search LIKE ?")
			args = append(args, "%"+term+"%")
		}
		query = `SELECT doc FROM purchases
		WHERE centre_id = ? AND (search = '' OR (` + strings.Join(like, " AND ") + `)) AND ` + cond + `
		ORDER BY created_at DESC, code DESC LIMIT ?`
		args = append(append(args, condArgs...), limit)
	}
	rows, err := t.tx.QueryContext(t.ctx, query, args...)
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
