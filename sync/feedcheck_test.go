package sync_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// feedForger changes entries of the shop's changes feed pages, by code,
// while forges are set: a broken proxy or a forged shop.
type feedForger struct {
	mu     stdsync.Mutex
	forges map[string]func(doc map[string]any)
}

func (f *feedForger) set(code string, forge func(doc map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.forges == nil {
		f.forges = map[string]func(map[string]any){}
	}
	if forge == nil {
		delete(f.forges, code)
		return
	}
	f.forges[code] = forge
}

func (f *feedForger) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		n := len(f.forges)
		f.mu.Unlock()
		if n == 0 || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/changes") {
			next.ServeHTTP(w, r)
			return
		}
		r.Header.Del("Accept-Encoding") // The page as JSON, to change.
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var page struct {
			Purchases []map[string]any `json:"purchases"`
			Cards     []map[string]any `json:"cards"`
			Next      int64            `json:"next"`
			More      bool             `json:"more"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		f.mu.Lock()
		for _, list := range [][]map[string]any{page.Purchases, page.Cards} {
			for _, doc := range list {
				if forge := f.forges[doc["code"].(string)]; forge != nil {
					forge(doc)
				}
			}
		}
		f.mu.Unlock()
		b, _ := json.Marshal(page)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
}

// A changes feed page with impossible figures went into the cache
// unchecked, though the shop's answers to lookups and gift card uses are
// checked: a negative price or a million units was shown and summed, and a
// purchase shown as handed over when it was not. The desk now refuses
// such entries, says so (log and status), files the rest of the page and
// moves on, and files the refused purchase or card as soon as the shop
// gives it whole again, without waiting for it to change.
func TestFeedRefusesImpossibleFigures(t *testing.T) {
	ctx := context.Background()
	var fg feedForger
	srv := shoptest.Start(t, shoptest.WithMiddleware(fg.middleware))
	d := MustOpenShop(t, srv)
	require.NoError(t, d.Sync(ctx))

	newPurchase := func() *skranke.Purchase {
		return srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
			Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 2}}})
	}
	line := func(change func(l map[string]any)) func(doc map[string]any) {
		return func(doc map[string]any) { change(doc["lines"].([]any)[0].(map[string]any)) }
	}
	forges := []struct {
		name  string
		forge func(doc map[string]any)
	}{
		{"negative price", line(func(l map[string]any) { l["unit_price"] = -49900 })},
		{"a million units", line(func(l map[string]any) { l["quantity"] = 1_000_000 })},
		{"more handed over than bought", line(func(l map[string]any) { l["delivered"] = 5 })},
		{"price beyond any sale", line(func(l map[string]any) { l["unit_price"] = int64(4e18) })},
		{"negative quantity", line(func(l map[string]any) { l["quantity"] = -2 })},
		{"more credited than paid", func(doc map[string]any) {
			doc["credits"] = []any{map[string]any{"id": "c1", "purchase_code": doc["code"], "amount": 9_000_000_00, "reason": "x", "at": doc["created_at"]}}
		}},
		{"a hand-over of a line it has not", func(doc map[string]any) {
			doc["deliveries"] = []any{map[string]any{"id": "d1", "purchase_code": doc["code"], "at": doc["created_at"],
				"lines": []any{map[string]any{"line_id": "no-such-line", "quantity": 1}}}}
		}},
		{"a code in the wrong format", func(doc map[string]any) { doc["code"] = "not a code" }},
	}
	good1 := newPurchase()
	var bad []*skranke.Purchase
	for _, f := range forges {
		p := newPurchase()
		fg.set(p.Code, f.forge)
		bad = append(bad, p)
	}
	card := srv.IssueCard(50000)
	fg.set(card.Code, func(doc map[string]any) { doc["balance"] = 90000 }) // More than it was sold for.
	good2 := newPurchase()

	require.NoError(t, d.Sync(ctx), "good data must go on syncing")
	for _, p := range []*skranke.Purchase{good1, good2} {
		_, err := d.Cached(ctx, p.Code)
		require.NoError(t, err, "a good purchase of the page was not filed")
	}
	for i, p := range bad {
		l, err := d.Cached(ctx, p.Code)
		require.True(t, skranke.KindOf(err) == skranke.NotFound, "%s: the forged entry was filed: %+v %v", forges[i].name, l.Purchase, err)
	}
	cl, err := d.CachedCardForTest(ctx, card.Code)
	require.NoError(t, err)
	require.Nil(t, cl, "the forged gift card was filed")
	st := d.Status()
	require.Equal(t, len(bad)+1, st.FeedRefused, "the status does not tell that entries were refused")
	head := shopHead(t, srv)
	require.Equal(t, head, mustCursor(t, d), "the desk's cursor did not move on past the page")

	// The shop's answers are whole again: the refused entries are filed at
	// the next sync, though they did not change.
	for _, p := range bad {
		fg.set(p.Code, nil)
	}
	fg.set(card.Code, nil)
	require.NoError(t, d.Sync(ctx))
	for _, p := range bad {
		l, err := d.Cached(ctx, p.Code)
		require.NoError(t, err, "a refused entry was skipped for good")
		require.Equal(t, skranke.Money(2*l.Purchase.Lines[0].UnitPrice), l.Purchase.Total())
		require.Equal(t, 2, l.Purchase.Lines[0].Quantity)
		require.Zero(t, l.Purchase.Lines[0].Delivered)
	}
	cl, err = d.CachedCardForTest(ctx, card.Code)
	require.NoError(t, err)
	require.NotNil(t, cl)
	require.Equal(t, skranke.Money(50000), cl.Balance)
	require.Zero(t, d.Status().FeedRefused)

	// A number outside its page is the page's own figures broken: the
	// page is refused whole and the cursor stays, so that the entry the
	// shop meant to send there is not skipped; it comes once the page is
	// whole again.
	cursor := mustCursor(t, d)
	renumbered := newPurchase()
	fg.set(renumbered.Code, func(doc map[string]any) { doc["seq"] = int64(1e15) })
	err = d.Sync(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "is numbered 1000000000000000")
	require.Equal(t, cursor, mustCursor(t, d), "the cursor passed a page it did not file")
	fg.set(renumbered.Code, nil)
	require.NoError(t, d.Sync(ctx))
	_, err = d.Cached(ctx, renumbered.Code)
	require.NoError(t, err)
}

// shopHead is the changes feed's last number for the desk's centre.
func shopHead(t *testing.T, srv *shoptest.Server) int64 {
	t.Helper()
	var head int64
	for _, seq := range shopPurchases(t, srv) {
		head = max(head, seq)
	}
	return head
}

// While 20 refused entries stay impossible (a shop bug, a forger), an
// entry numbered after them that the shop now gives whole is still asked
// for again and filed: the purchase shows on the desk. The ones still
// impossible wait their pause and do not take every sync's requests.
func TestWholeEntryIsFiledWhileTwentyOthersStayRefused(t *testing.T) {
	ctx := context.Background()
	var fg feedForger
	srv := shoptest.Start(t, shoptest.WithMiddleware(fg.middleware))
	d := MustOpenShop(t, srv)
	require.NoError(t, d.Sync(ctx))
	negative := func(doc map[string]any) { doc["lines"].([]any)[0].(map[string]any)["unit_price"] = -49900 }
	var ps []*skranke.Purchase
	for range 21 {
		p := srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
			Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 2}}})
		fg.set(p.Code, negative)
		ps = append(ps, p)
	}
	require.NoError(t, d.Sync(ctx))
	require.Equal(t, 21, d.Status().FeedRefused)

	last := ps[len(ps)-1]
	fg.set(last.Code, nil) // Whole again; the other 20 stay broken.
	for range 3 {
		require.NoError(t, d.Sync(ctx))
	}
	_, err := d.Cached(ctx, last.Code)
	require.NoError(t, err, "an entry the shop now gives whole is never filed: it is the 21st refused")
}

// An entry the shop keeps giving impossible is asked for again at the next
// sync, then not at every sync but after a growing pause: a broken shop
// does not cost a request per entry every few seconds.
func TestStillImpossibleEntryIsNotAskedForAtEverySync(t *testing.T) {
	ctx := context.Background()
	var fg feedForger
	var asked atomic.Int32
	count := func(next http.Handler) http.Handler {
		forged := fg.middleware(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/changes") && r.URL.Query().Get("limit") == "1" {
				asked.Add(1) // retryRefused asks for one entry by its number.
			}
			forged.ServeHTTP(w, r)
		})
	}
	srv := shoptest.Start(t, shoptest.WithMiddleware(count))
	d := MustOpenShop(t, srv)
	require.NoError(t, d.Sync(ctx))
	p := srv.CreatePurchase(skranke.Purchase{Buyer: skranke.Buyer{Name: "Nora Fjeld"}, Status: skranke.Captured,
		Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 2}}})
	fg.set(p.Code, func(doc map[string]any) { doc["lines"].([]any)[0].(map[string]any)["unit_price"] = -49900 })
	require.NoError(t, d.Sync(ctx))
	require.Equal(t, 1, d.Status().FeedRefused)
	require.Zero(t, asked.Load(), "asked again in the sync that refused it")

	require.NoError(t, d.Sync(ctx))
	require.Equal(t, int32(1), asked.Load(), "not asked again at the next sync")
	for range 3 {
		require.NoError(t, d.Sync(ctx))
	}
	require.Equal(t, int32(1), asked.Load(), "asked again at every sync, with no pause")
	require.Equal(t, 1, d.Status().FeedRefused)

	// Once its pause has passed, it is asked for again, and filed when whole.
	fg.set(p.Code, nil)
	require.NoError(t, d.RefusedDueForTest(ctx))
	require.NoError(t, d.Sync(ctx))
	require.Equal(t, int32(2), asked.Load())
	_, err := d.Cached(ctx, p.Code)
	require.NoError(t, err, "not filed once whole")
	require.Zero(t, d.Status().FeedRefused)
}
