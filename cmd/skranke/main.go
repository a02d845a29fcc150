// Command skranke is the front-desk application of Skranke: staff scan the
// receipts of web shop purchases, hand them over, take signatures, use gift
// cards and print delivery notes.
//
// Usage:
//
//	skranke [-config path] [-shop URL] [-token-file path] [-ca-file path] [-data dir] [-printer target] [-profile id] [-serial port] [-lang nb|en] [-preview]
//	skranke printer-test [-config path] [-printer target] [-profile id]
//
// With -preview every printed job is also shown in a print-preview window
// and, when the printer is a file (file:///path/printer.bin), written as PNG
// beside it: printer-0001.png, printer-0002.png, …
//
// Flags override the configuration file, which lives in the OS configuration
// directory (or $SKRANKE_CONFIG_DIR) as skranke/config.json (mode 0600).
//
// The desk token is a secret, so no flag carries it (every local user can
// read a process's command line): it comes from the file -token-file names,
// else from $SKRANKE_TOKEN, else from the configuration file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/skranke/skranke/app"
	"github.com/skranke/skranke/app/config"
	_ "github.com/skranke/skranke/cmd/skranke/internal/locale" // Before fyne reads the locale; see its doc.
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "printer-test" {
		os.Exit(printerTest(args[1:], os.Stderr))
	}
	os.Exit(run(args, os.Stderr))
}

// options are the command-line flags; empty means "not given".
type options struct {
	config, shop, tokenFile, caFile, data, printer, profile, serial, lang string
	preview                                                               bool
}

func parseFlags(name string, args []string, stderr io.Writer, withDesk bool) (options, error) {
	var o options
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "configuration file (default: the OS config directory's skranke/config.json)")
	fs.StringVar(&o.printer, "printer", "", "printer target: tcp://host:9100, file:///path, serial:///dev/ttyUSB0?baud=9600, device:///dev/usb/lp0, spooler://Name")
	fs.StringVar(&o.profile, "profile", "", "printer profile ID (generic-80, generic-58, epson-tm-t20iii, ...)")
	if withDesk {
		fs.StringVar(&o.shop, "shop", "", "shop API address, such as https://shop.example.no")
		fs.StringVar(&o.tokenFile, "token-file", "", "file holding the desk token (else $SKRANKE_TOKEN, else the config file; never a flag: the command line is public)")
		fs.StringVar(&o.caFile, "ca-file", "", "PEM file of a private CA the shop's certificate chains to")
		fs.StringVar(&o.data, "data", "", "data directory for the offline cache")
		fs.StringVar(&o.serial, "serial", "", "serial port of a barcode scanner, such as /dev/ttyUSB0")
		fs.StringVar(&o.lang, "lang", "", "language: nb or en (default: the system's)")
		fs.BoolVar(&o.preview, "preview", false, "show every printed job in a preview window, and write it as PNG beside a file printer")
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return o, nil
}

// deskToken returns the desk token from the file at path (when given) or
// the SKRANKE_TOKEN environment variable, or "" to keep the configuration
// file's. A token file others can read is refused, as ssh refuses keys.
func deskToken(path string, getenv func(string) string) (string, error) {
	if path == "" {
		return strings.TrimSpace(getenv("SKRANKE_TOKEN")), nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("desk token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("desk token file %s can be read by other users (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("desk token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("desk token file %s is empty", path)
	}
	return tok, nil
}

// loadConfig reads the configuration and applies the flags over it.
func loadConfig(o options) (config.Config, string, error) {
	path := o.config
	if path == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return config.Config{}, "", err
		}
		path = p
	}
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, path, err
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.ShopURL, o.shop)
	set(&cfg.CAFile, o.caFile)
	set(&cfg.DataDir, o.data)
	set(&cfg.PrinterTarget, o.printer)
	set(&cfg.PrinterProfile, o.profile)
	if o.serial != "" {
		cfg.ScannerSource, cfg.ScannerPort = "serial", o.serial
	}
	switch o.lang {
	case "":
	case "nb", "no", "en":
		cfg.Language = map[string]string{"nb": "nb", "no": "nb", "en": "en"}[o.lang]
	default:
		return cfg, path, fmt.Errorf("unknown language %q (want nb or en)", o.lang)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(filepath.Dir(path), "data")
	}
	cfg.Preview = o.preview
	return cfg, path, nil
}

