package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

// fixture is a desk UI wired to a real shop, a real desk cache and a printer
// that writes to a file.
type fixture struct {
	t         testing.TB
	shop      *shoptest.Server
	desk      *desksync.Desk
	d         *Desk
	printPath string
	dataDir   string
	// configPath is where Settings saves.
	configPath string
	// cutOff, when set, drops this desk's connections to the shop, as when
	// its network is down while other desks still reach the shop.
	cutOff atomic.Bool
	// breakAfter, when set, lets the next request of this desk whose path
	// contains it reach the shop and then sets cutOff before the answer.
	breakAfter atomic.Pointer[string]
	// blockFeed, when set, answers this desk's pulls of the changes feed
	// with nothing new, so that it learns only what it asks for.
	blockFeed atomic.Bool
	// busy, when set, turns this desk's requests away with 429 and this
	// Retry-After, as a rate limit in front of the shop does.
	busy atomic.Pointer[string]
	// holdLookups, when set, holds this desk's requests for a purchase
	// until the channel is closed: a shop slow to answer a scan.
	holdLookups atomic.Pointer[chan struct{}]
	// holdAnswers, when set, lets this desk's requests for a purchase
	// reach the shop and holds the shop's answer until the channel is
	// closed, after telling answerHeld: an answer slow on its way back.
	holdAnswers atomic.Pointer[chan struct{}]
	answerHeld  chan struct{}
	// timeout, when set before (re)opening the desk, is how long the desk
	// waits for the shop before it uses its cache (2 s when zero).
	timeout time.Duration
	// unknown, when set, is a code the shop answers this desk it does
	// not know, as when the purchase was removed.
	unknown atomic.Pointer[string]
	// closeDesk closes the desk UI and its sync (see reopen).
	closeDesk func()
	// clock is the desk's clock: it stands still until the test steps it.
	clock *fakeClock
	// tones counts the refusal tones the desk sounded.
	tones *toneCounter
}

// toneCounter stands in for the sound card, as a fake stands in for USB:
// it counts the refusal tones.
type toneCounter struct{ n atomic.Int32 }

func (c *toneCounter) Refusal() { c.n.Add(1) }

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	f  func()
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, fakeTimer{at: c.t.Add(d), f: f})
}

// advance moves the clock on by d and runs the timers that came due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	var due []func()
	left := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.t) {
			due = append(due, t.f)
		} else {
			left = append(left, t)
		}
	}
	c.timers = left
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

type option func(*config.Config)

// mustOpen starts a seeded shop and builds the desk UI against it.
func mustOpen(t testing.TB, opts ...option) *fixture {
	t.Helper()
	return mustOpenWith(t, nil, opts...)
}

// mustOpenWith is mustOpen with hardware scanner sources.
func mustOpenWith(t testing.TB, sources []scanner.Source, opts ...option) *fixture {
	t.Helper()
	return openFixture(t, sources, nil, opts...)
}

