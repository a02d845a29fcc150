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
	"image/color"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/assets"
	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

// Services are the parts the UI drives. Desk is required; the rest may be
// nil, and the UI says so when it needs them.
type Services struct {
	Desk     *desksync.Desk
	Printer  *printer.Printer  // nil means no printer is configured.
	Pipeline *scanner.Pipeline // nil means a default pipeline.
	Sources  []scanner.Source  // Hardware scanners; their readings go through Pipeline. The desk closes them.
	// OpenSources opens the hardware scanners a configuration names; when
	// set, saving new scanner settings closes the old sources and opens the
	// new ones at once.
	OpenSources func(ctx context.Context, cfg config.Config) []scanner.Source
	Config      config.Config             // The settings in force.
	SavePath    string                    // Where Settings saves the config; empty means not saved.
	Logo        image.Image               // Printed on gift cards; nil means assets.Logo.
	Now         func() time.Time          // nil means time.Now.
	OnSaved     func(config.Config) error // Called after settings are saved, to apply them (printer, scanner).
	// ManualUI queues the UI updates of background work until RunPending
	// is called, instead of handing them to fyne.Do. Tests set it so that
	// every widget is touched on the test's goroutine.
	ManualUI bool
}

// Screen names a main screen.
type Screen int

// String names the screen in logs.
func (s Screen) String() string {
	switch s {
	case ScreenScan:
		return "scan"
	case ScreenCards:
		return "cards"
	case ScreenReport:
		return "report"
	case ScreenStatus:
		return "status"
	case ScreenSettings:
		return "settings"
	}
	return fmt.Sprintf("screen(%d)", int(s))
}

// The main screens, in F-key order.
const (
	ScreenScan Screen = iota
	ScreenCards
	ScreenReport
	ScreenStatus
	ScreenSettings
)

// Desk is the whole front-desk UI and its state. Tests build it with a test
// app and drive it through its exported widgets.
type Desk struct {
	App    fyne.App
	Window fyne.Window

	Login    *LoginScreen
	Scan     *ScanScreen
	Cards    *CardScreen
	Report   *ReportScreen
	Status   *StatusScreen
	Settings *SettingsScreen

	// Message is the bar at the bottom: what just happened, or what went wrong.
	Message *widget.Label
	// Online is the connection indicator in the top bar.
	Online *canvas.Text
	// StaffName shows who is logged in.
	StaffName *widget.Label
	// Preview is the print-preview window (config.Config.Preview), once a job
	// was printed.
	Preview *PreviewWindow

	svc    Services
	desk   *desksync.Desk
	cfg    config.Config
	now    func() time.Time
	logo   image.Image
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex // Guards printer, pipeline and sources, which settings may replace.
	printer  *printer.Printer
	pipeline *scanner.Pipeline
	sources  []scanner.Source

	previewMu  sync.Mutex // Guards previewSeq.
	previewSeq int        // Number of the last preview PNG written.

	qmu          sync.Mutex // Guards queue.
	queue        []func()   // UI updates waiting for RunPending (ManualUI).
	busy         atomic.Int64
	lastActivity atomic.Int64 // Unix nanoseconds.

	// UI-goroutine state.
	staff       *desksync.Staff
	screen      Screen
	centre      desksync.Centre
	deskInfo    desksync.DeskInfo
	msgBg       *canvas.Rectangle
	onlineDot   *canvas.Circle
	training    fyne.CanvasObject
	nav         fyne.CanvasObject
	navButtons  []*Button
	body        *fyne.Container
	screens     []fyne.CanvasObject
	centreName  *widget.Label
	lastStatus  desksync.Status
	lang        string // "nb" or "en": the UI's and the printouts' language.
	infoLoading bool
	waiters     []waiter // Follow-ups waiting for the sync; see await.
	checking    bool     // A check of the waiters is running.
	recheck     bool     // The sync reported news while checking.
	setup       bool     // First-time setup: Settings open without a login, as no staff list could be loaded.
}

