// Package app is Skranke's front-desk user interface, built with Fyne: login,
// the scan screen with delivery and signatures, gift cards, credits, the daily
// report, status and settings. It calls package sync for everything the shop
// knows, scanner for codes and printer for paper, and does no I/O of its own
// on the UI goroutine.
package app

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/assets"
	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

// Services are the parts the UI drives. Desk is required; the rest may be
// nil, and the UI says so when it needs them. The unexported fields are for
// tests.
type Services struct {
	Desk     *desksync.Desk
	Printer  *printer.Printer  // nil means no printer is configured.
	Sources  []scanner.Source  // Hardware scanners; their readings go through the pipeline. The desk closes them.
	pipeline *scanner.Pipeline // nil means the pipeline the configuration describes.
	// OpenSources opens the hardware scanners a configuration names; when
	// set, saving new scanner settings closes the old sources and opens the
	// new ones at once.
	OpenSources func(ctx context.Context, cfg config.Config) []scanner.Source
	Config      config.Config // The settings in force.
	SavePath    string        // Where Settings saves the config; empty means not saved.
	Beeper      Beeper        // Sounds the refusal tone; nil is silent.
	// WakeUI, if set, is called before the desk hands the UI a change from
	// another goroutine (fyne.Do), so that an event loop parked while the
	// desk is at rest runs it at once (cmd/skranke's restLoop).
	WakeUI func()
	// Shown, if set, is called once the window is shown and the app's
	// event loop runs (on the UI goroutine: it must return at once).
	Shown func()
	// manualUI queues the UI updates of background work until runPending
	// is called, instead of handing them to fyne.Do. Tests set it so that
	// every widget is touched on the test's goroutine.
	manualUI bool
}

// Beeper sounds a short tone when the desk refuses what staff asked (not
// paid, an unknown code, another centre's code, an error), so that staff
// hear it without looking. Refusal must return at once: it is called on
// the UI goroutine.
type Beeper interface {
	Refusal()
}

// Desk is the front-desk window: it holds the screens, switches between
// them, and is the shell they reach the desk through. Tests build it with a
// test app and drive it through its widgets.
type Desk struct {
	app    fyne.App
	window fyne.Window

	login *loginScreen
	scan  *scanScreen
	// unsettledCards is the card screen's unsettled from before a rebuild,
	// until the new card screen is built (screenOf).
	unsettledCards map[string]bool
	cards          *cardScreen
	report         *reportScreen
	status         *statusScreen
	settings       *settingsScreen
	search         *searchScreen
	pickup         *pickupScreen
	sales          *salesScreen
	month          *monthScreen

	// message is the bar at the bottom: what just happened, or what went wrong.
	message *widget.Label
	// online is the connection indicator in the top bar.
	online *fitText
	// staffName shows who is logged in.
	staffName *widget.Label
	// preview is the print-preview window (config.Config.Preview), once a job
	// was printed.
	preview *previewWindow
	// probe tells when the next frame is painted (the scan's timing).
	probe *paintProbe

	svc Services
	// lastRefusal is when the refusal tone last sounded, on the desk's clock.
	lastRefusal time.Time
	desk        *desksync.Desk
	cfg         config.Config
	logo        image.Image
	ctx         context.Context
	cancel      context.CancelFunc

	mu       sync.Mutex // Guards printer, pipeline and sources, which settings may replace.
	printer  *printer.Printer
	retired  *printer.Printer // The last printer replaced (applyPrinter): a new one waits for its job.
	pipeline *scanner.Pipeline
	sources  []scanner.Source

	previewMu  sync.Mutex // Guards previewSeq.
	previewSeq int        // Number of the last preview PNG written.

	qmu          sync.Mutex // Guards queue.
	queue        []func()   // UI updates waiting for runPending (manualUI).
	busy         atomic.Int64
	lastActivity atomic.Int64 // Unix nanoseconds.
	touches      atomic.Int64 // How many times staff used the desk (touch).

	// stray gathers the keys typed where no field takes text, to tell a
	// scanner's burst (see stray.go).
	stray burst
	// clock replaces the wall clock when set (tests step it); see now.
	clock clock

	// UI-goroutine state.
	loggedOn    *skranke.Staff
	screen      screenID
	centre      skranke.Centre
	deskInfo    skranke.DeskInfo
	msgBg       *canvas.Rectangle
	onlineDot   *canvas.Circle
	training    fyne.CanvasObject
	nav         fyne.CanvasObject
	navButtons  []*button
	body        *fyne.Container
	screens     []screen // In screenID order.
	centreName  *widget.Label
	lastStatus  desksync.Status
	lang        string // "nb" or "en": the UI's and the printouts' language.
	infoLoading bool
	waiters     []waiter // Follow-ups waiting for the sync; see await.
	checking    bool     // A check of the waiters is running.
	recheck     bool     // The sync reported news while checking.
	setup       bool     // First-time setup: Settings open without a login, as no staff list could be loaded.
	// countingPickup: the pickup count on the scan screen is being read.
	countingPickup bool
	// pickupAsOf is what the pickup count last read followed (see
	// followPickupCount), and pickupCounts how many counts were read.
	pickupAsOf   pickupKey
	pickupCounts int
}

