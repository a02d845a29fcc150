package sync_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
	"github.com/skranke/skranke/sync/internal/benchlat"
)

const bigCache = 1_000_000

// bigCacheSize is how many purchases the "1M" benchmarks' shop and cache
// hold: a million, or SKRANKE_BENCH_CACHE for a quicker look on a machine
// too busy to index a million in reasonable time. The figures in the docs
// are from a million unless they say otherwise.
func bigCacheSize(tb testing.TB) int {
	v := os.Getenv("SKRANKE_BENCH_CACHE")
	if v == "" {
		return bigCache
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		tb.Fatalf("SKRANKE_BENCH_CACHE=%q: want a number of purchases, at least 1000", v)
	}
	return n
}

// bigCacheName is how the benchmark's shop and cache directories name
// their size.
func bigCacheName(tb testing.TB) string {
	if n := bigCacheSize(tb); n != bigCache {
		return strconv.Itoa(n)
	}
	return "1m"
}

// benchData names the shape of the bulk shop's purchases (SeedBulk), so
// that caches built from an older shape are not reused: v2 has realistic
// buyers (shop/bulk_people.go).
const benchData = "v2"

// quiet takes the desk's progress lines, which would break up the lines
// of benchmark results.
var quiet = slog.New(slog.DiscardHandler)

// writtenBytes is what this process has caused to be written to storage
// so far (write_bytes of /proc/self/io): the disk writes of the cache,
// WAL and checkpoints included. shoptest's shop runs in the same process,
// but serving the changes feed writes nothing.
func writtenBytes(tb testing.TB) int64 {
	tb.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		tb.Skipf("no /proc/self/io: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("write_bytes: ")); ok {
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no write_bytes in /proc/self/io")
	return 0
}

// cpuTime is the user and system CPU time this process has used. On a
// machine shared with other work a rate depends on how much of the cores
// the benchmark got; its CPU time per purchase much less so.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// firstSync is what one first sync into an empty cache did.
type firstSync struct {
	n            int
	took         time.Duration
	rate         float64       // Purchases per second, whole sync.
	early, late  float64       // Purchases per second over the first and last fifth.
	cpu          time.Duration // CPU time of the process (desk and shopd) during the sync.
	written      int64         // Bytes written to disk, until the desk was closed.
	cacheSize    int64         // Bytes of desk.db (and WAL) after close.
	progressRows []int
	// pulled holds the numbers of the desk's "changes feed pulled" line:
	// how long its writer waited for pages and spent decoding and
	// committing, and how long its fetcher fetched and waited for the
	// writer (absent from builds that do not log them).
	pulled map[string]float64
	// tenths are the rate and the CPU time per purchase over each tenth
	// of the sync: a rate that falls at the same CPU per purchase waits
	// for something (the disk, a checkpoint), one that falls with more
	// CPU per purchase does more work as the cache grows.
	tenths []tenth
}

// tenth is the rate and CPU time per purchase over a tenth of a first sync.
type tenth struct {
	rate float64
	cpu  float64 // µs per purchase.
}

// runFirstSync syncs n bulk purchases (and the demo data) from srv into an
// empty cache in dir and closes the desk. It notes the cursor at every
// notification the desk sends, to see whether the rate holds to the end.
func runFirstSync(tb testing.TB, srv *shoptest.Server, dir string, n int, timing func(on bool)) firstSync {
	tb.Helper()
	ctx := context.Background()
	pulled := &pulledLine{}
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: dir, Timeout: time.Minute, Logger: slog.New(pulled)})
	if err != nil {
		tb.Fatal(err)
	}
	type point struct {
		at     time.Duration
		cursor int64
		cpu    time.Duration
	}
	var points []point
	ch, cancel := d.Subscribe()
	stop := make(chan struct{})
	watched := make(chan struct{})
	before := writtenBytes(tb)
	cpu0 := cpuTime()
	start := time.Now()
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-ch:
				if c, err := d.Cursor(ctx); err == nil {
					points = append(points, point{time.Since(start), c, cpuTime()})
				}
			}
		}
	}()
	timing(true)
	err = d.Sync(ctx)
	took := time.Since(start)
	cpu := cpuTime() - cpu0
	timing(false)
	close(stop)
	<-watched
	cancel()
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Close(); err != nil {
		tb.Fatal(err)
	}
	fs := firstSync{n: n, took: took, rate: float64(n) / took.Seconds(), cpu: cpu, written: writtenBytes(tb) - before, pulled: pulled.get()}
	for _, suffix := range []string{"", "-wal"} {
		if st, err := os.Stat(filepath.Join(dir, desksync.CacheFile+suffix)); err == nil {
			fs.cacheSize += st.Size()
		}
	}
	// The cursor counts the demo's changes too; the bulk is the last n.
	if len(points) > 0 {
		head := points[len(points)-1].cursor
		base := head - int64(n)
		fifth := int64(n) / 5
		for _, p := range points {
			if done := p.cursor - base; done >= fifth && fs.early == 0 {
				fs.early = float64(done) / p.at.Seconds()
			}
		}
		for i := len(points) - 1; i >= 0; i-- {
			if left := head - points[i].cursor; left >= fifth {
				fs.late = float64(left) / (took - points[i].at).Seconds()
				break
			}
		}
		from, next := point{0, base, cpu0}, base+int64(n)/10
		for _, p := range points {
			if p.cursor >= next || p.cursor == head {
				if rows := p.cursor - from.cursor; rows > 0 {
					fs.tenths = append(fs.tenths, tenth{
						rate: float64(rows) / (p.at - from.at).Seconds(),
						cpu:  float64((p.cpu - from.cpu).Microseconds()) / float64(rows),
					})
				}
				from, next = p, p.cursor+int64(n)/10
			}
		}
		for _, p := range points {
			fs.progressRows = append(fs.progressRows, int(p.cursor-base))
			if os.Getenv("SKRANKE_BENCH_PROGRESS") != "" {
				tb.Logf("%8.3fs %8d", p.at.Seconds(), p.cursor-base)
			}
		}
	}
	return fs
}

