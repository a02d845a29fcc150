package sync_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// BenchmarkIndexCached100k is the indexing that follows a first sync of
// 100,000 purchases: the sync loop's Desk.indexCached in the background
// (search words, month facts, pickup products and the search columns of
// every purchase the pull filed unindexed), and the merge of the search
// index after it. Each run starts from a copy of the same synced,
// unindexed cache, with no desk action under way. It reports CPU time per
// purchase, purchases/s, the bytes written (WAL, checkpoints and the
// checkpoint on close) per byte of the cache it leaves and per purchase,
// and the peak RSS of the process while it indexed.
func BenchmarkIndexCached100k(b *testing.B) {
	benchIndexCached(b, 100_000)
}

// BenchmarkIndexCached1M is BenchmarkIndexCached100k after a first sync of
// a million (SKRANKE_BENCH_CACHE purchases if set), run by hand
// (SKRANKE_BENCH_1M=1): minutes per run.
func BenchmarkIndexCached1M(b *testing.B) {
	if os.Getenv("SKRANKE_BENCH_1M") == "" {
		b.Skip("set SKRANKE_BENCH_1M=1 to index 1,000,000 purchases")
	}
	benchIndexCached(b, bigCacheSize(b))
}

func benchIndexCached(b *testing.B, n int) {
	src := unindexedCache(b, n)
	ctx := context.Background()
	var cpu, took time.Duration
	var written, size, peak float64
	runs := 0
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		if err := copyFile(filepath.Join(dir, desksync.CacheFile), src); err != nil {
			b.Fatal(err)
		}
		d, err := desksync.Open(ctx, desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: dir, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		resetPeakRSS(b)
		w0, cpu0, start := writtenBytes(b), cpuTime(), time.Now()
		b.StartTimer()
		if err := d.IndexCachedForTest(ctx, true); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		took += time.Since(start)
		cpu += cpuTime() - cpu0
		peak = max(peak, float64(procStatus(b, "VmHWM")))
		if indexed, err := d.IndexedForTest(ctx); err != nil || indexed < n {
			b.Fatalf("%d purchases indexed of %d or more (%v)", indexed, n, err)
		}
		if err := d.Close(); err != nil {
			b.Fatal(err)
		}
		written += float64(writtenBytes(b) - w0)
		for _, suffix := range []string{"", "-wal"} {
			if st, err := os.Stat(filepath.Join(dir, desksync.CacheFile+suffix)); err == nil {
				size += float64(st.Size())
			}
		}
		runs++
		os.RemoveAll(dir)
		b.StartTimer()
	}
	k := float64(runs)
	b.ReportMetric(float64(cpu.Microseconds())/(float64(n)*k), "cpu-µs/purchase")
	b.ReportMetric(float64(n)*k/took.Seconds(), "purchases/s")
	b.ReportMetric(written/size, "written/cache")
	b.ReportMetric(written/(float64(n)*k), "written-B/purchase")
	b.ReportMetric(size/k/(1<<20), "cache-MB")
	b.ReportMetric(peak/1024, "peak-RSS-MB")
}

// unindexedCache returns the path of a cache that a first sync of n bulk
// purchases from shopd filled and nobody indexed, built once per schema
// under os.TempDir and never opened in place again: each run indexes a
// copy.
func unindexedCache(b *testing.B, n int) string {
	b.Helper()
	name := strconv.Itoa(n)
	if n == bigCache {
		name = "1m"
	}
	dir := filepath.Join(os.TempDir(), "skranke-bench-unindexed-"+name+"-"+benchData+"-"+schemaKey(b))
	path := filepath.Join(dir, desksync.CacheFile)
	marker := filepath.Join(dir, "complete")
	if _, err := os.Stat(marker); err == nil {
		return path
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	defer b.StartTimer()
	srv := shoptest.Start(b, shoptest.WithDBPath(seededShopDB(b, name, n)))
	fs := runFirstSync(b, srv, dir, n, func(bool) {})
	srv.Close()
	logFirstSync(b, fs)
	checkpointFile(b, path)
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// resetPeakRSS sets this process's peak RSS (VmHWM) back to its RSS now.
func resetPeakRSS(tb testing.TB) {
	tb.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Logf("cannot reset the peak RSS (%v): it is the process's since its start", err)
	}
}

// procStatus returns the value of a kB field of /proc/self/status.
func procStatus(tb testing.TB, field string) int64 {
	tb.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte(field+":")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatalf("no %s in /proc/self/status", field)
	return 0
}