// New builds the desk UI in a new window of a. Call Start to begin talking to
// the shop and the hardware, then show the window.
func New(a fyne.App, svc Services) *Desk {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Desk{
		app:      a,
		svc:      svc,
		desk:     svc.Desk,
		cfg:      svc.Config,
		logo:     decodePNG(assets.Logo),
		ctx:      ctx,
		cancel:   cancel,
		printer:  svc.Printer,
		pipeline: svc.pipeline,
	}
	if d.pipeline == nil {
		d.pipeline = newPipeline(d.cfg)
	}
	d.touch()
	d.lang = setLanguage(d.cfg.Language)
	d.window = a.NewWindow("Skranke")
	d.window.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	d.window.SetMaster()
	d.build()
	d.window.Resize(fyne.NewSize(1200, 800))
	d.window.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		d.touch()
		if !d.globalKey(ev) && (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) {
			if d.strayEnter() {
				return
			}
			// Enter confirms even after a click took the focus away.
			d.focusDefault()
			if f := d.window.Canvas().Focused(); f != nil {
				f.TypedKey(ev)
			}
		}
	})
	// Ctrl+Z undoes the delivery just made, also while a button, not the
	// scan field, has the keyboard (the field's own Ctrl+Z comes first).
	d.window.Canvas().AddShortcut(&fyne.ShortcutUndo{}, func(sc fyne.Shortcut) {
		if d.loggedOn != nil && d.screen == idScan {
			d.scan.undoShortcut(sc)
		}
	})
	d.window.Canvas().SetOnTypedRune(func(r rune) {
		// A scan that arrives while nothing has focus still belongs in the scan field.
		d.touch()
		switch {
		case d.setup:
			d.strayRune(r)
		case d.loggedOn == nil:
			d.focus(d.login.focusTarget())
			d.login.PIN.TypedRune(r)
		default:
			if f := d.screens[d.screen].runeTarget(); f != nil {
				d.focus(f)
				f.TypedRune(r)
			} else {
				d.strayRune(r)
			}
		}
	})
	d.window.SetOnClosed(d.Close)
	return d
}