// pulledLine is a slog handler that keeps the numbers of the desk's
// "changes feed pulled" line and drops every other line.
type pulledLine struct {
	mu   sync.Mutex
	nums map[string]float64
}

func (p *pulledLine) Enabled(context.Context, slog.Level) bool { return true }

func (p *pulledLine) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "changes feed pulled" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nums = map[string]float64{}
	r.Attrs(func(a slog.Attr) bool {
		switch v := a.Value.Resolve(); v.Kind() {
		case slog.KindFloat64:
			p.nums[a.Key] = v.Float64()
		case slog.KindInt64:
			p.nums[a.Key] = float64(v.Int64())
		}
		return true
	})
	return nil
}

func (p *pulledLine) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *pulledLine) WithGroup(string) slog.Handler      { return p }

func (p *pulledLine) get() map[string]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nums
}

// schemaKey names the cache schema by its version and the text of its
// migrations, so that a data directory kept between runs never meets an
// edited migration.
func schemaKey(b *testing.B) string {
	b.Helper()
	h := sha256.New()
	files, _ := filepath.Glob("migrations/*.sql")
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(text)
	}
	return fmt.Sprintf("v%d-%x", desksync.SchemaVersion(), h.Sum(nil)[:4])
}

// bigCacheDir returns a data directory whose cache holds a million
// purchases, filled the way a desk fills it: a first sync from shopd
// (SeedBulk: codes, documents and feed order as the shop makes them). It
// is built once per schema under os.TempDir and reused, because building
// it takes minutes; the build's own figures are logged.
func bigCacheDir(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "skranke-bench-synced-"+bigCacheName(b)+"-"+benchData+"-"+schemaKey(b))
	marker := filepath.Join(dir, "complete")
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	defer b.StartTimer()
	srv := shoptest.Start(b, shoptest.WithDBPath(bigShopDB(b)))
	fs := runFirstSync(b, srv, dir, bigCacheSize(b), func(bool) {})
	srv.Close()
	logFirstSync(b, fs)
	checkpointFile(b, filepath.Join(dir, desksync.CacheFile))
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// bigShopDB returns a shop database holding the demo data and a million
// bulk purchases, seeded once under os.TempDir (minutes) and reused: the
// desk only reads it.
func bigShopDB(b *testing.B) string {
	b.Helper()
	return seededShopDB(b, bigCacheName(b), bigCacheSize(b))
}

