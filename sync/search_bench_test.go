package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke/sync/internal/benchlat"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// BenchmarkSearchCached1M searches a million cached purchases offline, the
// way staff look for a buyer without the receipt. The queries are drawn
// from the cache's own buyers (SeedBulk's are shaped like a Norwegian
// centre's: Hansen on about one purchase in a hundred, regulars, phone
// numbers and e-mail addresses as people type them): a whole name, a
// surname, the first three letters of a first name (the most rows a term
// can match), a phone number, an e-mail address, part of a code, and a
// name nobody has. The cache is indexed before timing, as the sync loop
// leaves it.
func BenchmarkSearchCached1M(b *testing.B) {
	dir := bigCacheDir(b)
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: dir, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	start, cpu0 := time.Now(), cpuTime()
	if _, err := d.SearchCached(ctx, skranke.ParseSearch("warm up"), "", 1); err != nil {
		b.Fatal(err)
	}
	b.Logf("first search (indexes what the cache holds unindexed): %v, %v CPU", time.Since(start).Round(time.Millisecond), (cpuTime() - cpu0).Round(time.Millisecond))
	sample := cachedSample(b, dir)
	for _, bc := range searchQueries(sample) {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			var lat benchlat.Sample
			cpu0 := cpuTime()
			for b.Loop() {
				q := skranke.ParseSearch(bc.query(rng.IntN(len(sample))))
				start := time.Now()
				page, err := d.SearchCached(ctx, q, "", desksync.DefaultSearchLimit)
				lat.Since(start)
				if err != nil || (len(page.Purchases) > 0) != bc.hits {
					b.Fatalf("search %v: %d hits, %v", q.Terms, len(page.Purchases), err)
				}
			}
			reportCPU(b, cpu0, len(lat))
			lat.Report(b, "")
		})
	}
}

// searchQuery is one kind of query staff type, made from the i-th
// purchase of a sample; hits says whether it finds something.
type searchQuery struct {
	name  string
	query func(i int) string
	hits  bool
}

// searchQueries are the queries the search benchmarks time, drawn from a
// sample of the purchases searched.
func searchQueries(sample []skranke.Purchase) []searchQuery {
	buyer := func(i int) skranke.Buyer { return sample[i%len(sample)].Buyer }
	return []searchQuery{
		{"name", func(i int) string { return buyer(i).Name }, true},
		{"surname", func(i int) string { n := strings.Fields(buyer(i).Name); return n[len(n)-1] }, true},
		{"first-3", func(i int) string { return string([]rune(buyer(i).Name)[:3]) }, true},
		{"phone", func(i int) string {
			for ; buyer(i).Phone == ""; i++ {
			}
			return buyer(i).Phone
		}, true},
		{"email", func(i int) string { return buyer(i).Email }, true},
		{"code-part", func(i int) string { c := sample[i%len(sample)].Code; return c[2:7] }, true},
		{"miss", func(i int) string { return fmt.Sprintf("Zyxwu Ødegård %d", i) }, false},
	}
}

// BenchmarkShopSearch1M times the shop's search (GET /purchases?q=, shopd
// on SQLite over loopback, through the desk's client) on a centre of a
// million purchases, with the queries of BenchmarkSearchCached1M.
func BenchmarkShopSearch1M(b *testing.B) {
	path := bigShopDB(b)
	srv := shoptest.Start(b, shoptest.WithDBPath(path))
	defer srv.Close()
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: b.TempDir(), Timeout: time.Minute, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	sample := samplePurchases(b, path, "doc")
	for _, bc := range searchQueries(sample) {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			var lat benchlat.Sample
			cpu0 := cpuTime()
			for b.Loop() {
				q := bc.query(rng.IntN(len(sample)))
				start := time.Now()
				r, err := d.Search(ctx, q, "")
				lat.Since(start)
				if err != nil || r.FromCache || (len(r.Purchases) > 0) != bc.hits {
					b.Fatalf("search %q: %d hits, from the cache %v, %v", q, len(r.Purchases), r.FromCache, err)
				}
			}
			reportCPU(b, cpu0, len(lat))
			lat.Report(b, "")
		})
	}
}

// BenchmarkPickup1M lists what waits to be fetched among a million cached
// purchases (nine in ten of them, in the benchmark cache), with its count.
// The cache is indexed before timing, as the sync loop leaves it.
func BenchmarkPickup1M(b *testing.B) {
	dir := bigCacheDir(b)
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: dir, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if _, err := d.PickupCount(ctx); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		f    desksync.PickupFilter
	}{
		{"all", desksync.PickupFilter{}},
		// A product on about one purchase in twelve; "Drikkeflaske", asked
		// before, is the name of no product, so that case read every
		// waiting purchase.
		{"product", desksync.PickupFilter{Product: "Massasje 60 min"}},
		// A product one purchase has: the demo data's gift card purchase
		// (the bulk purchases sell no gift cards). Before pickup_products
		// (migration 0009) this read every waiting purchase.
		{"rare product", desksync.PickupFilter{Product: "Gavekort 500 kr"}},
		// A name no purchase has: the list and the count find nothing.
		{"no such product", desksync.PickupFilter{Product: "Drikkeflaske"}},
		{"status", desksync.PickupFilter{Status: skranke.Authorized}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat benchlat.Sample
			cpu0 := cpuTime()
			for b.Loop() {
				start := time.Now()
				_, err := d.Pickup(ctx, bc.f)
				lat.Since(start)
				if err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0, len(lat))
			lat.Report(b, "")
		})
	}
}

// reportCPU reports the process's CPU time per op since cpu0: on a shared
// machine it says more about the work than the wall clock does.
func reportCPU(b *testing.B, cpu0 time.Duration, ops int) {
	if ops > 0 {
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(ops), "cpu-µs/op")
	}
}