// build creates every screen and the window content in the current language.
func (d *Desk) build() {
	d.message = widget.NewLabel("")
	d.message.Wrapping = fyne.TextWrapWord
	d.msgBg = canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	d.online = bigText(22, true)
	d.online.Room = 420 // "Offline – synced 3 min ago" readable beside the staff name.
	d.onlineDot = canvas.NewCircle(colReady)
	d.staffName = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	d.centreName = widget.NewLabelWithStyle(d.centreTitle(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// A long centre name gives way to the connection state rather than
	// widening the window beyond a small desk screen.
	d.centreName.Truncation = fyne.TextTruncateEllipsis

	var staffList []skranke.Staff
	if d.login != nil {
		staffList = d.login.staff // A rebuild (new language) keeps the staff list.
	}
	d.login = newLoginScreen(d, d.desk, d.loggedIn, d.openSetup)
	if staffList != nil {
		d.login.setStaff(staffList)
	}
	// What staff still have to see to survives a rebuild: gift cards sold
	// that did not print (F8), and cards whose last use waits for its
	// outcome, which must not be used again meanwhile. The maps are
	// shared, so that work in flight for the old screens updates them.
	var unprinted map[string][]*unprintedCards
	if d.scan != nil {
		unprinted = d.scan.unprinted
	}
	if d.cards != nil && len(d.cards.unsettled) > 0 {
		d.unsettledCards = d.cards.unsettled
	}
	d.scan = newScanScreen(d, d.desk, d, d)
	d.scan.unprinted = unprinted
	// The other screens are built on first use (screenOf): building all
	// nine took half the desk's CPU before its window showed, most of it
	// measuring text in fonts parsed again for each theme override.
	d.cards, d.report, d.status, d.settings, d.search, d.pickup, d.sales, d.month = nil, nil, nil, nil, nil, nil, nil, nil
	d.screens = make([]screen, idMonth+1) // In screenID order; nil until built.
	d.screens[idScan] = d.scan

	d.navButtons = []*button{
		newButton(d, label("nav.scan"), theme.SearchIcon(), func() { d.showScreen(idScan) }),
		newButton(d, label("nav.cards"), theme.AccountIcon(), func() { d.showScreen(idCards) }),
		newButton(d, label("nav.report"), theme.DocumentIcon(), func() { d.showScreen(idReport) }),
		newButton(d, label("nav.status"), theme.InfoIcon(), func() { d.showScreen(idStatus) }),
		newButton(d, label("nav.settings"), theme.SettingsIcon(), func() { d.showScreen(idSettings) }),
		newButton(d, label("nav.search"), theme.SearchIcon(), func() { d.showScreen(idSearch) }),
		newButton(d, label("nav.pickup"), theme.ListIcon(), func() { d.showScreen(idPickup) }),
		newButton(d, label("nav.sales"), theme.DocumentIcon(), func() { d.showScreen(idSales) }),
		newButton(d, label("nav.month"), theme.DocumentIcon(), func() { d.showScreen(idMonth) }),
		newButton(d, label("nav.lock"), theme.LogoutIcon(), func() { d.lock() }),
	}
	navObjs := make([]fyne.CanvasObject, 0, len(d.navButtons))
	for i, b := range d.navButtons {
		b.Importance = widget.LowImportance
		if i := screenID(i); i == idSearch || i == idPickup || i == idSales || i == idMonth {
			// Eight entries do not fit a 1024 px screen: F9, F10, F11, the
			// scan screen's buttons and the daily report's "The month"
			// open these; the buttons stay in navButtons so that its
			// indexes remain the screens'.
			continue
		}
		navObjs = append(navObjs, b)
	}
	// Taller than a plain button, at the text size of the rest: no theme
	// override, whose fonts Fyne would parse again (see big).
	d.nav = roomy(container.NewGridWithColumns(len(navObjs), navObjs...))

	dot := container.NewGridWrap(fyne.NewSize(22, 22), d.onlineDot)
	top := container.NewBorder(nil, nil,
		widget.NewIcon(fyne.NewStaticResource("icon.png", assets.Icon)),
		container.NewHBox(d.staffName, container.NewCenter(dot), d.online),
		d.centreName,
	)
	trainingBar := newBanner(20)
	trainingBar.set(label("training.banner"), colTraining)
	d.training = trainingBar.obj
	if !d.cfg.Training {
		d.training.Hide()
	}
	d.body = container.NewStack(d.login.content(), d.scan.content())
	msg := container.NewStack(d.msgBg, d.message)
	d.probe = newPaintProbe(d.do)
	d.window.SetContent(container.NewStack(container.NewBorder(
		container.NewVBox(top, d.training, d.nav, widget.NewSeparator()),
		msg, nil, nil, d.body), d.probe.obj()))
	d.applyStatus(d.lastStatus)
	if d.loggedOn == nil {
		d.showLogin()
	} else {
		d.staffName.SetText(d.loggedOn.Name + " (" + roleName(d.loggedOn.Role) + ")")
		d.showScreen(d.screen)
	}
}

// screenOf returns screen id, building it first if it has not been shown
// since the window was built. A new screen starts hidden.
func (d *Desk) screenOf(id screenID) screen {
	if scr := d.screens[id]; scr != nil {
		return scr
	}
	toScan := func() fyne.Focusable {
		d.showScreen(idScan)
		return d.scan.Entry
	}
	var scr screen
	switch id {
	case idCards:
		d.cards = newCardScreen(d, d.desk, d, d)
		d.cards.unsettled, d.unsettledCards = d.unsettledCards, nil
		scr = d.cards
	case idReport:
		d.report = newReportScreen(d, d.desk, d, d.cfg.DataDir)
		d.report.openMonth = func() { d.showScreen(idMonth) }
		scr = d.report
	case idStatus:
		d.status = newStatusScreen(d, d.desk, d, toScan)
		scr = d.status
	case idSettings:
		d.settings = newSettingsScreen(d, d, d.svc.SavePath)
		scr = d.settings
	case idSearch:
		d.search = newSearchScreen(d, d.desk, d.openFound)
		scr = d.search
	case idPickup:
		d.pickup = newPickupScreen(d, d.desk, d.openFound, toScan)
		scr = d.pickup
	case idSales:
		d.sales = newSalesScreen(d, d.desk)
		scr = d.sales
	case idMonth:
		d.month = newMonthScreen(d, d.desk, d, d.cfg.DataDir)
		scr = d.month
	default:
		panic(fmt.Sprintf("app: no screen %v", id))
	}
	d.screens[id] = scr
	scr.content().Hide()
	d.body.Add(scr.content())
	if id == idStatus {
		d.status.show(d.lastStatus) // Kept for when it opens; see show.
	}
	return scr
}

// screenCards and screenStatus return their screen, built on first use
// (see screenOf).
func (d *Desk) screenCards() *cardScreen { d.screenOf(idCards); return d.cards }

func (d *Desk) screenStatus() *statusScreen { d.screenOf(idStatus); return d.status }

func (d *Desk) centreTitle() string {
	switch {
	case d.cfg.Centre != "":
		return d.cfg.Centre
	case d.centre.Name != "":
		return d.centre.Name
	}
	return "Skranke"
}

// Start loads the staff list and desk info, and starts watching the sync
// status, the hardware scanners and the idle lock. It returns at once.
func (d *Desk) Start() {
	d.login.reload()
	d.loadDeskInfo()
	d.watchStatus()
	d.resumeLateOutcomes()
	d.sources = d.svc.Sources
	for _, src := range d.sources {
		d.watchSource(src)
	}
	go d.idleLoop()
}

// resumeLateOutcomes waits again for the gift card uses and credits whose
// answer was lost before the desk last stopped (desksync.Desk.LateOutcomes),
// as the screens that made them did: staff are told what the shop did, and
// the remainder card of a gift card the shop took in part prints, though
// the screen that waited for it is gone.
func (d *Desk) resumeLateOutcomes() {
	d.async(func(ctx context.Context) func() {
		late, err := d.desk.LateOutcomes(ctx)
		if err != nil {
			slog.Warn("outcomes staff are owed", "err", err)
			return nil
		}
		return func() {
			for _, lo := range late {
				slog.Info("waiting again for an outcome staff are owed", "kind", lo.Kind, "id", lo.ID, "code", lo.Code)
				switch lo.Kind {
				case "redemption":
					d.screenCards().awaitOutcome(lo.ID, lo.Code, lo.Amount, lo.Staff)
				case "credit":
					d.scan.awaitCreditOutcome(skranke.Credit{ID: lo.ID, PurchaseCode: lo.Code, Amount: lo.Amount}, lo.Code)
				}
			}
		}
	})
}

// loadDeskInfo fetches this desk's name and its centre (from the cache when offline).
func (d *Desk) loadDeskInfo() {
	d.infoLoading = true
	d.async(func(ctx context.Context) func() {
		info, centre, err := d.desk.DeskInfo(ctx)
		return func() {
			d.infoLoading = false
			if err != nil {
				slog.Warn("desk info", "err", err)
				return
			}
			d.deskInfo, d.centre = info, centre
			d.centreName.SetText(d.centreTitle())
		}
	})
}

// Close stops the UI's background work and closes the hardware scanners. It
// does not close the desk or the printer.
func (d *Desk) Close() {
	d.cancel()
	d.closeSources()
}

// Done is closed once the desk closes: its window closed, or Close.
func (d *Desk) Done() <-chan struct{} { return d.ctx.Done() }

// closeSources closes the hardware scanners in use and forgets them. It
// blocks while they close.
func (d *Desk) closeSources() {
	d.mu.Lock()
	srcs := d.sources
	d.sources = nil
	d.mu.Unlock()
	for _, s := range srcs {
		_ = s.Close()
	}
}

// reopenSources replaces the hardware scanners after their settings
// changed. It blocks while old sources close; call it off the UI goroutine.
func (d *Desk) reopenSources(cfg config.Config) []scanner.Source {
	if d.svc.OpenSources == nil {
		return nil
	}
	d.closeSources()
	srcs := d.svc.OpenSources(d.ctx, cfg)
	d.mu.Lock()
	d.sources = srcs
	d.mu.Unlock()
	return srcs
}

// ShowAndRun shows the window and runs the app's event loop.
func (d *Desk) ShowAndRun() {
	d.app.Lifecycle().SetOnStarted(func() {
		d.focusDefault()
		// lang is the language chosen (printouts follow it); words is the
		// one fyne's lang actually finds the desk's words in.
		slog.Info("window shown", "title", d.window.Title(), "lang", d.lang, "words", label("lang.code"))
		if d.svc.Shown != nil {
			d.svc.Shown()
		}
	})
	d.window.Show()
	d.focusDefault()
	d.app.Run()
}

// setConfig replaces the settings in force (after Settings saved them) and
// rebuilds the UI when the language changed.
func (d *Desk) setConfig(cfg config.Config) {
	old := d.cfg
	d.cfg = cfg
	d.mu.Lock()
	d.pipeline = newPipeline(cfg)
	d.mu.Unlock()
	if old.Language != cfg.Language {
		d.lang = setLanguage(cfg.Language)
		d.build()
	}
	if cfg.Training {
		d.training.Show()
	} else {
		d.training.Hide()
	}
	d.centreName.SetText(d.centreTitle())
}

// scannerChanged reports whether the hardware scanner settings differ.
func scannerChanged(a, b config.Config) bool {
	return a.ScannerSource != b.ScannerSource || a.ScannerPort != b.ScannerPort || a.ScannerBaud != b.ScannerBaud ||
		a.ScannerDevice != b.ScannerDevice || a.KeyboardScan != b.KeyboardScan
}

func (d *Desk) configInForce() config.Config { return d.cfg }

func (d *Desk) inSetup() bool { return d.setup }

// apply puts saved settings in force where that is slow: the printer and
// the scanners. It runs off the UI goroutine and returns the UI half.
func (d *Desk) apply(old, cfg config.Config) (func(), error) {
	err := d.applyPrinter(cfg)
	var srcs []scanner.Source
	reopened := false
	if scannerChanged(old, cfg) && d.svc.OpenSources != nil {
		srcs, reopened = d.reopenSources(cfg), true
	}
	return func() {
		d.setConfig(cfg)
		if reopened {
			if d.status != nil {
				d.status.resetScanners()
			}
			for _, src := range srcs {
				d.watchSource(src)
			}
		}
	}, err
}