// seededShopDB returns a shop database holding the demo data and n bulk
// purchases, seeded once under os.TempDir in a folder named by name and
// reused; callers that let the shop write copy it first.
func seededShopDB(b *testing.B, name string, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "skranke-bench-shop-"+name+"-"+benchData)
	path := filepath.Join(dir, "shop.db")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return path
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	db, err := shop.Open(ctx, path, shop.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := shop.SeedDemo(ctx, db, time.Now()); err != nil {
		b.Fatal(err)
	}
	if _, err := db.SeedBulk(ctx, shop.DemoCentreID, n); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	checkpointFile(b, path)
	b.Logf("shop seeded with %d purchases in %v", n, time.Since(start).Round(time.Second))
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

func logFirstSync(b *testing.B, fs firstSync) {
	b.Logf("first sync of %d purchases: %v, %.0f/s; first fifth %.0f/s, last fifth %.0f/s; %.1f µs CPU per purchase; %d MB written for a %d MB cache (%.2fx)",
		fs.n, fs.took.Round(time.Millisecond), fs.rate, fs.early, fs.late, float64(fs.cpu.Microseconds())/float64(fs.n),
		fs.written>>20, fs.cacheSize>>20, float64(fs.written)/float64(fs.cacheSize))
	var rates, cpus strings.Builder
	for _, t := range fs.tenths {
		fmt.Fprintf(&rates, " %.0f", t.rate)
		fmt.Fprintf(&cpus, " %.1f", t.cpu)
	}
	b.Logf("by tenth: purchases/s%s; CPU µs per purchase%s", rates.String(), cpus.String())
	if p := fs.pulled; p["seconds"] > 0 {
		b.Logf("writer: waited for pages %.1f s of %.1f s (%.0f %%), decoded for %.1f s, committed for %.1f s (longest commit %.0f ms); fetcher: fetched for %.1f s, waited for the writer %.1f s",
			p["writer_waited_s"], p["seconds"], 100*p["writer_waited_s"]/p["seconds"], p["decoding_s"], p["commits_s"], 1000*p["longest_commit_s"],
			p["fetching_s"], p["fetcher_waited_s"])
	}
}

// BenchmarkFirstSync1M is the first sync of a million purchases, run by
// hand (SKRANKE_BENCH_1M=1): minutes per run, and the shop's database
// takes minutes more to seed the first time.
func BenchmarkFirstSync1M(b *testing.B) {
	if os.Getenv("SKRANKE_BENCH_1M") == "" {
		b.Skip("set SKRANKE_BENCH_1M=1 to run the first sync of 1,000,000 purchases")
	}
	srv := shoptest.Start(b, shoptest.WithDBPath(bigShopDB(b)))
	var fs firstSync
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		fs = runFirstSync(b, srv, dir, bigCacheSize(b), func(on bool) {
			if on {
				b.StartTimer()
			} else {
				b.StopTimer()
			}
		})
		logFirstSync(b, fs)
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(fs.rate, "purchases/s")
	b.ReportMetric(fs.early, "first-fifth-/s")
	b.ReportMetric(fs.late, "last-fifth-/s")
	b.ReportMetric(float64(fs.written)/float64(fs.cacheSize), "written/cache")
	b.ReportMetric(float64(fs.cpu.Microseconds())/float64(bigCacheSize(b)), "cpu-µs/purchase")
	if p := fs.pulled; p["seconds"] > 0 {
		// The share of the sync the desk's writer waited for pages: near
		// 0 when writing sets the pace.
		b.ReportMetric(100*p["writer_waited_s"]/p["seconds"], "writer-waited-%")
	}
}

// BenchmarkFetchFeed1M fetches and decodes the changes feed of the
// million-purchase shop as a first sync does, without writing the cache
// (SKRANKE_BENCH_1M=1): the rate the shop and the desk's fetching and
// decoding allow a first sync at most, whatever the writer does, and their
// CPU time per purchase (the shop's included: it runs in this process).
func BenchmarkFetchFeed1M(b *testing.B) {
	if os.Getenv("SKRANKE_BENCH_1M") == "" {
		b.Skip("set SKRANKE_BENCH_1M=1 to fetch the feed of 1,000,000 purchases")
	}
	srv := shoptest.Start(b, shoptest.WithDBPath(bigShopDB(b)))
	ctx := context.Background()
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: b.TempDir(), Timeout: time.Minute, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	var n int
	var cpu time.Duration
	for b.Loop() {
		cpu0 := cpuTime()
		got, err := d.FetchFeedForTest(ctx, 0)
		cpu += cpuTime() - cpu0
		if err != nil {
			b.Fatal(err)
		}
		n += got
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "purchases/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/purchase")
}

// checkpointFile folds a closed cache's WAL into the database, so that a
// copy of it does not start with a checkpoint.
func checkpointFile(tb testing.TB, path string) {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		tb.Fatal(err)
	}
}