// New builds the desk UI in a new window of a. Call Start to begin talking to
// the shop and the hardware, then show the window.
func New(a fyne.App, svc Services) *Desk {
	now := svc.Now
	if now == nil {
		now = time.Now
	}
	logo := svc.Logo
	if logo == nil {
		logo = decodePNG(assets.Logo)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Desk{
		App:      a,
		svc:      svc,
		desk:     svc.Desk,
		cfg:      svc.Config,
		now:      now,
		logo:     logo,
		ctx:      ctx,
		cancel:   cancel,
		printer:  svc.Printer,
		pipeline: svc.Pipeline,
	}
	if d.pipeline == nil {
		d.pipeline = newPipeline(d.cfg)
	}
	d.touch()
	d.lang = SetLanguage(d.cfg.Language)
	d.Window = a.NewWindow("Skranke")
	d.Window.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	d.Window.SetMaster()
	d.build()
	d.Window.Resize(fyne.NewSize(1200, 800))
	d.Window.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		d.touch()
		if !d.globalKey(ev) && (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) {
			// Enter confirms even after a click took the focus away.
			d.focusDefault()
			if f := d.Window.Canvas().Focused(); f != nil {
				f.TypedKey(ev)
			}
		}
	})
	d.Window.Canvas().SetOnTypedRune(func(r rune) {
		// A scan that arrives while nothing has focus still belongs in the scan field.
		d.touch()
		switch {
		case d.setup:
		case d.staff == nil:
			d.focus(d.Login.PIN)
			d.Login.PIN.TypedRune(r)
		case d.screen == ScreenScan && !d.Scan.panelOpen():
			d.focus(d.Scan.Entry)
			d.Scan.Entry.TypedRune(r)
		case d.screen == ScreenCards:
			d.focus(d.Cards.Entry)
			d.Cards.Entry.TypedRune(r)
		case d.screen == ScreenStatus:
			// Nothing there takes text: a scan means the next customer.
			d.Show(ScreenScan)
			d.focus(d.Scan.Entry)
			d.Scan.Entry.TypedRune(r)
		}
	})
	d.Window.SetOnClosed(d.Close)
	return d
}

// deskRune and deskKey hand a key typed in another of the desk's windows
// (the print preview) to the desk window, as if typed there: a scanner
// types into whichever window has the focus, and no scan may be lost.
func (d *Desk) deskRune(r rune) {
	c := d.Window.Canvas()
	if f := c.Focused(); f != nil {
		d.touch()
		f.TypedRune(r)
		return
	}
	c.OnTypedRune()(r)
}

func (d *Desk) deskKey(ev *fyne.KeyEvent) {
	c := d.Window.Canvas()
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	c.OnTypedKey()(ev)
}

