package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// TestSearchEmailIsBruteForce searches a cache of mixed purchases by
// e-mail address, typed whole, in part and in other case and accents, and
// wants, page by page, exactly the purchases a check of every purchase
// finds, newest first. The cache holds addresses sharing their domain,
// local parts that begin others (kari, karin, kari.nordmann), hundreds of
// rows of a local part with another domain (post@firma.no against
// post@sjelden.no) and of a long local part's first eight letters
// (torbjornhansen against torbjornmorset59), so that the desk's cheaper
// lookups give way to the narrower ones (Desk.SearchCached).
func TestSearchEmailIsBruteForce(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "token")
	rng := rand.New(rand.NewPCG(14, 20))
	type addr struct {
		email string
		n     int // Purchases with it.
	}
	addrs := []addr{
		{"kari@example.no", 20}, {"KARI@EXAMPLE.NO", 5}, {"karin@example.no", 15}, {"kari.nordmann@example.no", 30},
		{"kari.nordmannsen@example.com", 10}, {"Kari.Nordmann@Gmail.com", 10},
		{"post@firma.no", 600}, {"post@sjelden.no", 45}, {"postmottak@sjelden.no", 2},
		{"Åse.Ødegård@example.no", 6}, {"ase.odegard@example.com", 4}, {"ÅSE.ØDEGÅRD@EXAMPLE.NO", 2},
		{"torbjornhansen@live.no", 250}, {"torbjornmorset59@live.no", 3}, {"torbjornmorset591@live.no", 2},
		{"ole.kristiansen@gmail.com", 40}, {"ole_kristiansen@example.no", 5}, {"olekristiansen@gmail.com", 5},
		{"a@example.no", 8}, {"jose.muller@example.no", 3}, {"josé.müller@example.no", 3},
	}
	var deck []string
	for _, a := range addrs {
		for range a.n {
			deck = append(deck, a.email)
		}
	}
	rng.Shuffle(len(deck), func(i, j int) { deck[i], deck[j] = deck[j], deck[i] })
	names := []string{"Kari Nordmann", "Åse Ødegård", "Post Mottak", "Ole Hansen", "Torbjørn Morset", "Example Person"}
	var ps []*skranke.Purchase
	for i, email := range deck {
		p := testPurchase(code(1000+i), int64(1000+i))
		p.Buyer = skranke.Buyer{Name: names[rng.IntN(len(names))], Email: email}
		ps = append(ps, p)
	}
	require.NoError(t, d.CacheForTest(ctx, ps, nil, nil))

	for _, q := range []string{
		"kari@example.no", "KARI@example.NO", "karin@example.no", "kari.nordmann@example.no", "kari.nordmann@exam",
		"kari.nordmann@gmail.com", "kari@", "@example.no", "post@sjelden.no", "post@firma.no", "postmottak@sjelden.no",
		"åse.ødegård@example.no", "ase.odegard@EXAMPLE.COM", "torbjornmorset59@live.no", "torbjornmorset5@live.no",
		"torbjornhansen@live.no", "ole.kristiansen@gmail.com", "ole_kristiansen@example.no", "a@example.no",
		"josé.müller@example.no", "jose.muller@example", "nobody@example.no", "kari nordmann kari@example.no",
	} {
		pq := skranke.ParseSearch(q)
		require.Equal(t, skranke.SearchOK, pq.Problem, q)
		var want []string
		for _, p := range slices.Backward(ps) {
			if pq.Matches(skranke.SearchText(p)) {
				want = append(want, p.Code)
			}
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, len(ps), "q=%q: the pages do not end", q)
			page, err := d.SearchCached(ctx, pq, cursor, desksync.DefaultSearchLimit)
			require.NoError(t, err, q)
			got = append(got, codesOf(page.Purchases)...)
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		require.Equal(t, want, got, fmt.Sprintf("q=%q", q))
	}
}