// cachedCodes returns every 50th code in the cache at dir, in random order.
func cachedCodes(tb testing.TB, dir string) []string {
	tb.Helper()
	var codes []string
	for _, p := range cachedSample(tb, dir) {
		codes = append(codes, p.Code)
	}
	return codes
}

// cachedSample returns every 50th purchase in the cache at dir (code and
// buyer), in random order.
func cachedSample(tb testing.TB, dir string) []skranke.Purchase {
	return samplePurchases(tb, filepath.Join(dir, desksync.CacheFile), "body")
}

// samplePurchases returns the code and buyer of every 50th purchase in the
// SQLite database at path, whose purchases table holds their documents in
// column doc, in random order.
func samplePurchases(tb testing.TB, path, doc string) []skranke.Purchase {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(strings.ReplaceAll(`SELECT code, json_extract(DOC, '$.buyer.name'), ifnull(json_extract(DOC, '$.buyer.email'), ''),
		ifnull(json_extract(DOC, '$.buyer.phone'), '') FROM purchases WHERE rowid % 50 = 0`, "DOC", doc))
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var ps []skranke.Purchase
	for rows.Next() {
		var p skranke.Purchase
		if err := rows.Scan(&p.Code, &p.Buyer.Name, &p.Buyer.Email, &p.Buyer.Phone); err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		tb.Fatal("no purchases in the cache")
	}
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	return ps
}

// benchLookups opens a desk on the 1M cache talking to baseURL and times
// lookup of codes drawn from the cache, one per op.
func benchLookups(b *testing.B, baseURL string, lookup func(*desksync.Desk, context.Context, string) (desksync.Lookup, error)) {
	dir := bigCacheDir(b)
	codes := cachedCodes(b, dir)
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: baseURL, DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	var lat benchlat.Sample
	i := 0
	for b.Loop() {
		code := codes[i%len(codes)]
		i++
		start := time.Now()
		l, err := lookup(d, ctx, code)
		lat.Since(start)
		if err != nil || l.Purchase.Code != code || !l.FromCache {
			b.Fatalf("lookup %s: %v", code, err)
		}
	}
	lat.Report(b, "")
}

// BenchmarkLookupCached1M looks up random codes among a million cached
// purchases, as a scan does while the shop is unreachable.
func BenchmarkLookupCached1M(b *testing.B) {
	benchLookups(b, "http://127.0.0.1:1", (*desksync.Desk).Cached)
}

// BenchmarkLookupOffline1M is a scan while the shop is down: Desk.Lookup
// finds nobody listening and answers from the million-purchase cache.
func BenchmarkLookupOffline1M(b *testing.B) {
	benchLookups(b, deadAddr(b), (*desksync.Desk).Lookup)
}

