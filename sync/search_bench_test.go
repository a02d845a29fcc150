package sync_test

import (
	"context"
	"fmt"
	"github.com/skranke/skranke/sync/internal/benchlat"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// BenchmarkSearchCached1M searches a million cached purchases offline, the
// way staff look for a buyer without the receipt: by a whole name, by part
// of a code, and by a name every purchase shares (the worst case: a page of
// the newest out of a million hits).
func BenchmarkSearchCached1M(b *testing.B) {
	dir := bigCacheDir(b)
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	codes := cachedCodes(b, dir)
	for _, bc := range []struct {
		name  string
		query func(i int) string
		hits  bool
	}{
		// The bulk shop's buyers are a few dozen names over a million
		// purchases, each with an e-mail address of its own.
		{"name", func(int) string { return "Åse Ødegård" }, true},
		{"code-part", func(i int) string { return codes[i%len(codes)][2:] }, true},
		{"common", func(int) string { return "odegard" }, true},
		{"miss", func(i int) string { return fmt.Sprintf("Ødegård %d", i) }, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			var lat benchlat.Sample
			for b.Loop() {
				q := skranke.ParseSearch(bc.query(rng.IntN(bigCache)))
				start := time.Now()
				page, err := d.SearchCached(ctx, q, "", desksync.DefaultSearchLimit)
				lat.Since(start)
				if err != nil || (len(page.Purchases) > 0) != bc.hits {
					b.Fatalf("search %v: %d hits, %v", q.Terms, len(page.Purchases), err)
				}
			}
			lat.Report(b, "")
		})
	}
}

// BenchmarkPickup1M lists what waits to be fetched among a million cached
// purchases (every one of them, in the benchmark cache), with its count.
func BenchmarkPickup1M(b *testing.B) {
	dir := bigCacheDir(b)
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		f    desksync.PickupFilter
	}{
		{"all", desksync.PickupFilter{}},
		{"product", desksync.PickupFilter{Product: "Drikkeflaske"}},
		{"status", desksync.PickupFilter{Status: skranke.Authorized}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat benchlat.Sample
			for b.Loop() {
				start := time.Now()
				_, err := d.Pickup(ctx, bc.f)
				lat.Since(start)
				if err != nil {
					b.Fatal(err)
				}
			}
			lat.Report(b, "")
		})
	}
}
