//go:build benchdesk

package main_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke/cmd/shopd/shop"
)

// TestRealDeskBench is `make bench-desk`: the real binaries, a shopd
// holding BENCH_DESK_PURCHASES bulk purchases (default 1,000,000) and the
// desk under Xvfb, measured from outside as a desk would be watched: start
// to window shown, the first sync's rate per 100,000 rows (its "changes
// feed progress" log lines), the bytes the desk process wrote
// (/proc/PID/io) against the cache it left, then idle CPU and resident
// memory with everything cached, and the same after a restart. It prints
// its figures as benchmark lines for benchstat. Behind the benchdesk build
// tag: it takes minutes and is no test of correctness.
func TestRealDeskBench(t *testing.T) {
	requireTools(t, "Xvfb")
	n := 1_000_000
	if v := os.Getenv("BENCH_DESK_PURCHASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("BENCH_DESK_PURCHASES: %v", err)
		}
	}
	skrankeBin, shopdBin := buildBinaries(t)
	dir := t.TempDir()
	ctx := context.Background()

	// BENCH_DESK_SHOP_DB: a shop database seeded before (the sync
	// benchmarks leave one of a million purchases under $TMPDIR), to skip
	// minutes of seeding; shopd only reads it here.
	shopDB := os.Getenv("BENCH_DESK_SHOP_DB")
	if shopDB == "" {
		shopDB = filepath.Join(dir, "shop.db")
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
	shopURL := startShopd(t, shopdBin, shopDB)
	disp := startXvfb(t, 1280, 1024)
	data := filepath.Join(dir, "desk")

	var results []string
	metric := func(name string, v float64, unit string) {
		results = append(results, fmt.Sprintf("%.6g %s", v, unit))
		t.Logf("%s: %.6g %s", name, v, unit)
	}

	// First start: an empty cache, and the first sync.
	p, logs := startDesk(t, skrankeBin, disp, shopURL, data, dir)
	ready := waitLine(t, logs, 60*time.Second, "window shown")
	metric("start to window shown, empty cache", ready.Seconds()*1e3, "start-ms")
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
	idle, rss := idleAndRSS(t, p.Pid)
	metric("idle CPU after the first sync", idle, "idle-%core")
	metric("resident memory after the first sync", rss, "rss-MB")
	// After the idle window, so that the checkpoint the pull asked for at
	// its end is counted too.
	written := procField(t, p.Pid, "io", "write_bytes:")
	size := fileSize(filepath.Join(data, "desk.db")) + fileSize(filepath.Join(data, "desk.db-wal"))
	metric("bytes written by the desk per byte of cache", written/float64(size), "written/cache")
	metric("cache size", float64(size)/(1<<20), "cache-MB")
	stopDesk(t, p)

	// Second start: everything cached.
	p, logs = startDesk(t, skrankeBin, disp, shopURL, data, dir)
	ready = waitLine(t, logs, 60*time.Second, "window shown")
	metric("start to window shown, full cache", ready.Seconds()*1e3, "restart-ms")
	idle, rss = idleAndRSS(t, p.Pid)
	metric("idle CPU with the cache full", idle, "restart-idle-%core")
	metric("resident memory with the cache full", rss, "restart-rss-MB")
	stopDesk(t, p)

	fmt.Printf("BenchmarkRealDesk/purchases=%d \t1\t%s\n", n, strings.Join(results, "\t"))
}

type deskProc struct {
	*exec.Cmd
	Pid   int
	start time.Time
}

func startDesk(t *testing.T, bin string, disp *display, shopURL, data, dir string) (*deskProc, *timedLog) {
	t.Helper()
	cmd := exec.Command(bin, "-shop", shopURL, "-token", shop.DemoDeskToken, "-data", data,
		"-printer", "file://"+filepath.Join(dir, "printer.bin"), "-profile", "generic-80", "-lang", "en")
	logs := &timedLog{logWatcher: newLogWatcher()}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "DISPLAY="+disp.name, "SKRANKE_CONFIG_DIR="+filepath.Join(dir, "config"), "LANG=en_US.UTF-8")
	logs.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start skranke: %v", err)
	}
	p := &deskProc{Cmd: cmd, Pid: cmd.Process.Pid, start: logs.start}
	t.Cleanup(func() { stopDesk(t, p) })
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
// over 20 s, after 5 s for what its start set going, and its resident
// memory at the end.
func idleAndRSS(t *testing.T, pid int) (idlePct, rssMB float64) {
	t.Helper()
	const ticksPerSecond = 100  // USER_HZ on Linux.
	time.Sleep(5 * time.Second) // A measuring window, not synchronisation.
	c0, t0 := cpuTicks(t, pid), time.Now()
	time.Sleep(20 * time.Second)
	c1, t1 := cpuTicks(t, pid), time.Now()
	idlePct = (c1 - c0) / ticksPerSecond / t1.Sub(t0).Seconds() * 100
	rssMB = procField(t, pid, "status", "VmRSS:") / 1024
	return idlePct, rssMB
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