// BenchmarkFirstSync100k pulls 100,000 purchases from shopd over loopback
// into an empty cache: purchases/s over the whole sync and over its first
// and last fifth (a rate that falls as the cache grows shows there), and
// the bytes written to disk (WAL, checkpoints, the final checkpoint on
// close) per byte of the cache it leaves.
func BenchmarkFirstSync100k(b *testing.B) {
	const n = 100_000
	srv := shoptest.Start(b, shoptest.WithBulk(n))
	var runs []firstSync
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		fs := runFirstSync(b, srv, dir, n, func(on bool) {
			if on {
				b.StartTimer()
			} else {
				b.StopTimer()
			}
		})
		runs = append(runs, fs)
		os.RemoveAll(dir)
		b.StartTimer()
	}
	var took, cpu time.Duration
	var early, late, written, size, waited, pulled float64
	for _, r := range runs {
		waited += r.pulled["writer_waited_s"]
		pulled += r.pulled["seconds"]
		took += r.took
		cpu += r.cpu
		early += r.early
		late += r.late
		written += float64(r.written)
		size += float64(r.cacheSize)
	}
	k := float64(len(runs))
	b.ReportMetric(float64(n)*k/took.Seconds(), "purchases/s")
	b.ReportMetric(early/k, "first-fifth-/s")
	b.ReportMetric(late/k, "last-fifth-/s")
	b.ReportMetric(written/size, "written/cache")
	b.ReportMetric(float64(cpu.Microseconds())/(float64(n)*k), "cpu-µs/purchase")
	if pulled > 0 {
		b.ReportMetric(100*waited/pulled, "writer-waited-%")
	}
}

