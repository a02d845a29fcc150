package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/skranke/skranke/cmd/shopd/shop"
)

// deskTags returns the build tags of the desk binary as it is handed out:
// the Makefile's DESK_TAGS (make exports them), so that the tests run and
// measure what ships.
func deskTags() (string, error) {
	if v := os.Getenv("DESK_TAGS"); v != "" {
		return v, nil
	}
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		return "", fmt.Errorf("read the desk's build tags: %w", err)
	}
	m := regexp.MustCompile(`(?m)^export DESK_TAGS := (\S+)$`).FindSubmatch(b)
	if m == nil {
		return "", errors.New("no DESK_TAGS in the Makefile")
	}
	return string(m[1]), nil
}

// binaries builds skranke and shopd once per test run.
var binaries = struct {
	once          sync.Once
	dir, err, log string
}{}

func buildBinaries(t *testing.T) (skranke, shopd string) {
	t.Helper()
	binaries.once.Do(func() {
		dir, err := os.MkdirTemp("", "skranke-e2e-")
		if err != nil {
			binaries.err = err.Error()
			return
		}
		binaries.dir = dir
		tags, err := deskTags()
		if err != nil {
			binaries.err = err.Error()
			return
		}
		for _, pkg := range []string{"skranke", "shopd"} {
			out, err := exec.Command("go", "build", "-tags", tags, "-o", filepath.Join(dir, pkg), "../"+pkg).CombinedOutput()
			if err != nil {
				binaries.err = fmt.Sprintf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if binaries.err != "" {
		t.Fatal(binaries.err)
	}
	return filepath.Join(binaries.dir, "skranke"), filepath.Join(binaries.dir, "shopd")
}

// startShopd runs the real shopd binary with demo data on a free loopback
// port and returns its base URL.
func startShopd(t *testing.T, bin, dbPath string) string {
	t.Helper()
	cmd := exec.Command(bin, "-demo", "-db", dbPath, "-addr", "127.0.0.1:0")
	out := newLogWatcher()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start shopd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	line, err := out.waitFor(ctx, "shopd listening on http://")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in %q", line)
	}
	return "http://" + m[1]
}

// tcpPrinter is a loopback ESC/POS printer on a real socket: it keeps every
// byte it is sent and answers DLE EOT status requests as a ready printer does.
type tcpPrinter struct {
	ln   net.Listener
	mu   sync.Mutex
	data bytes.Buffer
	got  chan struct{}
}

func startTCPPrinter(t *testing.T) *tcpPrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpPrinter{ln: ln, got: make(chan struct{}, 1)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *tcpPrinter) serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	var tail []byte
	for {
		n, err := c.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			p.mu.Lock()
			p.data.Write(chunk)
			p.mu.Unlock()
			// Answer every DLE EOT n (status request) with "online, no
			// error"; tail keeps a request split across reads.
			scan := append(tail, chunk...)
			for i := 0; i+2 < len(scan); i++ {
				if scan[i] == 0x10 && scan[i+1] == 0x04 && scan[i+2] >= 1 && scan[i+2] <= 4 {
					_, _ = c.Write([]byte{0x12})
				}
			}
			tail = append([]byte(nil), scan[max(len(scan)-2, 0):]...)
			select {
			case p.got <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// Bytes returns everything printed so far.
func (p *tcpPrinter) Bytes() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.data.Bytes()...)
}

// waitFor waits until the printed bytes satisfy ok.
func (p *tcpPrinter) waitFor(ctx context.Context, ok func([]byte) bool) ([]byte, error) {
	for {
		b := p.Bytes()
		if ok(b) {
			return b, nil
		}
		select {
		case <-p.got:
		case <-ctx.Done():
			return b, fmt.Errorf("printer did not receive the expected bytes (%d bytes received)", len(b))
		}
	}
}

// code128Holds reports whether data has a GS k Code128 barcode command whose
// payload, after the code set selector, is the code.
func code128Holds(data []byte, code string) bool {
	for i := 0; i+4 < len(data); i++ {
		if data[i] != 0x1d || data[i+1] != 'k' || data[i+2] != 73 {
			continue
		}
		n := int(data[i+3])
		if i+4+n > len(data) {
			continue
		}
		if decodeCode128Payload(data[i+4:i+4+n]) == code {
			return true
		}
	}
	return false
}

// decodeCode128Payload reads ESC/POS's Code128 data: "{A", "{B" and "{C"
// select code sets; in set C each byte is two digits.
func decodeCode128Payload(p []byte) string {
	var b strings.Builder
	set := byte('B')
	for i := 0; i < len(p); i++ {
		if p[i] == '{' && i+1 < len(p) {
			switch p[i+1] {
			case 'A', 'B', 'C':
				set = p[i+1]
				i++
				continue
			case '{':
				b.WriteByte('{')
				i++
				continue
			}
		}
		if set == 'C' {
			fmt.Fprintf(&b, "%02d", p[i])
		} else {
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

// purchaseFromShop reads a purchase straight from shopd's API.
func purchaseFromShop(t *testing.T, baseURL, code string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", baseURL+shop.APIPrefix+"/purchases/"+code, nil)
	req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeskEndToEnd runs the real skranke binary under Xvfb against the real
// shopd binary on loopback, scanning as a keyboard-wedge scanner (xdotool)
// and as a serial scanner (through a pty), delivering from the keyboard and
// printing to a TCP printer on loopback.
func TestDeskEndToEnd(t *testing.T) {
	requireTools(t, "Xvfb", "xdotool", "xwd")
	if testing.Short() {
		t.Skip("end-to-end test of the real binary; skipped with -short")
	}
	skrankeBin, shopdBin := buildBinaries(t)
	dir := t.TempDir()
	shopURL := startShopd(t, shopdBin, filepath.Join(dir, "shop.db"))
	printer := startTCPPrinter(t)
	disp := startXvfb(t, 1280, 1024)

	// The serial scanner: skranke opens the pty's device, the test types
	// into its other end as the scanner would.
	scannerSide, deviceSide, err := pty.Open()
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { scannerSide.Close(); deviceSide.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, skrankeBin,
		"-shop", shopURL, "-token-file", tokenFile(t, dir, shop.DemoDeskToken),
		"-data", filepath.Join(dir, "desk"),
		"-printer", "tcp://"+printer.ln.Addr().String(), "-profile", "epson-tm-t20iii",
		"-serial", deviceSide.Name(), "-lang", "en")
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

	// step waits for a log line written since the last action (or the
	// previous step's line), so an earlier action's line never satisfies it.
	step := func(what string, subs ...string) string {
		t.Helper()
		c, stop := context.WithTimeout(ctx, 60*time.Second)
		defer stop()
		line, err := logs.waitFor(c, subs...)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return line
	}

	win, err := disp.xdotool(ctx, "search", "--sync", "--onlyvisible", "--name", "Skranke")
	if err != nil {
		t.Fatal(err)
	}
	win = strings.Fields(win)[0]
	// The first sync waits for the window: pulling beside it made an
	// empty desk's window slower to show. The window starts it, not the
	// timer that starts it should the window never say it is shown.
	if line := step("the sync loop starts", "sync loop started"); logField(line, "by") != "window" {
		t.Errorf("the sync loop was not started by the window shown: %s", line)
	}
	if out := logs.String(); strings.Index(out, "sync loop started") < strings.Index(out, "window shown") || !strings.Contains(out, "window shown") {
		t.Errorf("the sync loop started before the window was shown:\n%s", out)
	}
	if geo, err := disp.xdotool(ctx, "getwindowgeometry", win); err == nil {
		t.Logf("window: %s", strings.ReplaceAll(geo, "\n", "; "))
	}
	if _, err := disp.xdotool(ctx, "windowfocus", "--sync", win); err != nil {
		t.Fatal(err)
	}
	typeAt := func(delayMS int, text string) {
		t.Helper()
		logs.mark()
		// Enter comes from a second xdotool run, tens of ms later.
		if _, err := disp.xdotool(ctx, "type", "--delay", strconv.Itoa(delayMS), text); err != nil {
			t.Fatal(err)
		}
		if _, err := disp.xdotool(ctx, "key", "Return"); err != nil {
			t.Fatal(err)
		}
	}
	// typeKeys types as fast as a keyboard-wedge scanner: 8 ms between keys.
	typeKeys := func(text string) { t.Helper(); typeAt(8, text) }
	// typeByHand types as a person does, a key every 150 ms: a PIN typed at
	// a scanner's pace would be taken for a scan.
	typeByHand := func(text string) { t.Helper(); typeAt(150, text) }

	shotWhen := func(name string, ready func(image.Image) bool) image.Image {
		t.Helper()
		c, stop := context.WithTimeout(ctx, 30*time.Second)
		defer stop()
		img, err := disp.windowShotWhen(c, win, ready)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		// Kept with the test's files; docs/img comes from `make
		// screenshots` (app.TestScreenshots), at the documented size.
		savePNG(t, filepath.Join(dir, name+".png"), img)
		return img
	}
	shot := func(name string) image.Image {
		t.Helper()
		return shotWhen(name, func(image.Image) bool { return true })
	}
	key := func(keys ...string) {
		t.Helper()
		logs.mark()
		if _, err := disp.xdotool(ctx, append([]string{"key"}, keys...)...); err != nil {
			t.Fatal(err)
		}
	}

	// The staff list loads from the shop; the first name (Ingrid, manager)
	// is chosen and the PIN field has the focus.
	step("staff list shown", "staff list loaded")
	shot("screen-login")
	typeByHand(shop.DemoManagerPIN)
	step("log in", "staff logged in", "staff="+shop.DemoManagerID)
	step("scan screen ready", "screen shown", "screen=scan")

	// A keyboard-wedge scan shows the purchase.
	// The scanner ends the code with a second Enter 15 ms after the first
	// (a CR+LF suffix, a double tap): it must hand nothing over.
	code := shop.DemoCodeFor("paid-course")
	firstScan := time.Now()
	logs.mark()
	scanFrom := len(logs.String())
	if _, err := disp.xdotool(ctx, "type", "--delay", "8", code); err != nil {
		t.Fatal(err)
	}
	if _, err := disp.xdotool(ctx, "key", "--delay", "15", "Return", "Return"); err != nil {
		t.Fatal(err)
	}
	step("wedge scan shows the purchase", "purchase shown", "code="+code, "state=deliverable")
	// Delivery is armed once the purchase has been on screen a moment.
	step("delivery armed", "delivery armed", "code="+code)
	if out := logs.String()[scanFrom:]; !strings.Contains(out, "enter ignored") || strings.Contains(out, "msg=delivered code="+code) {
		t.Fatalf("the Enter trailing the scan was not ignored:\n%s", out)
	}
	shot("screen-purchase")

	// Enter delivers what remains; the note goes to the printer with the
	// reference code in its barcode.
	key("Return")
	step("deliver", "delivered", "code="+code)
	pctx, pstop := context.WithTimeout(ctx, 60*time.Second)
	printed, err := printer.waitFor(pctx, func(b []byte) bool { return code128Holds(b, code) })
	pstop()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(printed, []byte("DELIVERY NOTE")) {
		t.Errorf("the printed note is not titled as a delivery note")
	}

	// The shop holds exactly one delivery once the outbox drained.
	onlyOneAtShop(t, ctx, shopURL, code, "deliveries")

	// A serial scanner: the code arrives through the pty in two chunks.
	other := shop.DemoCodeFor("pending")
	logs.mark()
	if _, err := scannerSide.Write([]byte(other[:3])); err != nil {
		t.Fatal(err)
	}
	if _, err := scannerSide.Write([]byte(other[3:] + "\r")); err != nil {
		t.Fatal(err)
	}
	step("serial scan shows the purchase", "purchase shown", "code="+other, "state=not_payable")
	shot("screen-not-paid")

	// A mangled scan (one character changed) is refused and says what was read.
	logs.mark()
	if _, err := io.WriteString(scannerSide, "A6MAECGX\r"); err != nil {
		t.Fatal(err)
	}
	step("mangled scan", "invalid scan", "A6MAECGX")

	// Physical goods: Enter asks for the signature, drawn with the mouse on
	// the pad, and Enter accepts it and delivers.
	physical := shop.DemoCodeFor("paid-physical")
	typeKeys(physical)
	step("physical goods shown", "purchase shown", "code="+physical, "state=deliverable")
	step("physical goods armed", "delivery armed", "code="+physical)
	key("Return")
	step("signature asked for", "signature requested", "code="+physical)
	empty := shotWhen("screen-signature-empty", func(img image.Image) bool { return len(padRows(img)) >= 40 })
	// The next customer's code is scanned while the buyer signs: its Enter
	// accepts nothing, and the code waits.
	nextCode := shop.DemoCodeFor("failed")
	signFrom := len(logs.String())
	typeKeys(nextCode)
	step("scan while signing waits", "next customer queued", "raw="+nextCode)
	if out := logs.String()[signFrom:]; strings.Contains(out, "msg=delivered code="+physical) {
		t.Fatalf("a scan accepted the signature:\n%s", out)
	}
	drawSignature(t, ctx, disp, win)
	// The pen's ink shows on the pad: the picture differs from the empty pad
	// by more than a caret's blink.
	shotWhen("screen-signature", func(img image.Image) bool {
		a, b := empty.(*image.RGBA), img.(*image.RGBA)
		return pixelsDiffer(a, b) > 4*caretPixels
	})
	key("Return")
	step("signed delivery", "delivered", "code="+physical)
	step("next customer opens", "purchase shown", "code="+nextCode, "state=not_payable")
	pctx, pstop = context.WithTimeout(ctx, 60*time.Second)
	_, err = printer.waitFor(pctx, func(b []byte) bool { return code128Holds(b, physical) })
	pstop()
	if err != nil {
		t.Fatal(err)
	}

	// The first code again shows the purchase as already delivered. The
	// scanner pipeline drops a code read again within two seconds (a double
	// read), so a rescan must come later than that; the steps above take
	// longer, and this makes sure of it.
	if wait := time.Until(firstScan.Add(2500 * time.Millisecond)); wait > 0 {
		time.Sleep(wait)
	}
	typeKeys(code)
	step("rescan shows delivered", "purchase shown", "code="+code, "state=delivered")
	shot("screen-delivered")

	// The other main screens, by their function keys.
	key("F2")
	step("gift card screen", "screen shown", "screen=cards")
	typeKeys(shop.DemoCodeFor("card-chain"))
	step("gift card shown", "gift card shown", "code="+shop.DemoCodeFor("card-chain"))
	shot("screen-giftcard")
	key("F3")
	step("daily report", "screen shown", "screen=report")
	shot("screen-report")
	// A scan lands on the scan screen from every screen: not in the report's
	// date field, not in the shop's address in Settings.
	onReport := shop.DemoCodeFor("promo")
	reportScan := time.Now()
	typeKeys(onReport)
	step("scan on F3", "scan outside a scan field", "screen=report")
	step("F3 scan shows the purchase", "purchase shown", "code="+onReport)
	key("F5")
	step("settings", "screen shown", "screen=settings")
	onSettings := shop.DemoCodeFor("cancelled")
	typeKeys(onSettings)
	step("scan on F5", "scan outside a scan field", "screen=settings")
	step("F5 scan shows the purchase", "purchase shown", "code="+onSettings, "state=not_payable")
	key("F4")
	step("status", "screen shown", "screen=status")
	shot("screen-status")
	key("F1")
	step("back to scanning", "screen shown", "screen=scan")

	// Undo: a delivery just made is taken back with Ctrl+Z, which asks in
	// the banner, and Enter, which says yes; the shop records the reversal.
	// The code was read on F3: past the double-read window, as above.
	if wait := time.Until(reportScan.Add(2500 * time.Millisecond)); wait > 0 {
		time.Sleep(wait)
	}
	undoScan := time.Now()
	typeKeys(onReport)
	step("purchase to undo shown", "purchase shown", "code="+onReport, "state=deliverable")
	step("purchase to undo armed", "delivery armed", "code="+onReport)
	key("Return")
	delivered := step("delivery to undo", "delivered", "code="+onReport)
	step("undo offered", "undo offered", "code="+onReport)
	key("ctrl+z")
	step("undo asked", "undo asked", "code="+onReport)
	key("Return")
	step("undone", "undo shown", "code="+onReport, "state=undone")
	deliveryID := logField(delivered, "delivery")
	if r := onlyOneAtShop(t, ctx, shopURL, onReport, "reversals"); r["delivery_id"] != deliveryID {
		t.Fatalf("the shop reversed %v, want delivery %s", r["delivery_id"], deliveryID)
	}
	// The purchase is deliverable again: what was handed over is back.
	if wait := time.Until(undoScan.Add(2500 * time.Millisecond)); wait > 0 {
		time.Sleep(wait) // Past the double-read window, as above.
	}
	typeKeys(onReport)
	step("undone purchase rescanned", "purchase shown", "code="+onReport, "state=deliverable")

	// The desk stops cleanly when the computer shuts down (SIGTERM, or
	// SIGINT from a terminal): it used to quit Fyne a second time after
	// Fyne had quit on the signal itself, and panic on a terminated GLFW.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	out := logs.String()
	if err != nil || strings.Contains(out, "panic:") || !strings.Contains(out, "Skranke stopped") {
		t.Fatalf("the desk did not stop cleanly on SIGINT: %v\n%s", err, out[max(0, len(out)-4000):])
	}
}

// onlyOneAtShop waits until the shop's purchase code holds one entry in its
// list field (deliveries, reversals) once the desk's outbox drained, and
// returns it; more than one is a duplicate.
func onlyOneAtShop(t *testing.T, ctx context.Context, shopURL, code, field string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		p := purchaseFromShop(t, shopURL, code)
		if l, _ := p[field].([]any); len(l) == 1 {
			one, _ := l[0].(map[string]any)
			return one
		} else if len(l) > 1 {
			t.Fatalf("the shop holds %d %s of %s, want 1", len(l), field, code)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s of %s never reached the shop: %v", field, code, p[field])
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(200 * time.Millisecond): // Polling the shop's state, not synchronising.
		}
	}
}

// logField returns the value of key in a slog text line, or "".
func logField(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// drawSignature finds the signature pad (the one large white area of the
// dark window) and draws a wave across it with the mouse button held, as a
// pen would.
func drawSignature(t *testing.T, ctx context.Context, d *display, win string) {
	t.Helper()
	c, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	// The log line that asked for the signature is written before the frame
	// that shows the pad: wait until a capture has it.
	img, err := d.windowShotWhen(c, win, func(img image.Image) bool { return len(padRows(img)) >= 40 })
	if err != nil {
		t.Fatalf("no signature pad on screen: %v", err)
	}
	r, err := d.windowRect(ctx, win)
	if err != nil {
		t.Fatal(err)
	}
	rows := padRows(img)
	b := img.Bounds().Add(r.Min) // Screen coordinates for the mouse.
	rows0 := rows[0] + r.Min.Y
	rowsN := rows[len(rows)-1] + r.Min.Y
	cx, cy := b.Min.X+b.Dx()/2, (rows0+rowsN)/2
	amp := min(40, (rowsN-rows0)/3)
	args := []string{"mousemove", strconv.Itoa(cx - 200), strconv.Itoa(cy), "mousedown", "1"}
	for i := 0; i <= 40; i++ {
		x := cx - 200 + i*10
		y := cy + int(float64(amp)*math.Sin(float64(i)/3))
		args = append(args, "mousemove", strconv.Itoa(x), strconv.Itoa(y))
	}
	args = append(args, "mouseup", "1")
	if _, err := d.xdotool(ctx, args...); err != nil {
		t.Fatal(err)
	}
}

// padRows lists the rows of img that are mostly white: the signature pad is
// the one large white area of the dark window.
func padRows(img image.Image) []int {
	b := img.Bounds()
	var rows []int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		white := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 > 0xf0 && g>>8 > 0xf0 && bl>>8 > 0xf0 {
				white++
			}
		}
		if white > b.Dx()*6/10 {
			rows = append(rows, y-b.Min.Y)
		}
	}
	return rows
}

// TestLanguagelessLocale starts the real binary as a server, a container or
// a Norwegian desk computer would, with no language in its settings: a
// locale that names no language starts it in English and says nothing about
// the locale it could not parse; a Norwegian one (as LANG gives it, or
// LC_ALL, Bokmål, Nynorsk or plain "no") starts it in Norwegian, its words
// and its printouts alike.
func TestLanguagelessLocale(t *testing.T) {
	requireTools(t, "Xvfb", "xdotool")
	if testing.Short() {
		t.Skip("end-to-end test of the real binary; skipped with -short")
	}
	skrankeBin, _ := buildBinaries(t)
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"C", []string{"LANG=C"}, "en"},
		{"C.UTF-8", []string{"LANG=C.UTF-8"}, "en"},
		{"POSIX", []string{"LANG=POSIX"}, "en"},
		{"nb_NO.UTF-8", []string{"LANG=nb_NO.UTF-8"}, "nb"},
		{"LC_ALL nb_NO.UTF-8", []string{"LC_ALL=nb_NO.UTF-8", "LANG=nb_NO.UTF-8"}, "nb"},
		{"nn_NO.UTF-8", []string{"LANG=nn_NO.UTF-8"}, "nb"},
		{"no_NO.UTF-8", []string{"LANG=no_NO.UTF-8"}, "nb"},
		{"en_GB.UTF-8", []string{"LANG=en_GB.UTF-8"}, "en"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			disp := startXvfb(t, 1024, 768)
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, skrankeBin, "-data", filepath.Join(dir, "desk"))
			logs := newLogWatcher()
			cmd.Stdout, cmd.Stderr = logs, logs
			env := append([]string{"DISPLAY=" + disp.name, "SKRANKE_CONFIG_DIR=" + filepath.Join(dir, "config")}, tt.env...)
			for _, kv := range os.Environ() {
				if k, _, _ := strings.Cut(kv, "="); k != "LANG" && k != "LC_ALL" && k != "LC_MESSAGES" && k != "LANGUAGE" && k != "DISPLAY" {
					env = append(env, kv)
				}
			}
			cmd.Env = env
			if err := cmd.Start(); err != nil {
				t.Fatalf("start skranke: %v", err)
			}
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			})
			line, err := logs.waitFor(ctx, "window shown")
			if err != nil {
				t.Fatalf("%v: %v", tt.env, err)
			}
			// lang is the language of the printouts, words the one the
			// desk's words are shown in.
			if got, words := logField(line, "lang"), logField(line, "words"); got != tt.want || words != tt.want {
				t.Errorf("%v: the desk started with lang=%s and its words in %s, want %s:\n%s", tt.env, got, words, tt.want, line)
			}
			if out := logs.String(); strings.Contains(out, "locale") && strings.Contains(out, "rror") {
				t.Errorf("%v: the desk reported a locale error:\n%s", tt.env, out)
			}
		})
	}
}