func run(args []string, stderr io.Writer) int {
	o, err := parseFlags("skranke", args, stderr, true)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, path, err := loadConfig(o)
	if err != nil {
		slog.Error("read configuration", "err", err)
		return 1
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// First start: keep what the flags said, so Settings shows it.
		if err := config.Save(path, cfg); err != nil {
			slog.Warn("save first configuration", "path", path, "err", err)
		}
	}
	// After the first save: a token from a file or the environment stays
	// there, not copied into the configuration file.
	tok, err := deskToken(o.tokenFile, os.Getenv)
	if err != nil {
		slog.Error("read the desk token", "err", err)
		return 1
	}
	if tok != "" {
		cfg.DeskToken = tok
	}
	slog.Info("starting Skranke", "config_file", path, "config", cfg)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Opt-in profiling (SKRANKE_PPROF, SKRANKE_CPUPROFILE; see pprof.go).
	stopProfiling, err := startProfiling(ctx, os.Getenv)
	if err != nil {
		slog.Error("start profiling", "err", err)
		return 1
	}
	defer stopProfiling()

	dataDir := cfg.DataDir
	if cfg.Training {
		// Training runs against a sandbox shop: never mix its data with the real cache.
		dataDir = filepath.Join(dataDir, "training")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		slog.Error("create data directory", "dir", dataDir, "err", err)
		return 1
	}
	shopURL, token := cfg.Shop()
	desk, err := desksync.Open(ctx, desksync.Config{BaseURL: shopURL, Token: token, DataDir: dataDir,
		AllowHTTP: cfg.AllowHTTP, CAFile: cfg.CAFile, BuyerRetention: time.Duration(cfg.BuyerRetentionDays) * 24 * time.Hour})
	if err != nil {
		var ie *desksync.InsecureURLError
		if errors.As(err, &ie) {
			slog.Error("the shop address is refused: use https://, or set \"allow_http\": true in the configuration file (or in Settings) to send the desk token and PINs unencrypted", "shop", shopURL, "config_file", path)
			return 1
		}
		slog.Error("open desk cache", "dir", dataDir, "err", err)
		return 1
	}
	defer desk.Close()
	runDone := make(chan struct{})
	// The sync loop starts once the window is shown (Services.Shown): a
	// first sync pulls at the speed of a core, and beside it the window of
	// an empty desk took 1.07-1.44 s to show, against 0.84-0.92 s when the
	// pull waits for it. So that a driver that never reports the window
	// shown cannot keep the desk from syncing, it starts after syncAnyway
	// at the latest.
	var runOnce sync.Once
	runSync := func(by string) {
		runOnce.Do(func() {
			go func() {
				defer close(runDone)
				slog.Info("sync loop started", "by", by)
				if err := desk.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
					slog.Error("sync loop stopped", "err", err)
				}
			}()
		})
	}

	prn, err := cfg.OpenPrinter()
	if err != nil {
		slog.Error("printer setting is not valid; printing is off until it is fixed in Settings", "target", cfg.PrinterTarget, "err", err)
	}
	sources := openSources(ctx, cfg) // The desk UI closes them.

	var beeper app.Beeper // Silent unless the system has a sound player.
	if b := newBeeper(ctx, dataDir); b != nil {
		beeper = b
	}

	a := fyneapp.NewWithID("no.skranke.desk")
	if a.Settings().ShowAnimations() {
		// The focused field's caret blinks by repainting the whole window
		// at 60 frames a second: 7 % of a core on a desk doing nothing.
		slog.Warn("built without the no_animations tag (the Makefile's DESK_TAGS): the caret blinks and the idle desk keeps repainting")
	}
	// Fyne's event loop is parked while the desk is at rest (idle.go).
	rest := newRestLoop()
	var wakeUI func()
	if rest != nil {
		wakeUI = rest.touch
	}
	d, err := openWindow(a, app.Services{
		Beeper:      beeper,
		Desk:        desk,
		Printer:     prn,
		Sources:     sources,
		OpenSources: openSources,
		Config:      cfg,
		SavePath:    path,
		WakeUI:      wakeUI,
		Shown:       func() { runSync("window") },
	})
	if err != nil {
		slog.Error("cannot open the desk's window: is a display available (on Linux an X server and $DISPLAY)?", "err", err)
		return 1
	}
	d.Start()
	anyway := time.AfterFunc(syncAnyway, func() { runSync("timeout") })
	if os.Getenv("GOGC") == "" {
		// The desk's live heap is 15-35 MB, most of it fonts Fyne parsed;
		// at the default 100 % the heap grows to twice that between
		// collections while staff scan. 50 % keeps it to one and a half
		// times, for a collection every few scans of some 10 ms of the
		// other core.
		debug.SetGCPercent(50)
	}
	// 1 MB: with 4 MB, up to 4 MB of garbage and freed pages stayed
	// resident at a desk waiting for a PIN (147-152 MB against 147-148
	// MB at 1 MB, five starts each); an idle desk's sync polls make a
	// collection of the 20 MB live every 10 s at most, some 0.1 % of a core.
	go releaseMemory(ctx, 10*time.Second, 1<<20)
	// Fyne quits the app on SIGINT and SIGTERM itself. A second Quit of
	// ours (on the same signal, or on stop() after the window closed)
	// would come after its loop ended, when Fyne runs it at once, on a GLFW
	// already terminated: a panic on every close.
	// Fyne's loop may hang on its way out whether a signal or staff
	// closing the window ended it (stuck.go).
	quitting, quit := context.WithCancel(ctx)
	defer quit()
	go func() {
		select {
		case <-d.Done():
			quit()
		case <-quitting.Done():
		}
	}()
	if rest != nil {
		go rest.run(quitting)
	}
	ran := make(chan struct{})
	// The sync loop is stopped first: a window closed by staff leaves it
	// running, and Close waits for a pull in progress, minutes in a first
	// sync, which the stop cuts short.
	go exitIfStuck(quitting, ran, quitGrace, func() { stop(); desk.Close() }, os.Exit)
	d.ShowAndRun()
	anyway.Stop()
	runOnce.Do(func() { close(runDone) }) // The window was never shown.
	d.Close()
	close(ran)
	stop()
	select {
	case <-runDone:
	case <-time.After(5 * time.Second):
		slog.Warn("sync loop did not stop in time")
	}
	slog.Info("Skranke stopped")
	return 0
}