// BenchmarkIncrementalSync100On1M pulls 100 new purchases into a cache that
// already holds a million. The cache is a checkpointed copy and is synced
// once before the timed part, as on a desk that has been running.
func BenchmarkIncrementalSync100On1M(b *testing.B) {
	src := filepath.Join(bigCacheDir(b), desksync.CacheFile)
	dir := b.TempDir()
	if err := copyFile(filepath.Join(dir, desksync.CacheFile), src); err != nil {
		b.Fatal(err)
	}
	// The copy's cursor is at the head of the million-purchase shop; this
	// shop is a fresh one, whose feed starts again from the beginning.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("UPDATE meta SET value = '0' WHERE key = 'cursor'"); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	srv := shoptest.Start(b)
	ctx := context.Background()
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: dir, Timeout: 30 * time.Second, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(ctx); err != nil { // The demo data: the cursor reaches the shop's head.
		b.Fatal(err)
	}
	var lat benchlat.Sample
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
		lat.Since(start)
		b.StopTimer()
		if _, err := d.Cached(ctx, codes[len(codes)-1]); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	lat.Report(b, "")
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

// BenchmarkScanDuringSync is a scan (Desk.Lookup online: the shop's
// answer, and its copy kept in the cache) every 20 ms while the desk runs a
// first sync of 100,000 purchases and then a catch-up of 20,000 new ones.
// The codes scanned are the newest, which the feed has not brought yet, so
// every scan writes a copy to the cache while the feed writes too. The scan
// must never wait for the sync: first- and catchup- p50 and p99 (p99 only
// from 1,000 samples on; max and the sample count always) are what staff
// would see. The op is the whole scenario.
//
// The desk's "scan timing" debug lines (Desk.traceScan) split each scan
// into -shop- (the HTTP round trip), -keep- (its copy into the cache) and
// -overlay- (the outbox read); -wake- is how late the scanning goroutine
// ran after its ticker fired (only when the scan before had ended by
// then), which is the machine's and Go scheduler's delay alone. The shop
// with 100,000 purchases is seeded once under os.TempDir and copied for
// each iteration.
func BenchmarkScanDuringSync(b *testing.B) {
	const n, catchUp = 100_000, 20_000
	const every = 20 * time.Millisecond
	ctx := context.Background()
	seeded := seededShopDB(b, "100k", n)
	bulk := shopCodes(b, seeded)
	first, catch := newScanPhase(), newScanPhase()
	trace := &scanTrace{}
	logger := slog.New(trace)
	// With SKRANKE_BENCH_PROBE set, each scan is followed by the same
	// request to the shop without the desk's cache (Client.Purchase), to
	// tell the shop's round trip from what the desk adds.
	probe := os.Getenv("SKRANKE_BENCH_PROBE") != ""
	for b.Loop() {
		b.StopTimer()
		shopDB := filepath.Join(b.TempDir(), "shop.db")
		if err := copyFile(shopDB, seeded); err != nil {
			b.Fatal(err)
		}
		srv := shoptest.Start(b, shoptest.WithDBPath(shopDB))
		d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: b.TempDir(), Timeout: time.Minute, Logger: logger})
		if err != nil {
			b.Fatal(err)
		}
		scanWhile := func(ph *scanPhase, codes []string, work func() error) {
			trace.set(ph)
			defer trace.set(nil)
			done := make(chan error, 1)
			go func() { done <- work() }()
			tick := time.NewTicker(every)
			defer tick.Stop()
			var ended time.Time
			for i := 0; ; i++ {
				var fired time.Time
				select {
				case err := <-done:
					if err != nil {
						b.Fatal(err)
					}
					return
				case fired = <-tick.C:
				}
				if fired.After(ended) {
					ph.wake.Since(fired)
				}
				code := codes[len(codes)-1-i%len(codes)]
				start := time.Now()
				l, err := d.Lookup(ctx, code)
				ph.scan.Since(start)
				ended = time.Now()
				if err != nil || l.Purchase.Code != code || l.FromCache {
					b.Fatalf("scan %s: %v", code, err)
				}
				if probe {
					start := time.Now()
					_, _, err := d.Client().Purchase(ctx, code)
					ph.probe.Since(start)
					if err != nil {
						b.Fatalf("ask the shop for %s: %v", code, err)
					}
				}
			}
		}
		b.StartTimer()
		scanWhile(first, bulk, func() error { return d.Sync(ctx) })
		b.StopTimer()
		news, err := srv.DB.SeedBulk(ctx, shop.DemoCentreID, catchUp)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		scanWhile(catch, news, func() error { return d.Sync(ctx) })
		b.StopTimer()
		d.Close()
		srv.Close()
		b.StartTimer()
	}
	first.report(b, "first-")
	catch.report(b, "catchup-")
	// SKRANKE_BENCH_SAMPLES names a folder to which every scan's latency
	// is appended (µs, one a line, a file per phase), so that runs made in
	// turns can be pooled for percentiles from more samples.
	if dir := os.Getenv("SKRANKE_BENCH_SAMPLES"); dir != "" {
		first.save(b, filepath.Join(dir, "first-scan.txt"))
		catch.save(b, filepath.Join(dir, "catchup-scan.txt"))
	}
}

// save appends the phase's scan latencies to the file at path.
func (ph *scanPhase) save(b *testing.B, path string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, d := range ph.scan {
		fmt.Fprintf(w, "%d\n", d.Microseconds())
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		b.Fatal(err)
	}
}

// scanPhase is what BenchmarkScanDuringSync measured during one phase.
type scanPhase struct {
	scan, wake, probe, shop, keep, overlay benchlat.Sample
}

func newScanPhase() *scanPhase { return &scanPhase{} }

func (ph *scanPhase) report(b *testing.B, prefix string) {
	ph.scan.Report(b, prefix)
	ph.wake.Report(b, prefix+"wake-")
	ph.shop.Report(b, prefix+"shop-")
	ph.keep.Report(b, prefix+"keep-")
	ph.overlay.Report(b, prefix+"overlay-")
	ph.probe.Report(b, prefix+"probe-")
}

// scanTrace is a slog handler that files the desk's "scan timing" debug
// lines into the scanPhase set, and drops every other line.
type scanTrace struct {
	mu sync.Mutex
	ph *scanPhase
}

func (t *scanTrace) set(ph *scanPhase) {
	t.mu.Lock()
	t.ph = ph
	t.mu.Unlock()
}

func (t *scanTrace) Enabled(context.Context, slog.Level) bool { return true }