// build creates every screen and the window content in the current language.
func (d *Desk) build() {
	d.Message = widget.NewLabel("")
	d.Message.Wrapping = fyne.TextWrapWord
	d.msgBg = canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	d.Online = bigText(22, true)
	d.onlineDot = canvas.NewCircle(colReady)
	d.StaffName = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	d.centreName = widget.NewLabelWithStyle(d.centreTitle(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// A long centre name gives way to the connection state rather than
	// widening the window beyond a small desk screen.
	d.centreName.Truncation = fyne.TextTruncateEllipsis

	var staffList []desksync.Staff
	if d.Login != nil {
		staffList = d.Login.staff // A rebuild (new language) keeps the staff list.
	}
	d.Login = newLoginScreen(d)
	if staffList != nil {
		d.Login.setStaff(staffList)
	}
	d.Scan = newScanScreen(d)
	d.Cards = newCardScreen(d)
	d.Report = newReportScreen(d)
	d.Status = newStatusScreen(d)
	d.Settings = newSettingsScreen(d)
	d.screens = []fyne.CanvasObject{d.Scan.obj, d.Cards.obj, d.Report.obj, d.Status.obj, d.Settings.obj}

	d.navButtons = []*Button{
		newButton(d, tr("nav.scan", "F1 Scan"), theme.SearchIcon(), func() { d.Show(ScreenScan) }),
		newButton(d, tr("nav.cards", "F2 Gift cards"), theme.AccountIcon(), func() { d.Show(ScreenCards) }),
		newButton(d, tr("nav.report", "F3 Daily report"), theme.DocumentIcon(), func() { d.Show(ScreenReport) }),
		newButton(d, tr("nav.status", "F4 Status"), theme.InfoIcon(), func() { d.Show(ScreenStatus) }),
		newButton(d, tr("nav.settings", "F5 Settings"), theme.SettingsIcon(), func() { d.Show(ScreenSettings) }),
		newButton(d, tr("nav.lock", "F12 Lock"), theme.LogoutIcon(), func() { d.Lock() }),
	}
	navObjs := make([]fyne.CanvasObject, len(d.navButtons))
	for i, b := range d.navButtons {
		b.Importance = widget.LowImportance
		navObjs[i] = b
	}
	d.nav = big(container.NewGridWithColumns(len(navObjs), navObjs...), 14)

	dot := container.NewGridWrap(fyne.NewSize(22, 22), d.onlineDot)
	top := container.NewBorder(nil, nil,
		widget.NewIcon(fyne.NewStaticResource("icon.png", assets.Icon)),
		container.NewHBox(d.StaffName, container.NewCenter(dot), d.Online),
		d.centreName,
	)
	trainingBar := newBanner(20)
	trainingBar.set(tr("training.banner", "TRAINING MODE – sandbox shop, prints are marked TRAINING"), colTraining)
	d.training = trainingBar.obj
	if !d.cfg.Training {
		d.training.Hide()
	}
	d.body = container.NewStack(append([]fyne.CanvasObject{d.Login.obj}, d.screens...)...)
	msg := container.NewStack(d.msgBg, d.Message)
	d.Window.SetContent(container.NewBorder(
		container.NewVBox(top, d.training, d.nav, widget.NewSeparator()),
		msg, nil, nil, d.body))
	d.applyStatus(d.lastStatus)
	if d.staff == nil {
		d.showLogin()
	} else {
		d.StaffName.SetText(d.staff.Name + " (" + roleName(d.staff.Role) + ")")
		d.Show(d.screen)
	}
}

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
	d.Login.reload()
	d.loadDeskInfo()
	d.watchStatus()
	d.sources = d.svc.Sources
	for _, src := range d.sources {
		d.watchSource(src)
	}
	go d.idleLoop()
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
	d.App.Lifecycle().SetOnStarted(func() {
		d.focusDefault()
		slog.Info("window shown", "title", d.Window.Title())
	})
	d.Window.Show()
	d.focusDefault()
	d.App.Run()
}

// Busy reports whether background work started by the UI is still running.
// Tests poll it; once it is false every widget update of that work is done.
func (d *Desk) Busy() bool { return d.busy.Load() > 0 }

// async runs work off the UI goroutine with a deadline; the func it returns,
// if any, runs on the UI goroutine afterwards.
func (d *Desk) async(work func(ctx context.Context) func()) {
	d.busy.Add(1)
	go func() {
		defer d.busy.Add(-1)
		ctx, cancel := context.WithTimeout(d.ctx, 60*time.Second)
		defer cancel()
		ui := work(ctx)
		if ui != nil && d.ctx.Err() == nil {
			d.doAndWait(ui)
		}
	}()
}

// do runs fn on the UI goroutine, or, with Services.ManualUI, queues it
// for RunPending.
func (d *Desk) do(fn func()) {
	if d.svc.ManualUI {
		d.qmu.Lock()
		d.queue = append(d.queue, fn)
		d.qmu.Unlock()
		return
	}
	fyne.Do(fn)
}

// doAndWait is do, returning when fn has run (or the desk closed).
func (d *Desk) doAndWait(fn func()) {
	if !d.svc.ManualUI {
		fyne.DoAndWait(fn)
		return
	}
	done := make(chan struct{})
	d.do(func() {
		defer close(done)
		fn()
	})
	select {
	case <-done:
	case <-d.ctx.Done():
	}
}

// RunPending runs the UI updates that background work queued, on the
// caller's goroutine, and reports how many ran. It is for tests, which set
// Services.ManualUI: fyne's test driver would otherwise run updates on
// whatever goroutine finished the work, racing with the test.
func (d *Desk) RunPending() int {
	n := 0
	for {
		d.qmu.Lock()
		q := d.queue
		d.queue = nil
		d.qmu.Unlock()
		if len(q) == 0 {
			return n
		}
		for _, fn := range q {
			fn()
			n++
		}
	}
}

// Staff returns the logged-in staff member, or nil when the desk is locked.
func (d *Desk) Staff() *desksync.Staff { return d.staff }

// CurrentScreen returns the screen shown.
func (d *Desk) CurrentScreen() Screen { return d.screen }

// Config returns the settings in force.
func (d *Desk) Config() config.Config { return d.cfg }

// canReport reports whether the staff member may see the daily report:
// managers, and accountants, who read but do not change.
func (d *Desk) canReport() bool {
	return d.isManager() || (d.staff != nil && d.staff.Role == desksync.RoleAccountant)
}

func (d *Desk) isManager() bool { return d.staff != nil && d.staff.Role == desksync.RoleManager }

// Show switches to screen s; managers only for the report and settings.
func (d *Desk) Show(s Screen) {
	if d.staff == nil {
		return
	}
	d.setup = false
	if (s == ScreenReport && !d.canReport()) || (s == ScreenSettings && !d.isManager()) {
		d.sayErr(tr("err.manager_only", "Only a manager can open this screen."))
		s = d.screen
	}
	d.screen = s
	d.Login.obj.Hide()
	d.nav.Show()
	for i, o := range d.screens {
		if Screen(i) == s {
			o.Show()
		} else {
			o.Hide()
		}
	}
	for i, b := range d.navButtons {
		if i < len(d.screens) && Screen(i) == s {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.LowImportance
		}
		b.Refresh()
	}
	slog.Info("screen shown", "screen", s.String())
	switch s {
	case ScreenReport:
		d.Report.load()
	case ScreenStatus:
		d.Status.load()
	case ScreenSettings:
		d.Settings.load()
	}
	d.focusDefault()
}

// OpenSetup shows Settings without a login, for a desk that has never
// reached its shop: without the right address and token there is no staff
// list to log in with. It does nothing once staff are known.
func (d *Desk) OpenSetup() {
	if d.staff != nil || len(d.Login.staff) > 0 {
		return
	}
	slog.Info("first-time setup opened")
	d.setup = true
	d.Login.obj.Hide()
	for i, o := range d.screens {
		o.Hide()
		if Screen(i) == ScreenSettings {
			o.Show()
		}
	}
	d.screen = ScreenSettings
	d.Settings.load()
	d.focus(d.Settings.ShopURL)
}

// closeSetup leaves first-time setup for the login screen.
func (d *Desk) closeSetup() {
	d.setup = false
	d.screen = ScreenScan
	d.showLogin()
}

// focusDefault puts the keyboard focus where the current screen expects the
// next input: the scan field, as a rule.
func (d *Desk) focusDefault() {
	c := d.Window.Canvas()
	if d.staff == nil {
		d.focus(d.Login.PIN)
		return
	}
	switch d.screen {
	case ScreenScan:
		if f := d.Scan.focusTarget(); f != nil {
			d.focus(f)
		}
	case ScreenCards:
		d.focus(d.Cards.focusTarget())
	case ScreenReport:
		d.focus(d.Report.Date)
	case ScreenSettings:
		d.focus(d.Settings.ShopURL)
	default:
		c.Unfocus()
	}
}

// globalKey handles the keys that work everywhere: F-keys switch screens,
// Esc cancels. It reports whether it used the key.
func (d *Desk) globalKey(ev *fyne.KeyEvent) bool {
	if d.staff == nil {
		if d.setup {
			switch ev.Name {
			case fyne.KeyEscape:
				d.closeSetup()
				return true
			case fyne.KeyF6:
				d.Settings.Save.OnTapped()
				return true
			}
		}
		return false
	}
	switch ev.Name {
	case fyne.KeyF1:
		d.Show(ScreenScan)
	case fyne.KeyF2:
		d.Show(ScreenCards)
	case fyne.KeyF3:
		d.Show(ScreenReport)
	case fyne.KeyF4:
		d.Show(ScreenStatus)
	case fyne.KeyF5:
		d.Show(ScreenSettings)
	case fyne.KeyF6, fyne.KeyF7, fyne.KeyF8:
		d.screenKey(ev.Name)
	case fyne.KeyF12:
		d.Lock()
	case fyne.KeyEscape:
		d.escape()
	default:
		return false
	}
	return true
}

// screenKey runs the current screen's action for F6 (its second action),
// F7 (credit) or F8 (print), so that every workflow works from the keyboard.
func (d *Desk) screenKey(k fyne.KeyName) {
	var b *Button
	switch d.screen {
	case ScreenScan:
		b = map[fyne.KeyName]*Button{fyne.KeyF6: d.Scan.ChooseQty, fyne.KeyF7: d.Scan.CreditButton, fyne.KeyF8: d.Scan.Reprint}[k]
	case ScreenCards:
		b = map[fyne.KeyName]*Button{fyne.KeyF6: d.Cards.RedeemAll, fyne.KeyF8: d.Cards.Reprint}[k]
	case ScreenReport:
		b = map[fyne.KeyName]*Button{fyne.KeyF6: d.Report.Export, fyne.KeyF8: d.Report.Print}[k]
	case ScreenStatus:
		b = map[fyne.KeyName]*Button{fyne.KeyF6: d.Status.SyncNow, fyne.KeyF8: d.Status.TestPrint}[k]
	case ScreenSettings:
		b = map[fyne.KeyName]*Button{fyne.KeyF6: d.Settings.Save}[k]
	}
	if b != nil && !b.Disabled() && b.Visible() {
		b.OnTapped()
	}
}

// escape cancels what is open on the current screen and goes back to scanning.
func (d *Desk) escape() {
	switch d.screen {
	case ScreenScan:
		d.Scan.cancel()
	case ScreenCards:
		d.Cards.clear()
		d.Show(ScreenScan)
	default:
		d.Show(ScreenScan)
	}
	d.focusDefault()
}

// say shows an informational message in the message bar.
func (d *Desk) say(text string) { d.setMessage(text, theme.Color(theme.ColorNameBackground)) }

// sayOK shows a success message.
func (d *Desk) sayOK(text string) { d.setMessage(text, tint(colOK, 0x40)) }

// sayErr shows an error message, logged too.
func (d *Desk) sayErr(text string) {
	slog.Info("desk message", "error", text)
	d.setMessage(text, tint(colBad, 0x50))
}

func (d *Desk) setMessage(text string, bg color.Color) {
	d.Message.SetText(text)
	d.msgBg.FillColor = bg
	d.msgBg.Refresh()
}

// touch records user activity for the idle lock.
func (d *Desk) touch() { d.lastActivity.Store(d.now().UnixNano()) }

// CheckIdle locks the desk if nobody has used it for the configured idle time
// as of now. The idle loop calls it; tests call it with a chosen time.
func (d *Desk) CheckIdle(now time.Time) {
	mins := d.cfg.IdleLockMinutes
	if mins <= 0 || d.staff == nil {
		return
	}
	last := time.Unix(0, d.lastActivity.Load())
	if now.Sub(last) >= time.Duration(mins)*time.Minute {
		slog.Info("desk locked after idle time", "staff", d.staff.ID, "minutes", mins)
		d.Lock()
	}
}

func (d *Desk) idleLoop() {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
			d.do(func() { d.CheckIdle(d.now()) })
		}
	}
}

