package sync_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

const bigCache = 1_000_000

func benchCode(i int) string { return fmt.Sprintf("B%07d", i) }

// bigCacheDir returns a data directory whose cache holds a million purchases.
// It is built once per schema version under os.TempDir and reused, because
// building it takes longer than the benchmarks that use it.
func bigCacheDir(b *testing.B) string {
	b.Helper()
	// Keyed by the schema's version and text, so an edited migration never
	// meets an old file.
	h := sha256.New()
	files, _ := filepath.Glob("migrations/*.sql")
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(text)
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("skranke-bench-cache-1m-v%d-%x", desksync.SchemaVersion(), h.Sum(nil)[:4]))
	marker := filepath.Join(dir, "complete")
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	err = d.BulkCacheForTest(context.Background(), bigCache, func(i int) *skranke.Purchase {
		p := testPurchase(benchCode(i), int64(i+1))
		p.Buyer.Name = fmt.Sprintf("Kunde %d", i)
		return p
	})
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("built the 1,000,000-purchase cache in %v", time.Since(start).Round(time.Millisecond))
	return dir
}

func reportP99(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p99 := lat[(len(lat)*99)/100]
	b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkLookupCached1M looks up random codes among a million cached
// purchases, as a scan does while the shop is unreachable.
func BenchmarkLookupCached1M(b *testing.B) {
	dir := bigCacheDir(b)
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, 1<<16)
	for b.Loop() {
		code := benchCode(rng.IntN(bigCache))
		start := time.Now()
		l, err := d.Cached(ctx, code)
		lat = append(lat, time.Since(start))
		if err != nil || l.Purchase.Code != code {
			b.Fatalf("lookup %s: %v", code, err)
		}
	}
	reportP99(b, lat)
}

// BenchmarkFirstSync100k pulls 100,000 purchases from shopd over loopback
// into an empty cache.
func BenchmarkFirstSync100k(b *testing.B) {
	const n = 100_000
	srv := shoptest.Start(b, shoptest.WithBulk(n))
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: b.TempDir(), Timeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := d.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := d.Cached(ctx, srv.Code("paid-course")); err != nil {
			b.Fatal(err)
		}
		d.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "purchases/s")
}

// BenchmarkIncrementalSync100On1M pulls 100 new purchases into a cache that
// already holds a million.
func BenchmarkIncrementalSync100On1M(b *testing.B) {
	src := filepath.Join(bigCacheDir(b), desksync.CacheFile)
	dir := b.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		if _, err := os.Stat(src + suffix); err != nil {
			continue
		}
		if err := copyFile(filepath.Join(dir, desksync.CacheFile+suffix), src+suffix); err != nil {
			b.Fatal(err)
		}
	}
	srv := shoptest.Start(b)
	ctx := context.Background()
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: dir, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(ctx); err != nil { // The demo data: the cursor reaches the shop's head.
		b.Fatal(err)
	}
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		codes, err := srv.DB.SeedBulk(ctx, shop.DemoCentreID, 100)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := d.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		b.StopTimer()
		if _, err := d.Cached(ctx, codes[len(codes)-1]); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportP99(b, lat)
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// BenchmarkLookupOffline1M is a scan while the shop is down: Desk.Lookup
// finds nobody listening and answers from the million-purchase cache.
func BenchmarkLookupOffline1M(b *testing.B) {
	dir := bigCacheDir(b)
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: deadAddr(b), DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	lat := make([]time.Duration, 0, 1<<14)
	for b.Loop() {
		code := benchCode(rng.IntN(bigCache))
		start := time.Now()
		l, err := d.Lookup(ctx, code)
		lat = append(lat, time.Since(start))
		if err != nil || !l.FromCache {
			b.Fatalf("lookup %s: %v", code, err)
		}
	}
	reportP99(b, lat)
}
