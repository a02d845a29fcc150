package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/skranke/skranke/cmd/shopd/shop"
)

// mainThreadWakeups is how many times the process's main thread has
// blocked and been woken again (its voluntary context switches): Fyne's
// event loop runs there, and each of its ticks is one.
func mainThreadWakeups(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", pid, pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no voluntary_ctxt_switches in the main thread's status")
	return 0
}

// TestIdleDeskLetsEventLoopRest runs the real desk under Xvfb, logged in
// with the scan screen shown and nothing to do but its sync polls, and
// counts how often its main thread, where Fyne's event loop runs, wakes
// up: Fyne's loop by itself ticks 60 times a second (1.4-2.7 % of a core
// at rest); the desk parks it while nothing happens. Then a scan from the
// serial scanner (a change handed to the UI from another goroutine) and
// one typed by a keyboard-wedge scanner (input events) must still show
// their purchases.
func TestIdleDeskLetsEventLoopRest(t *testing.T) {
	requireTools(t, "Xvfb", "xdotool")
	if testing.Short() {
		t.Skip("end-to-end test of the real binary; skipped with -short")
	}
	skrankeBin, shopdBin := buildBinaries(t)
	dir := t.TempDir()
	shopURL := startShopd(t, shopdBin, filepath.Join(dir, "shop.db"))
	disp := startXvfb(t, 1280, 1024)
	scannerSide, deviceSide, err := pty.Open()
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { scannerSide.Close(); deviceSide.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, skrankeBin,
		"-shop", shopURL, "-token-file", tokenFile(t, dir, shop.DemoDeskToken),
		"-data", filepath.Join(dir, "desk"), "-printer", "file://"+filepath.Join(dir, "printer.bin"),
		"-profile", "generic-80", "-serial", deviceSide.Name(), "-lang", "en")
	logs := newLogWatcher()
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "DISPLAY="+disp.name, "SKRANKE_CONFIG_DIR="+filepath.Join(dir, "config"), "LANG=en_US.UTF-8")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start skranke: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("skranke output:\n%s", logs.String())
		}
	})
	step := func(what string, subs ...string) {
		t.Helper()
		c, stop := context.WithTimeout(ctx, 60*time.Second)
		defer stop()
		if _, err := logs.waitFor(c, subs...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	typeAt := func(delayMS int, text string) {
		t.Helper()
		logs.mark()
		if _, err := disp.xdotool(ctx, "type", "--delay", strconv.Itoa(delayMS), text); err != nil {
			t.Fatal(err)
		}
		if _, err := disp.xdotool(ctx, "key", "Return"); err != nil {
			t.Fatal(err)
		}
	}

	win, err := disp.xdotool(ctx, "search", "--sync", "--onlyvisible", "--name", "Skranke")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := disp.xdotool(ctx, "windowfocus", "--sync", strings.Fields(win)[0]); err != nil {
		t.Fatal(err)
	}
	step("staff list shown", "staff list loaded")
	typeAt(150, shop.DemoManagerPIN)
	step("scan screen ready", "screen shown", "screen=scan")

	// A measuring window, not synchronisation: the desk at rest for 10 s,
	// its sync loop polling the shop meanwhile.
	const window = 10 * time.Second
	w0, t0 := mainThreadWakeups(t, cmd.Process.Pid), time.Now()
	time.Sleep(window)
	w1, t1 := mainThreadWakeups(t, cmd.Process.Pid), time.Now()
	perSecond := float64(w1-w0) / t1.Sub(t0).Seconds()
	t.Logf("main thread woke %d times in %v at rest: %.1f a second", w1-w0, t1.Sub(t0).Round(time.Millisecond), perSecond)
	// Fyne's loop alone ticks 60 times a second; parked, it wakes a few
	// times a second (a wait ends after 1 s at the latest, and the sync
	// loop's reports come every 5 s).
	if perSecond > 20 {
		t.Errorf("the idle desk's main thread woke %.1f times a second (%d in %v), want at most 20: Fyne's event loop ticks at rest",
			perSecond, w1-w0, t1.Sub(t0).Round(time.Millisecond))
	}

	// A serial scan after the rest: the purchase comes to the UI from
	// another goroutine, which must end the loop's wait.
	pending := shop.DemoCodeFor("pending")
	logs.mark()
	if _, err := scannerSide.Write([]byte(pending + "\r")); err != nil {
		t.Fatal(err)
	}
	step("serial scan after a rest shows the purchase", "purchase shown", "code="+pending)

	// And a keyboard-wedge scan after another rest: input events.
	c, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	rest := mainThreadWakeups(t, cmd.Process.Pid)
	for mainThreadWakeups(t, cmd.Process.Pid) < rest+3 { // A few waits of the parked loop.
		if c.Err() != nil {
			t.Fatal("the main thread did not wake three times in 30 s")
		}
		time.Sleep(200 * time.Millisecond) // Polling /proc.
	}
	paid := shop.DemoCodeFor("paid-course")
	typeAt(8, paid)
	step("wedge scan after a rest shows the purchase", "purchase shown", "code="+paid)
}