// syncAnyway is how long after the window was made the sync loop starts
// even if the window was not reported shown: far longer than a window
// takes to show on a loaded desk PC (3.3 s at most, measured), so that it
// never starts the loop beside a window still being drawn.
const syncAnyway = 30 * time.Second

// releaseMemory gives the operating system back the heap memory the desk
// no longer uses, every interval once more than slack of it waits: garbage
// not yet collected, or memory freed and kept. Starting and drawing a
// screen for the first time allocate tens of megabytes (fonts, text
// images) that are garbage soon after, but an idle desk allocates too
// little for the collector to run, and the runtime returns freed memory
// over minutes. A forced collection of the 25 MB that stay costs a few
// milliseconds, at most once an interval. The C heap, where the GL driver
// keeps text textures, is trimmed each interval too (trimCHeap).
func releaseMemory(ctx context.Context, interval time.Duration, slack uint64) {
	t := time.NewTicker(interval)
	defer t.Stop()
	ms := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"}, // Live and not yet collected.
		{Name: "/gc/heap/live:bytes"},                // Live at the last collection.
		{Name: "/memory/classes/heap/free:bytes"},    // Freed, not returned.
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(ms)
		for _, m := range ms {
			if m.Value.Kind() != metrics.KindUint64 {
				return // Not this runtime's metrics: leave it to the runtime.
			}
		}
		objects, live, free := ms[0].Value.Uint64(), ms[1].Value.Uint64(), ms[2].Value.Uint64()
		if objects > live+slack || free > slack {
			debug.FreeOSMemory()
		}
		trimCHeap()
	}
}

// openSources opens the hardware scanner the configuration names. A scanner
// that is not plugged in yet is not an error: the source keeps looking and
// reports its state on the status screen.
func openSources(ctx context.Context, cfg config.Config) []scanner.Source {
	switch cfg.ScannerSource {
	case "serial":
		if cfg.ScannerPort == "" {
			slog.Warn("serial scanner chosen but no port set")
			return nil
		}
		s, err := scanner.OpenSerial(ctx, scanner.SerialConfig{Port: cfg.ScannerPort, Baud: cfg.ScannerBaud})
		if err != nil {
			slog.Error("open serial scanner", "port", cfg.ScannerPort, "err", err)
			return nil
		}
		slog.Info("serial scanner", "port", cfg.ScannerPort)
		return []scanner.Source{s}
	case "hid":
		vid, pid, err := parseVIDPID(cfg.ScannerDevice)
		if err != nil {
			slog.Error("HID scanner setting", "device", cfg.ScannerDevice, "err", err)
			return nil
		}
		hc := scanner.HIDConfig{VendorID: vid, ProductID: pid}
		if l, err := scanner.ParseLayout(cfg.KeyboardScan); err == nil {
			hc.Mode, hc.Layout = scanner.HIDModeKeyboard, l
		}
		h, err := scanner.OpenHID(ctx, hc)
		if err != nil {
			slog.Error("open HID scanner", "device", cfg.ScannerDevice, "err", err)
			return nil
		}
		slog.Info("HID scanner", "device", cfg.ScannerDevice)
		return []scanner.Source{h}
	}
	return nil // The keyboard wedge needs nothing opened: it types into the scan field.
}

// parseVIDPID reads "0c2e:0b61".
func parseVIDPID(s string) (vid, pid uint16, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, 0, fmt.Errorf("want vendor:product in hex, such as 0c2e:0b61, got %q", s)
	}
	v, err1 := strconv.ParseUint(a, 16, 16)
	p, err2 := strconv.ParseUint(b, 16, 16)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("want vendor:product in hex, such as 0c2e:0b61, got %q", s)
	}
	return uint16(v), uint16(p), nil
}

// openWindow builds the desk's window. Fyne's GLFW driver panics when the
// windowing system cannot be reached (no X server, or Wine's desktop
// without a display driver); that is returned as an error, so the desk
// says what is missing and closes its cache instead of dumping goroutines.
func openWindow(a fyne.App, s app.Services) (d *app.Desk, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("open the window: %v", r)
		}
	}()
	return app.New(a, s), nil
}
