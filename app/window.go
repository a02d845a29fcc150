package app

import (
	"fmt"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	desksync "github.com/skranke/skranke/sync"
)

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

// canReport reports whether the staff member may see the daily report:
// managers, and accountants, who read but do not change.
func (d *Desk) canReport() bool {
	return d.isManager() || (d.loggedOn != nil && d.loggedOn.Role == desksync.RoleAccountant)
}

func (d *Desk) isManager() bool { return isManager(d.loggedOn) }

// screen is one of the main screens, as the window drives it.
type screen interface {
	// content is what the window shows for the screen.
	content() fyne.CanvasObject
	// load refreshes what the screen shows as it opens.
	load()
	// focusTarget is where the keyboard goes on the screen; nil means nowhere.
	focusTarget() fyne.Focusable
	// runeTarget is where a key typed while nothing has the focus goes:
	// a scan that arrives then still belongs in a scan field. nil drops it.
	runeTarget() fyne.Focusable
	// actionKeys maps F6 (the second action), F7 (credit) and F8 (print)
	// to the screen's buttons, so that every workflow works from the keyboard.
	actionKeys() map[fyne.KeyName]*Button
	// escape cancels what is open and reports whether the window goes
	// back to scanning.
	escape() (back bool)
	// lock forgets what the last person left on the screen.
	lock()
}

// Show switches to screen s; managers only for the report and settings.
func (d *Desk) Show(s Screen) {
	if d.loggedOn == nil {
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
	for i, scr := range d.screens {
		show(scr.content(), Screen(i) == s)
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
	d.screens[s].load()
	d.focusDefault()
}

// OpenSetup shows Settings without a login, for a desk that has never
// reached its shop: without the right address and token there is no staff
// list to log in with. It does nothing once staff are known.
func (d *Desk) OpenSetup() {
	if d.loggedOn != nil || len(d.Login.staff) > 0 {
		return
	}
	slog.Info("first-time setup opened")
	d.setup = true
	d.Login.obj.Hide()
	for i, scr := range d.screens {
		show(scr.content(), Screen(i) == ScreenSettings)
	}
	d.screen = ScreenSettings
	d.screens[ScreenSettings].load()
	d.focus(d.screens[ScreenSettings].focusTarget())
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
	if d.loggedOn == nil {
		d.focus(d.Login.PIN)
		return
	}
	if f := d.screens[d.screen].focusTarget(); f != nil {
		d.focus(f)
	} else {
		c.Unfocus()
	}
}

// globalKey handles the keys that work everywhere: F-keys switch screens,
// Esc cancels. It reports whether it used the key.
func (d *Desk) globalKey(ev *fyne.KeyEvent) bool {
	if d.loggedOn == nil {
		if d.setup {
			switch ev.Name {
			case fyne.KeyEscape:
				d.closeSetup()
				return true
			case fyne.KeyF6:
				d.screenKey(ev.Name)
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
	b := d.screens[d.screen].actionKeys()[k]
	if b != nil && !b.Disabled() && b.Visible() {
		b.OnTapped()
	}
}

// escape cancels what is open on the current screen and goes back to scanning.
func (d *Desk) escape() {
	if d.screens[d.screen].escape() {
		d.Show(ScreenScan)
	}
	d.focusDefault()
}

// touch records user activity for the idle lock.
func (d *Desk) touch() { d.lastActivity.Store(d.now().UnixNano()) }

// CheckIdle locks the desk if nobody has used it for the configured idle time
// as of now. The idle loop calls it; tests call it with a chosen time.
func (d *Desk) CheckIdle(now time.Time) {
	mins := d.cfg.IdleLockMinutes
	if mins <= 0 || d.loggedOn == nil {
		return
	}
	last := time.Unix(0, d.lastActivity.Load())
	if now.Sub(last) >= time.Duration(mins)*time.Minute {
		slog.Info("desk locked after idle time", "staff", d.loggedOn.ID, "minutes", mins)
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
	if d.loggedOn != nil {
		slog.Info("staff logged out", "staff", d.loggedOn.ID)
	}
	d.loggedOn = nil
	d.StaffName.SetText("")
	for _, scr := range d.screens {
		scr.lock()
	}
	d.showLogin()
	if !d.Login.loading {
		d.Login.reload() // Pick up staff added in the shop since.
	}
}

func (d *Desk) showLogin() {
	for _, scr := range d.screens {
		scr.content().Hide()
	}
	d.nav.Hide()
	d.Login.obj.Show()
	d.Login.PIN.SetText("")
	d.focus(d.Login.PIN)
}

// loggedIn is called by the login screen on success.
func (d *Desk) loggedIn(s desksync.Staff) {
	d.loggedOn = &s
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
