package shop

import (
	"encoding/json"
	"strings"

	"github.com/skranke/skranke"
)

// SearchPurchases lists a centre's purchases after the cursor, newest
// first, whose search text holds every term or is not yet computed.
func (t *sqlTx) SearchPurchases(centreID string, terms []string, after SearchCursor, limit int) ([]*skranke.Purchase, error) {
	const op = "shop.sqlTx.SearchPurchases"
	// Terms are lower-case letters and digits only (skranke.ParseSearch), so
	// they need no escaping in a LIKE pattern.
	var like []string
	args := []any{centreID}
	for _, term := range terms {
		like = append(like, "search LIKE ?")
		args = append(args, "%"+term+"%")
	}
	cond := "1"
	if after.Code != "" {
		cond = "(created_at < ? OR (created_at = ? AND code < ?))"
		args = append(args, after.CreatedAt, after.CreatedAt, after.Code)
	}
	args = append(args, limit)
	rows, err := t.tx.QueryContext(t.ctx, `SELECT doc FROM purchases
		WHERE centre_id = ? AND (search = '' OR (`+strings.Join(like, " AND ")+`)) AND `+cond+`
		ORDER BY created_at DESC, code DESC LIMIT ?`, args...)
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
