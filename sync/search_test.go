package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

func codesOf(ps []skranke.PurchaseSummary) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Code)
	}
	return out
}

// TestSearchCache searches a cache while the shop is unreachable.
func TestSearchCache(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "token")
	ase := testPurchase(code(4242), 1)
	ase.Buyer = skranke.Buyer{Name: "Åse Ødegård", Email: "ase.odegard@example.no", Phone: "+47 991 69 481"}
	bo := testPurchase(code(2), 2)
	bo.Buyer = skranke.Buyer{Name: "Bo Li", Email: "bo@example.no", Phone: "22 33 44 55"}
	var many []*skranke.Purchase
	for i := range 7 {
		p := testPurchase(code(100+i), int64(100+i))
		p.Buyer.Name = "Mange Kunder"
		many = append(many, p)
	}
	require.NoError(t, d.CacheForTest(ctx, append([]*skranke.Purchase{ase, bo}, many...), nil, nil))

	t.Run("finds", func(t *testing.T) {
		for _, tc := range []struct{ q, want string }{
			{"ase", ase.Code}, {"ÅSE", ase.Code}, {"odegard", ase.Code}, {"Ødegård", ase.Code},
			{"ase.odegard@example", ase.Code}, {"+47 991 69 481", ase.Code}, {"99169481", ase.Code}, {"991 69", ase.Code},
			{"4242", ase.Code}, {"li example", bo.Code}, {"22334455", bo.Code},
			{`"åse" *ødeg`, ase.Code},
		} {
			r, err := d.Search(ctx, tc.q, "")
			require.NoError(t, err, tc.q)
			require.True(t, r.FromCache, tc.q)
			require.Equal(t, []string{tc.want}, codesOf(r.Purchases), "q=%q", tc.q)
			got := r.Purchases[0]
			require.Equal(t, skranke.Captured, got.Status)
			require.Equal(t, 3, got.Remaining)
		}
	})
	t.Run("bad input gives a problem or nothing, never an error", func(t *testing.T) {
		for _, tc := range []struct {
			q    string
			want skranke.SearchProblem
		}{
			{"", skranke.SearchEmpty}, {"a", skranke.SearchTooShort}, {strings.Repeat("ø", 1000), skranke.SearchTooLong},
			{`"`, skranke.SearchEmpty}, {"*", skranke.SearchEmpty}, {"-", skranke.SearchEmpty}, {"\xff\xfe", skranke.SearchEmpty},
			{"NEAR", skranke.SearchOK}, {"bo li", skranke.SearchTooShort},
			{"王", skranke.SearchTooShort}, {"жж", skranke.SearchTooShort}, {"Жжж", skranke.SearchOK}, {strings.Repeat("a", 1000), skranke.SearchTooLong},
			{"ase*", skranke.SearchOK}, {"NEAR(ase odegard, 2)", skranke.SearchOK}, {"a b c d e f", skranke.SearchTooShort}, {`" OR 1=1 --`, skranke.SearchTooShort}, {`"; DROP TABLE purchases --`, skranke.SearchOK}, {"ase\xffodegard", skranke.SearchOK}, {"ase NEAR(odegard)", skranke.SearchOK},
		} {
			r, err := d.Search(ctx, tc.q, "")
			require.NoError(t, err, "q=%q", tc.q)
			require.Equal(t, tc.want, r.Problem, "q=%q", tc.q)
			if tc.q != "ase\xffodegard" && tc.q != "ase*" {
				require.Empty(t, r.Purchases, "q=%q", tc.q)
			}
		}
	})
	t.Run("terms of one letter alone find nothing", func(t *testing.T) {
		// ParseSearch refuses such a query; a caller's own must not reach
		// the index as an empty MATCH.
		page, err := d.SearchCached(ctx, skranke.SearchQuery{Terms: []string{"a", "o"}}, "", 10)
		require.NoError(t, err)
		require.Empty(t, page.Purchases)
	})
	t.Run("pages", func(t *testing.T) {
		var got []string
		cursor := ""
		for range 10 {
			page, err := d.SearchCached(ctx, skranke.ParseSearch("mange kunder"), cursor, 3)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Purchases), 3)
			got = append(got, codesOf(page.Purchases)...)
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		var want []string
		for i := 6; i >= 0; i-- {
			want = append(want, code(100+i))
		}
		require.Equal(t, want, got, "most recently cached first, each once")
	})
	t.Run("a changed buyer is found by the new name only", func(t *testing.T) {
		p := testPurchase(code(2), 3)
		p.Buyer = skranke.Buyer{Name: "Bjørn Ny"}
		require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{p}, nil, nil))
		r, err := d.Search(ctx, "bjorn", "")
		require.NoError(t, err)
		require.Equal(t, []string{code(2)}, codesOf(r.Purchases))
		r, err = d.Search(ctx, "22334455", "")
		require.NoError(t, err)
		require.Empty(t, r.Purchases)
	})
}

// TestSearchShop searches the shop online, then the cache once the shop is
// gone, and hands over a purchase found so with the ID checked.
func TestSearchShop(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	p := srv.CreatePurchase(skranke.Purchase{Status: skranke.Captured, Lines: []skranke.Line{{ProductID: "dropin-sal", Quantity: 1}},
		Buyer: skranke.Buyer{Name: "Åsne Øyvårdsdal", Email: "asne@example.no", Phone: "+47 404 69 481"}})
	d := MustOpen(t, srv.URL, srv.DeskToken)

	r, err := d.Search(ctx, "øyvårdsdal", "")
	require.NoError(t, err)
	require.False(t, r.FromCache)
	require.Equal(t, []string{p.Code}, codesOf(r.Purchases))

	require.NoError(t, d.Sync(ctx))
	srv.Stop()
	r, err = d.Search(ctx, "40469481", "")
	require.NoError(t, err)
	require.True(t, r.FromCache)
	require.Equal(t, []string{p.Code}, codesOf(r.Purchases))
	require.Equal(t, 1, r.Purchases[0].Remaining)

	staff := skranke.Staff{ID: shop.DemoStaffID, Name: "Kari"}
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: staff, IDChecked: true})
	require.NoError(t, err)
	r, err = d.Search(ctx, "asne", "")
	require.NoError(t, err)
	require.Equal(t, 0, r.Purchases[0].Remaining, "the delivery waiting in the outbox counts")
	out, err := d.OutboxForTest(ctx)
	require.NoError(t, err)
	var body desksync.DeliveryBody
	require.NoError(t, json.Unmarshal(out[len(out)-1].Body, &body))
	require.True(t, body.IDChecked, "the outbox sends the ID check")

	srv.Restart()
	require.NoError(t, d.Sync(ctx))
	ds := srv.Deliveries(p.Code)
	require.Len(t, ds, 1)
	require.True(t, ds[0].IDChecked, fmt.Sprintf("the shop stored %+v", ds[0]))
}
