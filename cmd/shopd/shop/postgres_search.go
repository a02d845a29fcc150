package shop

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/skranke/skranke"
)

// searchIndexedTerms is how many of a query's rare terms the word index is
// asked for. The index reads every word a prefix begins ("123:*" is the
// start of thousands of phone and code tails), so it is asked for the
// longest of them only; the others are tested on the purchases it finds.
const searchIndexedTerms = 2

// SearchPurchases lists a centre's purchases after the cursor, newest
// first, whose search text holds every term or is not yet computed.
//
// The word index (GIN) knows neither centres nor dates, and a prefix query
// reads the whole list of every word it begins: for a term most purchases
// have ("no", "gmail", "hansen") that costs more than walking the centre's
// purchases newest first until a page is found. So the terms are first
// sorted by how many purchases have them, by the planner's statistics of
// the index (ANALYZE): the rare ones are looked up in the index, and every
// term is tested with LIKE on the purchases read. When every term is
// common but there are several, the index is asked for them together
// (few purchases have a whole name). A single common term walks the
// centre by date, testing LIKE alone: to_tsvector on each purchase walked
// would cost far more.
func (t *pgTx) SearchPurchases(centreID string, terms []string, after SearchCursor, limit int) ([]*skranke.Purchase, error) {
	const op = "shop.pgTx.SearchPurchases"
	share, err := t.termShares(terms)
	if err != nil {
		return nil, internal(op, err)
	}
	var rare []string
	for _, term := range terms {
		if share[term] <= searchCommon {
			rare = append(rare, term)
		}
	}
	if len(rare) == 0 && len(terms) > 1 {
		rare = slices.Clone(terms)
	}
	// The rarest first and, among those the statistics do not list, the
	// longest: a longer prefix begins fewer words.
	slices.SortStableFunc(rare, func(a, b string) int {
		if share[a] != share[b] {
			return cmp.Compare(share[a], share[b])
		}
		return len(b) - len(a)
	})
	rare = rare[:min(len(rare), searchIndexedTerms)]

	args := []any{centreID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// Terms are letters and digits only (skranke.ParseSearch), so they need
	// no escaping in a LIKE pattern nor in a tsquery. A term begins a word
	// of the text it matches, so the text holds it: LIKE finds those and
	// perhaps more, which the caller drops. The LIKEs come first so that a
	// plan walking by date tests them before to_tsvector.
	var match []string
	for _, term := range terms {
		match = append(match, "search LIKE "+arg("%"+term+"%"))
	}
	if len(rare) > 0 {
		var words []string
		for _, term := range rare {
			words = append(words, term+":*")
		}
		match = append(match, "to_tsvector('simple', search) @@ to_tsquery('simple', "+arg(strings.Join(words, " & "))+")")
	}
	cond := "true"
	if after.Code != "" {
		c := arg(after.CreatedAt)
		cond = "(created_at < " + c + " OR (created_at = " + c + " AND code < " + arg(after.Code) + "))"
	}
	query := `SELECT doc FROM purchases
		WHERE centre_id = $1 AND (search = '' OR (` + strings.Join(match, " AND ") + `)) AND ` + cond + `
		ORDER BY created_at DESC, code DESC LIMIT ` + arg(limit)
	var out []*skranke.Purchase
	err = t.queryEach(func(rows pgx.Rows) error {
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

// searchCommon is the share of all purchases above which a term counts as
// common: 5,000 in a million, where walking the centre by date finds a
// page of 30 within some 6,000 purchases.
const searchCommon = 0.005

// termShares says what share of the purchases have a word each term
// begins, by the most common words ANALYZE found in the index's
// sample (pg_stats.most_common_elems; a prefix counts every listed word it
// begins). Terms are lower-case letters and digits, as in the index.
// A term the statistics do not list has a share of 0: few purchases have
// it, or there are no statistics yet.
func (t *pgTx) termShares(terms []string) (map[string]float64, error) {
	shares := map[string]float64{}
	err := t.queryEach(func(rows pgx.Rows) error {
		var term string
		var share float64
		if err := rows.Scan(&term, &share); err != nil {
			return err
		}
		shares[term] = share
		return nil
	}, `WITH s AS (
			SELECT unnest(most_common_elems::text::text[]) AS e, unnest(most_common_elem_freqs) AS f
			FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'purchases_search_words')
		SELECT t, coalesce((SELECT sum(f) FROM s WHERE starts_with(e, t)), 0)::float8
		FROM unnest($1::text[]) AS t`, terms)
	return shares, err
}