// tokenFile writes the desk token to a private file for -token-file: a
// token on the command line would be readable by every local user.
func tokenFile(t *testing.T, dir, token string) string {
	t.Helper()
	path := filepath.Join(dir, "desk-token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNoDisplaySaysWhatIsMissing starts the real binary where no X server
// can be reached: it must say so in a line staff or their IT can act on and
// exit with 1, not dump a panic's goroutines.
func TestNoDisplaySaysWhatIsMissing(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test of the real binary; skipped with -short")
	}
	skrankeBin, _ := buildBinaries(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, skrankeBin, "-data", filepath.Join(dir, "desk"))
	env := []string{"DISPLAY=:" + strconv.Itoa(9000+os.Getpid()%900), "WAYLAND_DISPLAY=", "SKRANKE_CONFIG_DIR=" + filepath.Join(dir, "config")}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DISPLAY" && k != "WAYLAND_DISPLAY" {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("skranke with no display: %v, want exit status 1:\n%s", err, out)
	}
	if !strings.Contains(string(out), "cannot open the desk's window") {
		t.Errorf("skranke with no display did not say it cannot open its window:\n%s", out)
	}
	if strings.Contains(string(out), "goroutine ") || strings.Contains(string(out), "panic:") {
		t.Errorf("skranke with no display panicked:\n%s", out)
	}
}