// openFixture is mustOpenWith with the test app wrapped by wrap (when not
// nil), which then is the app Fyne's widgets find as the current one.
func openFixture(t testing.TB, sources []scanner.Source, wrap func(fyne.App) fyne.App, opts ...option) *fixture {
	t.Helper()
	f := &fixture{t: t, dataDir: t.TempDir(), clock: &fakeClock{t: time.Now()}, tones: &toneCounter{}, answerHeld: make(chan struct{}, 1)}
	f.shop = shoptest.Start(t, shoptest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			desk := r.Header.Get("Authorization") == "Bearer "+shop.DemoDeskToken
			if p := f.breakAfter.Load(); p != nil && desk && r.Method != http.MethodGet && strings.Contains(r.URL.Path, *p) && !f.cutOff.Load() {
				// The shop takes the request; then the line goes down
				// before its answer is back.
				next.ServeHTTP(httptest.NewRecorder(), r)
				f.cutOff.Store(true)
			}
			if code := f.unknown.Load(); code != nil && desk && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/purchases/"+*code) {
				r.URL.Path = strings.TrimSuffix(r.URL.Path, *code) + "ZZZZZZZZ"
			}
			if hold := f.holdLookups.Load(); hold != nil && desk && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/purchases/") {
				select {
				case <-*hold:
				case <-r.Context().Done():
					return
				}
			}
			if hold := f.holdAnswers.Load(); hold != nil && desk && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/purchases/") {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				select {
				case f.answerHeld <- struct{}{}:
				default:
				}
				select {
				case <-*hold:
				case <-r.Context().Done():
					return
				}
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
				return
			}
			if f.blockFeed.Load() && !f.cutOff.Load() && desk && strings.Contains(r.URL.Path, "/changes") {
				// Nothing new, at the desk's own cursor: the desk stays
				// online (a dropped connection would make it back off and
				// queue what it does next) but hears of nothing.
				since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"purchases":[],"cards":[],"next":%d,"more":false}`+"\n", since)
				return
			}
			if ra := f.busy.Load(); ra != nil && desk {
				w.Header().Set("Retry-After", *ra)
				http.Error(w, "too many requests", http.StatusTooManyRequests)
				return
			}
			if f.cutOff.Load() && desk {
				if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}))
	f.printPath = filepath.Join(t.TempDir(), "printer.bin")
	f.configPath = filepath.Join(t.TempDir(), "config.json")
	cfg := config.Default()
	cfg.ShopURL, cfg.DeskToken, cfg.DataDir = f.shop.URL, f.shop.DeskToken, f.dataDir
	cfg.Language = "en"
	cfg.PrinterProfile = "generic-80"
	cfg.PrinterTarget = "file://" + f.printPath
	for _, o := range opts {
		o(&cfg)
	}
	f.open(cfg, sources, wrap)
	return f
}

// reopen closes the desk UI and its sync as the app does when it quits,
// and starts them again on the same data directory, shop and printer, as
// after a restart of the desk PC.
func (f *fixture) reopen() {
	f.t.Helper()
	f.closeDesk()
	f.open(f.d.cfg, f.d.svc.Sources, nil)
}

// open builds the desk's sync and UI with cfg, closed when the test ends
// (or by closeDesk).
func (f *fixture) open(cfg config.Config, sources []scanner.Source, wrap func(fyne.App) fyne.App) {
	t := f.t
	ctx, cancel := context.WithCancel(context.Background())
	timeout := f.timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	desk, err := desksync.Open(ctx, desksync.Config{BaseURL: cfg.ShopURL, Token: cfg.DeskToken, DataDir: f.dataDir,
		SyncInterval: 200 * time.Millisecond, Timeout: timeout})
	require.NoError(t, err)
	f.desk = desk
	done := make(chan struct{})
	go func() { defer close(done); desk.Run(ctx) }()

	p, err := cfg.OpenPrinter()
	require.NoError(t, err)
	var a fyne.App = test.NewApp()
	if wrap != nil {
		a = wrap(a)
		fyne.SetCurrentApp(a)
	}
	f.d = New(a, Services{
		Desk:     desk,
		Printer:  p,
		pipeline: scanner.NewPipeline(scanner.Options{DedupWindow: -1}),
		Sources:  sources,
		OpenSources: func(ctx context.Context, cfg config.Config) []scanner.Source {
			if cfg.ScannerSource != "serial" {
				return nil
			}
			s, err := scanner.OpenSerial(ctx, scanner.SerialConfig{Port: cfg.ScannerPort, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
			if err != nil {
				t.Errorf("open serial scanner: %v", err)
				return nil
			}
			return []scanner.Source{s}
		},
		Config:   cfg,
		SavePath: f.configPath,
		Beeper:   f.tones,
		manualUI: true,
	})
	f.d.clock = f.clock
	f.d.Start()
	ui := f.d
	var once sync.Once
	f.closeDesk = func() {
		once.Do(func() {
			ui.Close()
			cancel()
			<-done
			desk.Close()
			a.Quit()
		})
	}
	t.Cleanup(f.closeDesk)
	f.idle()
}

// idle runs the UI updates of background work until none is left. It
// gives up when 15 s pass without one: work that still reports progress
// on a loaded machine is slow, not stuck.
func (f *fixture) idle() {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ran := f.d.runPending()
		if ran > 0 {
			deadline = time.Now().Add(15 * time.Second)
		}
		// A pickup count runs off d.async (refreshPickupCount): the UI is
		// not busy meanwhile, but its answer relabels the scan screen.
		if ran == 0 && !f.d.isBusy() && !f.d.countingPickup {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("UI still busy, no update for 15 s (pending UI updates %d, busy %v, counting pickup %v)\n%s", ran, f.d.isBusy(), f.d.countingPickup, goroutines())
		}
		if ran == 0 {
			time.Sleep(time.Millisecond) // Polling with a deadline: the work is on the network.
		}
	}
}

// login logs a staff member in with the keyboard.
func (f *fixture) login(id, pin string) {
	f.t.Helper()
	f.idle()
	require.NotEmpty(f.t, f.d.login.StaffButtons, "staff list not loaded: %s", f.d.login.Error.Text)
	require.Contains(f.t, f.d.login.StaffButtons, id)
	test.Tap(f.d.login.StaffButtons[id])
	// At a person's pace: six digits and Enter typed at once would be a
	// scanner's burst, which the lock screen refuses as a scan.
	f.typeByHand(f.d.login.PIN, pin)
	f.d.login.PIN.Submit()
	f.idle()
	require.NotNil(f.t, f.d.currentStaff(), "login failed: %s", f.d.login.Error.Text)
	require.Equal(f.t, id, f.d.currentStaff().ID)
}

// scan types a code into the focused scan field at scanner speed, presses
// Enter and looks at the screen long enough for a delivery to be armed.
func (f *fixture) scan(code string) {
	f.t.Helper()
	f.scanOnly(code)
	f.look()
}

// typeByHand types text into obj at a person's pace (a key every 150 ms),
// which no scanner keeps to.
func (f *fixture) typeByHand(obj fyne.Focusable, text string) {
	f.t.Helper()
	for _, r := range text {
		f.clock.advance(150 * time.Millisecond)
		obj.TypedRune(r)
	}
	f.clock.advance(150 * time.Millisecond)
}

// look lets the time pass that staff take to see what the screen shows.
func (f *fixture) look() {
	f.t.Helper()
	f.clock.advance(armDelay)
	f.idle()
}

// scanOnly is scan without the look: what the desk does in the instant
// the scan ends.
func (f *fixture) scanOnly(code string) {
	f.t.Helper()
	c := f.d.window.Canvas()
	if c.Focused() == nil {
		// As after a click on nothing: keys go to the window, which hands them to the scan field.
		test.TypeOnCanvas(c, code)
	} else {
		test.Type(c.Focused(), code)
	}
	focused, ok := c.Focused().(*scanEntry)
	require.True(f.t, ok, "the scan field does not have the focus (focused: %T)", c.Focused())
	require.Equal(f.t, code, focused.typed())
	focused.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.idle()
}

// key presses a key in the focused widget, as the keyboard does.
func (f *fixture) key(name fyne.KeyName) {
	f.t.Helper()
	c := f.d.window.Canvas()
	if foc := c.Focused(); foc != nil {
		foc.TypedKey(&fyne.KeyEvent{Name: name})
	} else {
		c.OnTypedKey()(&fyne.KeyEvent{Name: name})
	}
	f.idle()
}

// printed returns what the printer received so far.
func (f *fixture) printed() []byte {
	b, err := os.ReadFile(f.printPath)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(f.t, err)
	return b
}

// goroutines is a dump of every goroutine, for a test that gives up
// waiting: it shows what the desk was waiting for.
func goroutines() []byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// eventually waits for cond, running UI updates meanwhile, failing with msg.
func (f *fixture) eventually(cond func() bool, msg string, args ...any) {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		f.d.runPending()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out: "+msg+"\n%s", append(args, goroutines())...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rasterInk counts the set bits of the GS v 0 raster images in ESC/POS data.
func rasterInk(data []byte) (images, ink int) {
	for i := 0; i+8 <= len(data); i++ {
		if data[i] != 0x1d || data[i+1] != 'v' || data[i+2] != '0' {
			continue
		}
		xb := int(data[i+4]) | int(data[i+5])<<8
		rows := int(data[i+6]) | int(data[i+7])<<8
		end := min(i+8+xb*rows, len(data))
		images++
		for _, b := range data[i+8 : end] {
			for ; b != 0; b &= b - 1 {
				ink++
			}
		}
		i = end - 1
	}
	return images, ink
}

func sign(p *signaturePad) {
	// A few strokes across the pad, as a finger would draw them.
	for s := 0; s < 3; s++ {
		y := float32(40 + 30*s)
		for x := float32(20); x < 400; x += 20 {
			p.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y+float32(int(x)%40))}, Dragged: fyne.NewDelta(20, 0)})
		}
		p.DragEnd()
	}
}

func mustProfile(t *testing.T) printer.Profile {
	p, ok := printer.ProfileByID("generic-80")
	require.True(t, ok)
	return p
}

// printedText is what the customer reads on everything the test printer got.
func printedText(t *testing.T, data []byte) string {
	t.Helper()
	prof, ok := printer.ProfileByID("generic-80")
	require.True(t, ok)
	text, err := printer.Text(data, prof)
	require.NoError(t, err)
	return text
}

// barcodes lists the data of the barcodes in printed text.
func barcodes(text string) []string {
	var out []string
	for _, part := range strings.Split(text, "[barcode ")[1:] {
		if i := strings.IndexByte(part, ']'); i > 0 {
			out = append(out, part[:i])
		}
	}
	return out
}

// demoMonth is the month the tests read the demo's figures in. The shop
// seeds its demo over the days before now, so in the first days of a
// month (in Oslo) most of it, and every delivery, is in the month before.
func demoMonth(f *fixture) skranke.Month {
	return skranke.MonthOf(f.d.now().Add(-3 * 24 * time.Hour))
}

// showDemoMonth waits until the month screen shows a month, moves it to
// demoMonth if it opened on another, and waits until that shows.
func showDemoMonth(f *fixture, s *monthScreen) {
	f.eventually(func() bool { return s.Shown() != nil }, "the month never showed")
	m := demoMonth(f)
	if s.Shown().Month != m.String() {
		s.setMonth(m)
		s.load()
	}
	f.eventually(func() bool { return s.Shown() != nil && s.Shown().Month == m.String() }, "the demo's month never showed")
}