// Lock logs the staff member out and shows the login screen.
func (d *Desk) Lock() {
	if d.staff != nil {
		slog.Info("staff logged out", "staff", d.staff.ID)
	}
	d.staff = nil
	d.StaffName.SetText("")
	d.Scan.reset()
	d.Cards.clear()
	d.showLogin()
	if !d.Login.loading {
		d.Login.reload() // Pick up staff added in the shop since.
	}
}

func (d *Desk) showLogin() {
	for _, o := range d.screens {
		o.Hide()
	}
	d.nav.Hide()
	d.Login.obj.Show()
	d.Login.PIN.SetText("")
	d.focus(d.Login.PIN)
}

// loggedIn is called by the login screen on success.
func (d *Desk) loggedIn(s desksync.Staff) {
	d.staff = &s
	d.touch()
	slog.Info("staff logged in", "staff", s.ID, "role", s.Role)
	d.StaffName.SetText(s.Name + " (" + roleName(s.Role) + ")")
	d.say(tr("login.welcome", "Logged in as {{.Name}}.", m{"Name": s.Name}))
	d.Show(ScreenScan)
}

func roleName(r desksync.Role) string {
	switch r {
	case desksync.RoleManager:
		return tr("role.manager", "manager")
	case desksync.RoleAccountant:
		return tr("role.accountant", "accountant")
	}
	return tr("role.staff", "staff")
}

