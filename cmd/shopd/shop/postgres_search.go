package shop

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/skranke/skranke"
)

// SearchPurchases lists a centre's purchases after the cursor, newest
// first, whose search text holds every term or is not yet computed.
func (t *pgTx) SearchPurchases(centreID string, terms []string, after SearchCursor, limit int) ([]*skranke.Purchase, error) {
	const op = "shop.pgTx.SearchPurchases"
	args := []any{centreID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// Terms are letters and digits only (skranke.ParseSearch), so they need
	// no escaping in a tsquery: each must begin a word.
	var words []string
	for _, term := range terms {
		words = append(words, term+":*")
	}
	match := "to_tsvector('simple', search) @@ to_tsquery('simple', " + arg(strings.Join(words, " & ")) + ")"
	cond := "true"
	if after.Code != "" {
		c := arg(after.CreatedAt)
		cond = "(created_at < " + c + " OR (created_at = " + c + " AND code < " + arg(after.Code) + "))"
	}
	query := `SELECT doc FROM purchases
		WHERE centre_id = $1 AND (search = '' OR ` + match + `) AND ` + cond + `
		ORDER BY created_at DESC, code DESC LIMIT ` + arg(limit)
	var out []*skranke.Purchase
	err := t.queryEach(func(rows pgx.Rows) error {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		p := new(skranke.Purchase)
		if err := json.Unmarshal(doc, p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}, query, args...)
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}
