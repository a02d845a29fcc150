//go:build benchdesk

package main_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // The cache's codes, read-only.

	"github.com/skranke/skranke/cmd/shopd/shop"
	desksync "github.com/skranke/skranke/sync"
)

// TestRealDeskBench is `make bench-desk`: the real binaries, a shopd
// holding BENCH_DESK_PURCHASES bulk purchases (default 1,000,000) and the
// desk under Xvfb, measured from outside as a desk would be watched: start
// to window shown, the first sync's rate per 100,000 rows (its "changes
// feed progress" log lines), the bytes the desk process wrote
// (/proc/PID/io) against the cache it left, then idle CPU and resident
// memory with everything cached, and the same after a restart, when it
// also logs in and scans BENCH_DESK_SCANS codes (default 2,000) as a
// keyboard-wedge scanner, timing each from its Enter to the frame painted
// with the purchase (the desk's "scan steps" line, which it logs once that
// frame is on screen, with the scan's steps), and to the "purchase shown"
// line. Then it scans during first syncs (BENCH_DESK_SYNC_ROUNDS, default
// 1, each a desk on an empty cache: while it pulls, and while it indexes
// after) and during catch-ups (BENCH_DESK_CATCHUP_ROUNDS, default 10, of
// BENCH_DESK_CATCHUP changes each, default 20,000, added to a copy of the
// shop's database). It prints its figures as benchmark lines for
// benchstat. Behind the benchdesk build tag: it takes minutes and is no
// test of correctness.
//
// BENCH_DESK_SHOP_DB names a shop database seeded before (or where to keep
// the one seeded) and BENCH_DESK_DATA a desk data directory synced from it
// before (its cache is copied, and the first start and sync are skipped;
// or, when it holds none, where to keep the one this run syncs and
// indexes); BENCH_DESK_BIN a desk binary to measure instead of this tree's,
// so that two versions meet the same harness; BENCH_DESK_LOG a directory
// for the desk's logs.
func TestRealDeskBench(t *testing.T) {
	requireTools(t, "Xvfb", "xdotool")
	n := 1_000_000
	if v := os.Getenv("BENCH_DESK_PURCHASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("BENCH_DESK_PURCHASES: %v", err)
		}
	}
	envInt := func(name string, def int) int {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n
	}
	scans := envInt("BENCH_DESK_SCANS", 2000)
	syncRounds := envInt("BENCH_DESK_SYNC_ROUNDS", 1)
	catchUp := envInt("BENCH_DESK_CATCHUP", 20_000)
	catchUpRounds := envInt("BENCH_DESK_CATCHUP_ROUNDS", 10)
	if catchUp <= 0 {
		catchUpRounds = 0
	}
	skrankeBin, shopdBin := buildBinaries(t)
	if b := os.Getenv("BENCH_DESK_BIN"); b != "" {
		skrankeBin = b
	}
	dir := t.TempDir()
	ctx := context.Background()

	// BENCH_DESK_SHOP_DB: a shop database seeded before (the sync
	// benchmarks leave one of a million purchases under $TMPDIR), to skip
	// minutes of seeding; shopd only reads it here.
	shopDB := os.Getenv("BENCH_DESK_SHOP_DB")
	if shopDB == "" {
		shopDB = filepath.Join(dir, "shop.db")
	}
	if _, err := os.Stat(shopDB); errors.Is(err, os.ErrNotExist) {
		// Seeded here, and kept when BENCH_DESK_SHOP_DB named it.
		seeded := time.Now()
		db, err := shop.Open(ctx, shopDB, shop.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := shop.SeedDemo(ctx, db, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SeedBulk(ctx, shop.DemoCentreID, n); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("shop seeded with %d purchases in %v", n, time.Since(seeded).Round(time.Second))
	}
	if catchUpRounds > 0 {
		// The catch-ups add purchases to the shop: to a copy, so that the
		// shop named keeps what it had.
		shopDB = copyDB(t, shopDB, filepath.Join(dir, "shop-copy.db"))
	}
	shopURL := startShopd(t, shopdBin, shopDB)
	disp := startXvfb(t, 1280, 1024)
	data := filepath.Join(dir, "desk")

	var results []string
	metric := func(name string, v float64, unit string) {
		results = append(results, fmt.Sprintf("%.6g %s", v, unit))
		t.Logf("%s: %.6g %s (load %s)", name, v, unit, loadAvg())
	}

	// BENCH_DESK_DATA: a desk data directory synced before, or, when it
	// holds no cache yet, where this run's first sync is kept for the next.
	cached := os.Getenv("BENCH_DESK_DATA")
	if cached != "" && fileSize(filepath.Join(cached, desksync.CacheFile)) > 0 {
		copyCache(t, cached, data)
	} else {
		firstStart(t, skrankeBin, disp, shopURL, data, dir, n, metric, cached != "")
		if cached != "" {
			copyCache(t, data, cached)
		}
	}

	// A start with everything cached.
	p, logs := startDesk(t, skrankeBin, disp, shopURL, data, dir)
	shown, ready := startTimes(t, logs)
	metric("start to window shown, full cache", shown.Seconds()*1e3, "restart-ms")
	metric("start to ready (window shown, staff list loaded), full cache", ready.Seconds()*1e3, "ready-ms")
	metric("CPU time of the desk when the test saw it ready", cpuTicks(t, p.Pid)*10, "ready-cpu-ms")
	idle, rss, hwm := idleAndRSS(t, p.Pid)
	metric("idle CPU with the cache full, login screen", idle, "restart-idle-%core")
	metric("resident memory with the cache full", rss, "restart-rss-MB")
	metric("peak resident memory with the cache full", hwm, "restart-hwm-MB")
	metric("of which Mesa's software renderer (Xvfb)", softwareGLMB(t, p.Pid), "restart-softgl-MB")

	// Scans, as a keyboard-wedge scanner types them.
	codes := cachedCodes(t, data, scans)
	logIn(t, disp, logs)
	scanLatencies(t, disp, logs, codes, nil).report(metric, "")
	idle, rss, hwm = idleAndRSS(t, p.Pid)
	metric("idle CPU on the scan screen after the scans", idle, "scan-idle-%core")
	metric("resident memory after the scans", rss, "scan-rss-MB")
	metric("peak resident memory after the scans", hwm, "scan-hwm-MB")
	metric("of which Mesa's software renderer (Xvfb)", softwareGLMB(t, p.Pid), "scan-softgl-MB")
	stopDesk(t, p)

	// Scans during first syncs, each on an empty cache.
	if syncRounds > 0 {
		pull, index := &scanRun{}, &scanRun{}
		for round := range syncRounds {
			p, i := syncScans(t, skrankeBin, disp, shopURL, shopDB, filepath.Join(dir, fmt.Sprintf("sync-%d", round)), dir, round)
			pull.add(p)
			index.add(i)
		}
		pull.report(metric, "sync-")
		index.report(metric, "syncindex-")
	}

	// Scans during catch-ups of catchUp changes, on the desk with the
	// cache full.
	if catchUpRounds > 0 {
		catchUpScans(t, skrankeBin, disp, shopURL, shopDB, data, dir, catchUp, catchUpRounds).report(metric, "catchup-")
	}

	fmt.Printf("BenchmarkRealDesk/purchases=%d \t1\t%s\n", n, strings.Join(results, "\t"))
}

// syncScans starts a desk on the empty data directory data, logs in as
// soon as the staff list is there, and scans codes of the shop's
// purchases (most not yet cached) while the desk's first sync pulls the
// shop's purchases, and then, for at most as many scans again, while it
// indexes what it pulled. It returns the scans during the pull and during
// the indexing after it.
func syncScans(t *testing.T, bin string, disp *display, shopURL, shopDB, data, dir string, round int) (pull, index *scanRun) {
	t.Helper()
	p, logs := startDesk(t, bin, disp, shopURL, data, dir)
	defer stopDesk(t, p)
	startTimes(t, logs) // The staff list is there: staff can log in.
	logIn(t, disp, logs)
	var pulled atomic.Pointer[string]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if line, err := logs.firstLine(ctx, "changes feed pulled"); err == nil {
			pulled.Store(&line)
		}
	}()
	codes := shopCodes(t, shopDB, 5000, uint64(round))
	run := scanLatencies(t, disp, logs, codes, func() bool { return pulled.Load() == nil })
	if pulled.Load() == nil {
		t.Fatalf("the first sync did not end within %d scans", len(codes))
	}
	end := lineTime(t, *pulled.Load())
	pull = run.within(p.start, end)
	t.Logf("first sync %d: %d scans while it pulled, %s", round+1, len(pull.recs), *pulled.Load())

	cache, err := sql.Open("sqlite", "file:"+filepath.Join(data, desksync.CacheFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	indexing := func() bool {
		var left bool
		if err := cache.QueryRow("SELECT EXISTS(" + unindexedRows(t, cache) + ")").Scan(&left); err != nil {
			t.Fatal(err)
		}
		return left
	}
	n := 0
	index = scanLatencies(t, disp, logs, codes[len(run.recs):], func() bool { n++; return n <= len(run.recs)+1 && indexing() })
	t.Logf("first sync %d: %d scans while it indexed", round+1, len(index.recs))
	return pull, index
}

// catchUpScans starts the desk on the synced data directory data, logs in,
// and rounds times adds changes purchases to the shop (as another shopd
// would: the shop's database is shared) and scans, half of them the new
// purchases (not yet cached) and half cached ones, until the desk's sync
// has pulled them. It returns the scans made while a pull ran.
func catchUpScans(t *testing.T, bin string, disp *display, shopURL, shopDB, data, dir string, changes, rounds int) *scanRun {
	t.Helper()
	p, logs := startDesk(t, bin, disp, shopURL, data, dir)
	defer stopDesk(t, p)
	startTimes(t, logs)
	logIn(t, disp, logs)
	old := cachedCodes(t, data, 5000)
	during := &scanRun{}
	for round := range rounds {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		db, err := shop.Open(ctx, shopDB, shop.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		from := len(logs.String())
		news, err := db.SeedBulk(ctx, shop.DemoCentreID, changes)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		var pulled atomic.Pointer[string]
		go func() {
			if line, err := logs.lineFrom(ctx, from, "changes feed pulled"); err == nil {
				pulled.Store(&line)
			}
		}()
		var codes []string
		for i, c := range news {
			codes = append(codes, c, old[(round*97+i)%len(old)])
		}
		run := scanLatencies(t, disp, logs, codes, func() bool { return pulled.Load() == nil })
		cancel()
		if pulled.Load() == nil {
			t.Fatalf("catch-up %d did not end within %d scans", round+1, len(codes))
		}
		line := *pulled.Load()
		end := lineTime(t, line)
		start := end.Add(-time.Duration(attr(t, line, "seconds") * float64(time.Second)))
		in := run.within(start, end)
		t.Logf("catch-up %d: %d of %d scans while it pulled, %s", round+1, len(in.recs), len(run.recs), line)
		during.add(in)
		during.missed += run.missed
	}
	return during
}

// copyDB copies the SQLite database at from (with its WAL) to to, and
// returns to.
func copyDB(t *testing.T, from, to string) string {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(from + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.OpenFile(to+suffix, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// shopCodes returns n codes of the shop's purchases at path, spread over
// them, in an order of their own for each seed.
func shopCodes(t *testing.T, path string, n int, seed uint64) []string {
	t.Helper()
	codes := codesOf(t, path, n)
	rand.New(rand.NewPCG(seed, 99)).Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	return codes
}

// firstStart starts the desk on an empty cache and measures its first sync.
// With indexed, it also waits for the desk to index what it pulled, so
// that the cache it leaves is one a desk at work has.
func firstStart(t *testing.T, bin string, disp *display, shopURL, data, dir string, n int, metric func(string, float64, string), indexed bool) {
	t.Helper()
	p, logs := startDesk(t, bin, disp, shopURL, data, dir)
	shown, _ := startTimes(t, logs)
	metric("start to window shown, empty cache", shown.Seconds()*1e3, "start-ms")
	synced := waitLine(t, logs, 60*time.Minute, "changes feed pulled")
	t.Logf("first sync done %v after the start", synced.Round(time.Millisecond))
	pulled := waitLineText(t, logs, "changes feed pulled")
	rate := attr(t, pulled, "per_second")
	rows := attr(t, pulled, "rows")
	if int(rows) < n {
		t.Fatalf("the first sync pulled %v rows, want %d: %s", rows, n, pulled)
	}
	metric("first sync rate", rate, "purchases/s")
	var progress []float64
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "changes feed progress") {
			progress = append(progress, attr(t, l, "per_second"))
		}
	}
	if len(progress) >= 2 {
		lo, hi := progress[0], progress[0]
		for _, v := range progress {
			lo, hi = min(lo, v), max(hi, v)
		}
		t.Logf("rate per 100,000 rows: %v", progress)
		metric("first 100k", progress[0], "first-100k-/s")
		metric("last 100k", progress[len(progress)-1], "last-100k-/s")
		metric("slowest 100k", lo, "slowest-100k-/s")
	}
	idle, rss, _ := idleAndRSS(t, p.Pid)
	metric("idle CPU after the first sync", idle, "idle-%core")
	metric("resident memory after the first sync", rss, "rss-MB")
	// After the idle window, so that the checkpoint the pull asked for at
	// its end is counted too.
	written := procField(t, p.Pid, "io", "write_bytes:")
	size := fileSize(filepath.Join(data, "desk.db")) + fileSize(filepath.Join(data, "desk.db-wal"))
	metric("bytes written by the desk per byte of cache", written/float64(size), "written/cache")
	metric("cache size", float64(size)/(1<<20), "cache-MB")
	if indexed {
		waitIndexed(t, data)
		// From the end of the pull, in the desk's clock.
		took := time.Since(lineTime(t, pulled))
		metric("indexing after the first sync, to the end of its merge", took.Seconds(), "index-s")
		// The whole first sync, the pull and the indexing that follows
		// it, against the cache it leaves (issue 16 item 2).
		written := procField(t, p.Pid, "io", "write_bytes:")
		size := fileSize(filepath.Join(data, "desk.db")) + fileSize(filepath.Join(data, "desk.db-wal"))
		metric("bytes written by the desk per byte of cache, pull and indexing", written/float64(size), "indexed-written/cache")
		// Of those, what never reached the disk: pages of files deleted
		// or truncated before they were written back (the sorts' temporary
		// files, the WAL cut back), as the kernel counts them.
		cancelled := procField(t, p.Pid, "io", "cancelled_write_bytes:")
		metric("the same, less writes cancelled before they reached the disk", (written-cancelled)/float64(size), "indexed-disk-written/cache")
		metric("cache size, indexed", float64(size)/(1<<20), "indexed-cache-MB")
		metric("peak resident memory by the end of the indexing", procField(t, p.Pid, "status", "VmHWM:")/1024, "indexed-hwm-MB")
	}
	stopDesk(t, p)
}

// waitIndexed waits until the desk has indexed every purchase in the cache
// of the data directory and ended the bulk indexing that follows a first
// sync (the search index merged, its automerge set back), reading it the
// way the desk lets others: read-only. It returns how long that took.
func waitIndexed(t *testing.T, data string) time.Duration {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, desksync.CacheFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	started := time.Now()
	for {
		var left int
		var bulk bool
		if err := db.QueryRow("SELECT (SELECT count(*) FROM ("+unindexedRows(t, db)+")), EXISTS (SELECT 1 FROM purchase_search_config WHERE k = 'automerge' AND v = 0)").Scan(&left, &bulk); err != nil {
			t.Fatal(err)
		}
		if left == 0 && !bulk {
			took := time.Since(started)
			t.Logf("the desk indexed the cache and merged its search index %v after its first sync", took.Round(time.Second))
			return took
		}
		if time.Since(started) > time.Hour {
			t.Fatalf("%d purchases still unindexed after an hour", left)
		}
		time.Sleep(time.Second) // Polling a file another process writes.
	}
}

// unindexedRows returns a query of the purchases the desk has filed but
// not indexed yet in the cache db, as its schema keeps them: in table
// unindexed from schema version 14 on, flagged indexed = 0 before (a desk
// binary of an older version, BENCH_DESK_BIN).
func unindexedRows(t *testing.T, db *sql.DB) string {
	t.Helper()
	var queue bool
	if err := db.QueryRow("SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'unindexed')").Scan(&queue); err != nil {
		t.Fatal(err)
	}
	if queue {
		return "SELECT purchase FROM unindexed"
	}
	return "SELECT rowid FROM purchases WHERE indexed = 0"
}

// copyCache copies the cache of the data directory from into a new data
// directory to, so that the desk measured never changes the original.
func copyCache(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(filepath.Join(from, desksync.CacheFile+suffix))
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.OpenFile(filepath.Join(to, desksync.CacheFile+suffix), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// cachedCodes returns n codes of purchases in the cache of the data
// directory, spread over the whole cache, in random order.
func cachedCodes(t *testing.T, data string, n int) []string {
	t.Helper()
	codes := codesOf(t, filepath.Join(data, desksync.CacheFile), n)
	rand.New(rand.NewPCG(7, 8)).Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	return codes
}

// codesOf returns n codes of the purchases table of the SQLite database
// at path (the desk's cache or the shop's), spread over the whole table.
func codesOf(t *testing.T, path string, n int) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var total int
	if err := db.QueryRow("SELECT count(*) FROM purchases").Scan(&total); err != nil {
		t.Fatal(err)
	}
	step := max(total/n, 1)
	rows, err := db.Query("SELECT code FROM purchases WHERE rowid % ? = 0 LIMIT ?", step, n)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(codes) == 0 {
		t.Fatalf("no codes in %s", path)
	}
	return codes
}

// startTimes returns how long after the start the desk showed its window,
// and was ready: the window shown and the staff list loaded, so that staff
// can log in and scan. Both come from the time stamps of its log lines.
func startTimes(t *testing.T, l *timedLog) (shown, ready time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, err := l.firstLine(ctx, "window shown")
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.firstLine(ctx, "staff list loaded")
	if err != nil {
		t.Fatal(err)
	}
	shown = lineTime(t, w).Sub(l.start)
	return shown, max(shown, lineTime(t, s).Sub(l.start))
}

// logIn logs the first staff member on the list in with the PIN typed by
// hand, once the desk's window has the keyboard.
func logIn(t *testing.T, disp *display, l *timedLog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	win, err := disp.xdotool(ctx, "search", "--sync", "--onlyvisible", "--name", "Skranke")
	if err != nil {
		t.Fatal(err)
	}
	win = strings.Fields(win)[0]
	if _, err := disp.xdotool(ctx, "windowfocus", "--sync", win); err != nil {
		t.Fatal(err)
	}
	for try := 1; ; try++ {
		l.mark()
		// A key every 150 ms, as a person types: at a scanner's pace the
		// PIN would be taken for a scan.
		if _, err := disp.xdotool(ctx, "type", "--delay", "150", shop.DemoManagerPIN); err != nil {
			t.Fatal(err)
		}
		if _, err := disp.xdotool(ctx, "key", "Return"); err != nil {
			t.Fatal(err)
		}
		line, err := l.waitAny(ctx, "screen=scan", "login refused")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(line, "screen shown") {
			return
		}
		// On a loaded machine Xvfb now and then loses a key of xdotool's.
		if try == 3 {
			t.Fatalf("the PIN was refused three times: %s", line)
		}
		t.Logf("a key of the PIN was lost on the way: %s", line)
	}
}

// scanRec is one scan as scanLatencies measured it, in milliseconds.
type scanRec struct {
	at time.Time // The desk's "scan" line.
	// e2e: from the end of the xdotool run that sent the Enter to the
	// desk's "purchase shown" line, as the test read it.
	e2e float64
	// painted: from the same Enter to the frame painted with the purchase
	// (the time stamp of the desk's "scan steps" line, which it logs once
	// that frame is on screen); -1 for a desk that does not log it.
	painted float64
	// inApp: from the desk's "scan" line to its "purchase shown" line, by
	// their time stamps (the desk's own work, to the millisecond).
	inApp float64
	steps map[string]float64 // The "scan steps" line's parts (*_ms), by name.
	from  string             // Where the purchase shown first came from: "cache" or "shop".
}

// scanRun is what scanLatencies measured.
type scanRun struct {
	recs   []scanRec
	missed int // Scans typed again because a key was lost.
}

// stepNames are the parts of the desk's "scan steps" line, in order.
var stepNames = []string{"before", "lookup", "queued", "widgets", "record", "paint", "total"}

// within returns the scans whose "scan" line came between from and to.
func (r *scanRun) within(from, to time.Time) *scanRun {
	out := &scanRun{}
	for _, x := range r.recs {
		if !x.at.Before(from) && !x.at.After(to) {
			out.recs = append(out.recs, x)
		}
	}
	return out
}

// add appends the scans of o.
func (r *scanRun) add(o *scanRun) {
	r.recs = append(r.recs, o.recs...)
	r.missed += o.missed
}

// report gives the run's figures to metric, their names prefixed.
func (r *scanRun) report(metric func(string, float64, string), prefix string) {
	if len(r.recs) == 0 {
		metric("scans timed", 0, prefix+"scans")
		return
	}
	col := func(f func(scanRec) float64) []float64 {
		var xs []float64
		for _, x := range r.recs {
			if v := f(x); v >= 0 {
				xs = append(xs, v)
			}
		}
		return xs
	}
	three := func(what, unit string, xs []float64) {
		if len(xs) == 0 {
			return
		}
		metric(what+", p50", percentile(xs, 50), prefix+unit+"-p50-ms")
		metric(what+", p99", percentile(xs, 99), prefix+unit+"-p99-ms")
		metric(what+", max", percentile(xs, 100), prefix+unit+"-max-ms")
	}
	three("scan to purchase shown", "scan", col(func(x scanRec) float64 { return x.e2e }))
	three("scan to purchase painted", "painted", col(func(x scanRec) float64 { return x.painted }))
	inApp := col(func(x scanRec) float64 { return x.inApp })
	metric("scan to purchase shown in the app's log, p50", percentile(inApp, 50), prefix+"scan-app-p50-ms")
	metric("scan to purchase shown in the app's log, p99", percentile(inApp, 99), prefix+"scan-app-p99-ms")
	for _, n := range stepNames {
		xs := col(func(x scanRec) float64 {
			if v, ok := x.steps[n]; ok {
				return v
			}
			return -1
		})
		if len(xs) > 0 {
			metric("step "+n+" (scan steps line), p50", percentile(xs, 50), prefix+n+"-p50-ms")
			metric("step "+n+" (scan steps line), p99", percentile(xs, 99), prefix+n+"-p99-ms")
		}
	}
	for _, from := range []string{"cache", "shop"} {
		n := 0
		for _, x := range r.recs {
			if x.from == from {
				n++
			}
		}
		metric("purchases shown first from the "+from, float64(n), prefix+"from-"+from)
	}
	metric("scans timed", float64(len(r.recs)), prefix+"scans")
	metric("scans typed again, a key lost by Xvfb", float64(r.missed), prefix+"scans-retyped")
}

// scanLatencies scans every code as a keyboard-wedge scanner does (keys 4
// ms apart, then Enter) and returns what it measured (see scanRec). It
// ends early when more reports true, checked before each scan.
func scanLatencies(t *testing.T, disp *display, l *timedLog, codes []string, more func() bool) *scanRun {
	t.Helper()
	r := &scanRun{}
	stepsLogged := true // Until a desk shows it does not log them.
	for i := 0; i < len(codes); i++ {
		if more != nil && !more() {
			return r
		}
		code := codes[i]
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		l.mark()
		// Enter from an xdotool run of its own: `type` takes all its
		// arguments as text, and types a newline as a key Fyne ignores.
		if _, err := disp.xdotool(ctx, "type", "--delay", "4", code); err != nil {
			t.Fatal(err)
		}
		if _, err := disp.xdotool(ctx, "key", "Return"); err != nil {
			t.Fatal(err)
		}
		sent := time.Now()
		scan, err := l.waitAny(ctx, "msg=scan code="+code+" ", `msg="invalid scan"`, "msg=scan code=")
		if err != nil {
			t.Fatalf("scan %d: %v", i+1, err)
		}
		if !strings.Contains(scan, "msg=scan code="+code+" ") {
			// On a loaded machine Xvfb now and then loses a key of
			// xdotool's: the desk rightly refuses the code. Counted,
			// and scanned again.
			cancel()
			r.missed++
			t.Logf("scan %d: a key was lost on the way: %s", i+1, scan)
			if r.missed > len(codes)/10+5 {
				t.Fatalf("%d scans lost keys", r.missed)
			}
			i--
			continue
		}
		shownLine, err := l.waitFor(ctx, "purchase shown", "code="+code)
		if err != nil {
			cancel()
			t.Fatalf("scan %d: %v", i+1, err)
		}
		rec := scanRec{at: lineTime(t, scan), e2e: float64(time.Since(sent).Microseconds()) / 1e3, painted: -1,
			inApp: float64(lineTime(t, shownLine).Sub(lineTime(t, scan)).Microseconds()) / 1e3}
		if stepsLogged {
			// Logged when the frame with the purchase is painted; a desk
			// built before the line existed never logs it.
			wait, cancelWait := ctx, context.CancelFunc(func() {})
			if len(r.recs) == 0 {
				wait, cancelWait = context.WithTimeout(ctx, 10*time.Second)
			}
			line, err := l.waitFor(wait, `msg="scan steps"`, "code="+code)
			cancelWait()
			switch {
			case err != nil && len(r.recs) == 0:
				t.Logf("the desk logs no scan steps: painted and per-step figures left out")
				stepsLogged = false
			case err != nil:
				cancel()
				t.Fatalf("scan %d: %v", i+1, err)
			default:
				rec.painted = float64(lineTime(t, line).Sub(sent).Microseconds()) / 1e3
				rec.steps = map[string]float64{}
				for _, n := range stepNames {
					if strings.Contains(line, " "+n+"_ms=") {
						rec.steps[n] = attr(t, line, n+"_ms")
					}
				}
				if m := regexp.MustCompile(`\bfrom=(\w+)`).FindStringSubmatch(line); m != nil {
					rec.from = m[1]
				}
			}
		}
		cancel()
		r.recs = append(r.recs, rec)
		if (i+1)%500 == 0 {
			t.Logf("%d scans, load %s", i+1, loadAvg())
		}
	}
	return r
}

// waitAny is waitFor for the first line that holds any one of subs.
func (l *timedLog) waitAny(ctx context.Context, subs ...string) (string, error) {
	return l.waitMatch(ctx, fmt.Sprintf("no line with any of %q", subs), func(line string) bool {
		for _, s := range subs {
			if strings.Contains(line, s) {
				return true
			}
		}
		return false
	})
}

// percentile returns the p-th percentile of xs by nearest rank.
func percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// lineTime reads the time stamp of a slog text line.
func lineTime(t *testing.T, line string) time.Time {
	t.Helper()
	m := regexp.MustCompile(`\btime=(\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no time in %q", line)
	}
	ts, err := time.Parse(time.RFC3339Nano, m[1])
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// loadAvg returns the machine's load averages over 1, 5 and 15 minutes.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

type deskProc struct {
	*exec.Cmd
	Pid   int
	start time.Time
}

func startDesk(t *testing.T, bin string, disp *display, shopURL, data, dir string) (*deskProc, *timedLog) {
	t.Helper()
	cmd := exec.Command(bin, "-shop", shopURL, "-data", data,
		"-printer", "file://"+filepath.Join(dir, "printer.bin"), "-profile", "generic-80", "-lang", "en")
	logs := &timedLog{logWatcher: newLogWatcher()}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "DISPLAY="+disp.name, "SKRANKE_CONFIG_DIR="+filepath.Join(dir, "config"), "LANG=en_US.UTF-8",
		"SKRANKE_TOKEN="+shop.DemoDeskToken)
	logs.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start skranke: %v", err)
	}
	p := &deskProc{Cmd: cmd, Pid: cmd.Process.Pid, start: logs.start}
	t.Cleanup(func() { stopDesk(t, p) })
	if dir := os.Getenv("BENCH_DESK_LOG"); dir != "" {
		// The desk's whole log, a file per start, for what the figures
		// do not say.
		t.Cleanup(func() {
			name := filepath.Join(dir, fmt.Sprintf("desk-%s-%d.log", logs.start.Format("150405"), p.Pid))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Error(err)
			}
			if err := os.WriteFile(name, []byte(logs.String()), 0o644); err != nil {
				t.Error(err)
			}
		})
	}
	return p, logs
}

func stopDesk(t *testing.T, p *deskProc) {
	if p.ProcessState != nil {
		return
	}
	_ = p.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.Process.Kill()
		<-done
	}
}

// timedLog is a logWatcher that knows when the process started.
type timedLog struct {
	*logWatcher
	start time.Time
}

// waitLine waits for a line holding every one of subs and returns how long
// after the start it came.
func waitLine(t *testing.T, l *timedLog, within time.Duration, subs ...string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if _, err := l.waitFor(ctx, subs...); err != nil {
		t.Fatal(err)
	}
	return time.Since(l.start)
}

// waitLineText returns the last line so far that holds sub.
func waitLineText(t *testing.T, l *timedLog, sub string) string {
	t.Helper()
	var last string
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, sub) {
			last = line
		}
	}
	if last == "" {
		t.Fatalf("no line with %q", sub)
	}
	return last
}

// firstLine waits for the first line of the whole output that holds sub,
// wherever waitFor has got to, and returns it.
func (l *timedLog) firstLine(ctx context.Context, sub string) (string, error) {
	return l.lineFrom(ctx, 0, sub)
}

// lineFrom waits for the first line that holds sub in the output from the
// byte offset from on, wherever waitFor has got to, and returns it.
func (l *timedLog) lineFrom(ctx context.Context, from int, sub string) (string, error) {
	for {
		l.mu.Lock()
		text, ch := l.buf.String(), l.cond
		l.mu.Unlock()
		for _, line := range strings.SplitAfter(text[min(from, len(text)):], "\n") {
			if strings.HasSuffix(line, "\n") && strings.Contains(line, sub) {
				return strings.TrimSpace(line), nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", fmt.Errorf("no line with %q in:\n%s", sub, text)
		}
	}
}

// attr reads a numeric key=value attribute of a slog text line.
func attr(t *testing.T, line, key string) float64 {
	t.Helper()
	m := regexp.MustCompile(`\b` + regexp.QuoteMeta(key) + `=([0-9.e+]+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no %s in %q", key, line)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// procField reads a number after label in /proc/PID/file.
func procField(t *testing.T, pid int, file, label string) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), label); ok {
			f := strings.Fields(rest)
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no %s in /proc/%d/%s", label, pid, file)
	return 0
}

// cpuTicks is the user and system time of a process, in clock ticks.
func cpuTicks(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return u + s
}

// idleAndRSS measures a desk left alone: the share of one core it uses
// over 20 s, after 5 s for what the last action set going, and its
// resident memory at the end, and the most it has had resident.
func idleAndRSS(t *testing.T, pid int) (idlePct, rssMB, hwmMB float64) {
	t.Helper()
	const ticksPerSecond = 100  // USER_HZ on Linux.
	time.Sleep(5 * time.Second) // A measuring window, not synchronisation.
	c0, t0 := cpuTicks(t, pid), time.Now()
	time.Sleep(20 * time.Second)
	c1, t1 := cpuTicks(t, pid), time.Now()
	idlePct = (c1 - c0) / ticksPerSecond / t1.Sub(t0).Seconds() * 100
	rssMB = procField(t, pid, "status", "VmRSS:") / 1024
	hwmMB = procField(t, pid, "status", "VmHWM:") / 1024
	return idlePct, rssMB, hwmMB
}

// softwareGLMB is how much of a process's resident memory is the code of
// Mesa's software renderer (libLLVM, the *_dri.so driver), which Xvfb
// makes the desk use and a desk PC's GPU driver replaces.
func softwareGLMB(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Fatal(err)
	}
	var kb float64
	gl := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			gl = len(f) >= 6 && (strings.Contains(f[5], "libLLVM") || strings.HasSuffix(f[5], "_dri.so"))
		case gl && len(f) >= 2 && f[0] == "Rss:":
			v, _ := strconv.ParseFloat(f[1], 64)
			kb += v
		}
	}
	return kb / 1024
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
