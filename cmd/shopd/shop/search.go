package shop

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/skranke/skranke"
)

// SearchCursor is where a page of search results ends: the last
// purchase's creation time (Unix milliseconds) and code. The zero cursor
// starts at the newest purchase.
type SearchCursor struct {
	CreatedAt int64
	Code      string
}

// String encodes the cursor for the API ("<ms>.<code>").
func (c SearchCursor) String() string {
	if c.Code == "" {
		return ""
	}
	return strconv.FormatInt(c.CreatedAt, 10) + "." + c.Code
}

func parseCursor(s string) (SearchCursor, error) {
	if s == "" {
		return SearchCursor{}, nil
	}
	ms, code, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || len(code) != skranke.ReferenceLen || !skranke.ValidCheck(code) {
		return SearchCursor{}, skranke.E("shop.parseCursor", skranke.Invalid, "the cursor is not one this shop gave out; search again")
	}
	return SearchCursor{CreatedAt: n, Code: code}, nil
}

// searchPurchases serves GET /purchases?q=&limit=&cursor=: the desk's
// centre's purchases whose buyer or code match q (skranke.ParseSearch),
// newest first. The stores narrow by the indexed text; the terms are
// checked here again on the purchase itself, which also covers purchases
// stored before the index existed.
func (s *Server) searchPurchases(tx Tx, req *request) (int, any, error) {
	const op = "shop.Server.searchPurchases"
	v := req.http.URL.Query()
	q := skranke.ParseSearch(v.Get("q"))
	switch q.Problem {
	case skranke.SearchEmpty:
		return 0, nil, skranke.E(op, skranke.Invalid, "q is empty: give a name, e-mail, phone number or part of a code")
	case skranke.SearchTooShort:
		return 0, nil, skranke.E(op, skranke.Invalid, fmt.Sprintf("q needs a word of at least %d letters or digits", skranke.MinSearchTerm))
	case skranke.SearchTooLong:
		return 0, nil, skranke.E(op, skranke.Invalid, fmt.Sprintf("q is too long: at most %d characters in %d words", skranke.MaxSearchQuery, skranke.MaxSearchTerms))
	}
	limit := 30
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > skranke.MaxSearchLimit {
			return 0, nil, skranke.E(op, skranke.Invalid, fmt.Sprintf("limit must be a number from 1 to %d", skranke.MaxSearchLimit))
		}
		limit = n
	}
	after, err := parseCursor(v.Get("cursor"))
	if err != nil {
		return 0, nil, err
	}
	page := skranke.SearchPage{Purchases: []skranke.PurchaseSummary{}}
	for {
		ps, err := tx.SearchPurchases(req.desk.CentreID, q.Terms, after, limit+1)
		if err != nil {
			return 0, nil, err
		}
		for _, p := range ps {
			if len(page.Purchases) == limit {
				page.Next = after.String()
				return http.StatusOK, page, nil
			}
			after = SearchCursor{CreatedAt: p.CreatedAt.UnixMilli(), Code: p.Code}
			if q.Matches(skranke.SearchText(p)) {
				page.Purchases = append(page.Purchases, skranke.Summarize(p))
			}
		}
		if len(ps) < limit+1 {
			return http.StatusOK, page, nil
		}
	}
}