// watchStatus follows the sync status and shows it in the top bar.
func (d *Desk) watchStatus() {
	ch, stop := d.desk.Subscribe()
	go func() {
		defer stop()
		t := time.NewTicker(15 * time.Second) // Keeps "last sync" ages fresh.
		defer t.Stop()
		for {
			st := d.desk.Status()
			d.do(func() { d.applyStatus(st) })
			select {
			case <-d.ctx.Done():
				return
			case <-ch:
			case <-t.C:
			}
		}
	}()
}

// applyStatus shows st in the top bar and on the status screen.
func (d *Desk) applyStatus(st desksync.Status) {
	prev := d.lastStatus
	d.lastStatus = st
	if st.Online {
		d.Online.Text = tr("status.online", "Online")
		d.Online.Color = colOK
		d.onlineDot.FillColor = colOK
	} else {
		d.Online.Text = tr("status.offline", "Offline")
		if !st.LastSync.IsZero() {
			d.Online.Text += " · " + tr("status.synced_ago", "synced {{.Age}} ago", m{"Age": fmtAge(d.now(), st.LastSync)})
		}
		d.Online.Color = colBad
		d.onlineDot.FillColor = colBad
	}
	if st.Pending > 0 {
		d.Online.Text += " · " + tr("status.pending_short", "{{.N}} waiting", m{"N": st.Pending})
	}
	if st.Conflicts > 0 {
		d.Online.Text += " · " + tr("status.conflicts_short", "{{.N}} refused", m{"N": st.Conflicts})
	}
	if st.Conflicts != prev.Conflicts && d.staff != nil && d.screen == ScreenStatus && d.Status != nil {
		d.Status.load() // Keep the conflicts list current while a manager looks at it.
	}
	d.Online.Refresh()
	d.onlineDot.Refresh()
	if st.Online && !prev.Online { // Back online: fetch what an offline start could not.
		if d.Login != nil && len(d.Login.staff) == 0 && !d.Login.loading {
			d.Login.reload()
		}
		if d.centre.ID == "" && !d.infoLoading {
			d.loadDeskInfo()
		}
	}
	if d.Status != nil {
		d.Status.show(st)
	}
	d.checkWaiters()
}