func (t *scanTrace) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "scan timing" {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ph == nil {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "shop":
			t.ph.shop.Add(a.Value.Duration())
		case "keep":
			t.ph.keep.Add(a.Value.Duration())
		case "overlay":
			t.ph.overlay.Add(a.Value.Duration())
		}
		return true
	})
	return nil
}

func (t *scanTrace) WithAttrs([]slog.Attr) slog.Handler { return t }
func (t *scanTrace) WithGroup(string) slog.Handler      { return t }

// shopCodes returns the codes of the shop database at path in feed order.
func shopCodes(tb testing.TB, path string) []string {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT code FROM purchases ORDER BY seq")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			tb.Fatal(err)
		}
		codes = append(codes, c)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return codes
}

// statusDir returns a data directory whose outbox holds 10,000 deliveries
// made offline, built once per schema like bigCacheDir.
func statusDir(b *testing.B) string {
	b.Helper()
	const n = 10_000
	dir := filepath.Join(os.TempDir(), "skranke-bench-outbox-10k-"+schemaKey(b))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	ctx := context.Background()
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: deadAddr(b), DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	ps := make([]*skranke.Purchase, n)
	for i := range ps {
		ps[i] = testPurchase(skranke.NewReference(), int64(i+1))
	}
	if err := d.CacheForTest(ctx, ps, nil, nil); err != nil {
		b.Fatal(err)
	}
	staff := skranke.Staff{ID: "s1", Name: "Ola", Role: skranke.RoleStaff}
	for _, p := range ps {
		if _, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: staff,
			Lines: []skranke.DeliveredLine{{LineID: "l1", Quantity: 1}}}); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	checkpointFile(b, filepath.Join(dir, desksync.CacheFile))
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkStatus10kPending is Desk.Status, which the app calls on every
// notification, with 10,000 deliveries waiting in the outbox.
func BenchmarkStatus10kPending(b *testing.B) {
	src := statusDir(b)
	dir := b.TempDir()
	if err := copyFile(filepath.Join(dir, desksync.CacheFile), filepath.Join(src, desksync.CacheFile)); err != nil {
		b.Fatal(err)
	}
	d, err := desksync.Open(context.Background(), desksync.Config{BaseURL: deadAddr(b), DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for b.Loop() {
		if st := d.Status(); st.Pending != 10_000 {
			b.Fatalf("pending %d, want 10000", st.Pending)
		}
	}
}

// BenchmarkDrain1000 sends 1,000 deliveries made offline, each with its
// signature, when the shop is back: Desk.Sync drains the outbox in order.
// A watcher calls Status on every notification, as the app's status line
// does. deliveries/s is the rate the app can drain at, at best.
func BenchmarkDrain1000(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		srv := shoptest.Start(b)
		codes, err := srv.DB.SeedBulk(ctx, shop.DemoCentreID, n)
		if err != nil {
			b.Fatal(err)
		}
		d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: b.TempDir(), Timeout: time.Minute, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		srv.Stop()
		staff := kari
		sig := signaturePNG(b)
		queued := 0
		for _, code := range codes {
			l, err := d.Cached(ctx, code)
			if err != nil {
				b.Fatal(err)
			}
			if !l.Purchase.Status.Deliverable() {
				continue
			}
			if _, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: code, Staff: staff, Signature: sig}); err != nil {
				b.Fatal(err)
			}
			queued++
		}
		srv.Restart()
		ch, cancel := d.Subscribe()
		stop := make(chan struct{})
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			for {
				select {
				case <-stop:
					return
				case <-ch:
					d.Status()
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		err = d.Sync(ctx)
		took := time.Since(start)
		b.StopTimer()
		close(stop)
		<-watched
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if st := d.Status(); st.Pending != 0 || st.Conflicts != 0 {
			cs, _ := d.Conflicts(ctx)
			b.Fatalf("after the drain: %+v; first conflict: %+v", st, cs[0])
		}
		b.ReportMetric(float64(queued)/took.Seconds(), "deliveries/s")
		d.Close()
		srv.Close()
		b.StartTimer()
	}
}