// waiter is follow-up work that waits for the sync: gift cards to print once
// the shop has sent them, the outcome of a redemption or credit whose answer
// was lost. It runs off the UI goroutine and returns nil while there is
// nothing to do yet, or the UI update to run, once, when there is.
type waiter func(ctx context.Context) func()

// await adds w to the follow-ups checked whenever the sync reports news.
func (d *Desk) await(w waiter) {
	d.waiters = append(d.waiters, w)
	d.checkWaiters()
}

// Waiting reports how many follow-ups wait for the sync.
func (d *Desk) Waiting() int { return len(d.waiters) }

func (d *Desk) checkWaiters() {
	if len(d.waiters) == 0 {
		return
	}
	if d.checking {
		d.recheck = true
		return
	}
	ws := d.waiters
	d.waiters, d.checking, d.recheck = nil, true, false
	d.async(func(ctx context.Context) func() {
		var uis []func()
		var left []waiter
		for _, w := range ws {
			if ui := w(ctx); ui != nil {
				uis = append(uis, ui)
			} else {
				left = append(left, w)
			}
		}
		return func() {
			d.checking = false
			d.waiters = append(left, d.waiters...)
			for _, ui := range uis {
				ui()
			}
			if d.recheck {
				d.checkWaiters()
			}
		}
	})
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
		d.lang = SetLanguage(cfg.Language)
		d.build()
	}
	if cfg.Training {
		d.training.Show()
	} else {
		d.training.Hide()
	}
	d.centreName.SetText(d.centreTitle())
}

// focus gives obj the keyboard focus. A field in a panel just shown may not
// be in the canvas's tree of rendered objects yet; measuring the content
// creates the renderers, and the second try finds it.
func (d *Desk) focus(obj fyne.Focusable) {
	c := d.Window.Canvas()
	if obj == nil || c == nil {
		return
	}
	c.Focus(obj)
	if c.Focused() != obj {
		d.Window.Content().MinSize()
		c.Focus(obj)
	}
}
