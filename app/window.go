package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
)

// screenID names a main screen.
type screenID int

// String names the screen in logs.
func (s screenID) String() string {
	switch s {
	case idScan:
		return "scan"
	case idCards:
		return "cards"
	case idReport:
		return "report"
	case idStatus:
		return "status"
	case idSettings:
		return "settings"
	case idSearch:
		return "search"
	case idPickup:
		return "pickup"
	case idSales:
		return "sales"
	case idMonth:
		return "month"
	}
	return fmt.Sprintf("screen(%d)", int(s))
}

// The main screens, in F-key order.
const (
	idScan screenID = iota
	idCards
	idReport
	idStatus
	idSettings
	idSearch // The purchase of a buyer without the receipt (search.go).
	idPickup // What is paid and waits to be fetched (pickup.go).
	idSales  // The sales of a period, for managers and accountants (sales.go).
	idMonth  // The month, for managers and accountants (month.go), from the daily report.
)

// deskRune and deskKey hand a key typed in another of the desk's windows
// (the print preview) to the desk window, as if typed there: a scanner
// types into whichever window has the focus, and no scan may be lost.
func (d *Desk) deskRune(r rune) {
	c := d.window.Canvas()
	if f := c.Focused(); f != nil {
		d.touch()
		f.TypedRune(r)
		return
	}
	c.OnTypedRune()(r)
}

func (d *Desk) deskKey(ev *fyne.KeyEvent) {
	c := d.window.Canvas()
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	c.OnTypedKey()(ev)
}

// canReport reports whether the staff member may see the daily report:
// managers, and accountants, who read but do not change.
func (d *Desk) canReport() bool {
	return d.isManager() || (d.loggedOn != nil && d.loggedOn.Role == skranke.RoleAccountant)
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
	actionKeys() map[fyne.KeyName]*button
	// escape cancels what is open and reports whether the window goes
	// back to scanning.
	escape() (back bool)
	// lock forgets what the last person left on the screen.
	lock()
}

// showScreen switches to screen s; managers only for the report and settings.
func (d *Desk) showScreen(s screenID) {
	if d.loggedOn == nil {
		return
	}
	d.setup = false
	if ((s == idReport || s == idSales || s == idMonth) && !d.canReport()) || (s == idSettings && !d.isManager()) {
		d.sayErr(label("err.manager_only"))
		s = d.screen
	}
	if d.screen == idCards && s != idCards && d.cards != nil {
		// A card left on F2 is not there for the next customer to use.
		d.cards.clear()
	}
	d.screenOf(s)
	d.screen = s
	d.login.content().Hide()
	d.nav.Show()
	for i, scr := range d.screens {
		if scr != nil {
			show(scr.content(), screenID(i) == s)
		}
	}
	for i, b := range d.navButtons {
		imp := widget.LowImportance
		if i < len(d.screens) && screenID(i) == s {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			// Only a change: every scan passes here, and a refresh of the
			// ten buttons costs CPU and a frame for nothing.
			b.Importance = imp
			b.Refresh()
		}
	}
	d.screens[s].load()
	d.focusDefault()
	// Logged once the screen has the keyboard, so that what is typed after
	// the line reaches it (the end-to-end test types on this line).
	slog.Info("screen shown", "screen", s.String())
}

// openSetup shows Settings without a login, for a desk that has never
// reached its shop: without the right address and token there is no staff
// list to log in with. It does nothing once staff are known.
func (d *Desk) openSetup() {
	if d.loggedOn != nil || d.login.hasStaff() {
		return
	}
	slog.Info("first-time setup opened")
	d.setup = true
	d.login.content().Hide()
	d.screenOf(idSettings)
	for i, scr := range d.screens {
		if scr != nil {
			show(scr.content(), screenID(i) == idSettings)
		}
	}
	d.screen = idSettings
	d.screens[idSettings].load()
	d.focus(d.screens[idSettings].focusTarget())
}

// closeSetup leaves first-time setup for the login screen.
func (d *Desk) closeSetup() {
	d.setup = false
	d.screen = idScan
	d.showLogin()
}

// focusDefault puts the keyboard focus where the current screen expects the
// next input: the scan field, as a rule.
func (d *Desk) focusDefault() {
	c := d.window.Canvas()
	if d.loggedOn == nil {
		d.focus(d.login.focusTarget())
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
		d.showScreen(idScan)
	case fyne.KeyF2:
		d.showScreen(idCards)
	case fyne.KeyF3:
		d.showScreen(idReport)
	case fyne.KeyF4:
		d.showScreen(idStatus)
	case fyne.KeyF5:
		d.showScreen(idSettings)
	case fyne.KeyF9:
		d.showScreen(idSearch)
	case fyne.KeyF10:
		d.showScreen(idPickup)
	case fyne.KeyF11:
		d.showScreen(idSales)
	case fyne.KeyF6, fyne.KeyF7, fyne.KeyF8:
		d.screenKey(ev.Name)
	case fyne.KeyF12:
		d.lock()
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
	switch {
	case b == nil:
	case !b.Visible() && d.loggedOn != nil && !d.isManager():
		// Hidden from staff because it is a manager's: say so rather
		// than let the key do nothing at all.
		d.sayErr(label("err.manager_action"))
	case !b.Disabled() && b.Visible():
		b.OnTapped()
	}
}

// escape cancels what is open on the current screen and goes back to scanning.
func (d *Desk) escape() {
	if d.screens[d.screen].escape() {
		d.showScreen(idScan)
	}
	d.focusDefault()
}

// touch records user activity for the idle lock.
func (d *Desk) touch() {
	d.lastActivity.Store(d.now().UnixNano())
	d.touches.Add(1)
}

// checkIdle locks the desk if nobody has used it for the configured idle time
// as of now. The idle loop calls it; tests call it with a chosen time.
func (d *Desk) checkIdle(now time.Time) {
	mins := d.cfg.IdleLockMinutes
	if mins <= 0 || d.loggedOn == nil {
		return
	}
	last := time.Unix(0, d.lastActivity.Load())
	if now.Sub(last) >= time.Duration(mins)*time.Minute {
		slog.Info("desk locked after idle time", "staff", d.loggedOn.ID, "minutes", mins)
		d.lock()
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
			d.do(func() { d.checkIdle(d.now()) })
		}
	}
}

// lock logs the staff member out and shows the login screen.
func (d *Desk) lock() {
	if d.loggedOn != nil {
		id := d.loggedOn.ID
		slog.Info("staff logged out", "staff", id)
		// The staff session ends at the shop too: lock, logout and idle
		// lock all come here.
		d.async(func(ctx context.Context) func() {
			if err := d.desk.Logout(ctx, id); err != nil {
				slog.Warn("end staff session", "staff", id, "err", err)
			}
			return nil
		})
	}
	d.loggedOn = nil
	d.staffName.SetText("")
	// The next person at the desk reads nothing of the last one's work.
	d.say("")
	for _, scr := range d.screens {
		if scr != nil {
			scr.lock()
		}
	}
	d.showLogin()
	d.login.refresh() // Pick up staff added in the shop since.
}

func (d *Desk) showLogin() {
	for _, scr := range d.screens {
		if scr != nil {
			scr.content().Hide()
		}
	}
	d.nav.Hide()
	d.login.open()
	d.focus(d.login.focusTarget())
}

// loggedIn is called by the login screen on success.
func (d *Desk) loggedIn(s skranke.Staff) {
	d.loggedOn = &s
	d.touch()
	slog.Info("staff logged in", "staff", s.ID, "role", s.Role)
	d.staffName.SetText(s.Name + " (" + roleName(s.Role) + ")")
	d.say(label("login.welcome", m{"Name": s.Name}))
	d.showScreen(idScan)
}

func roleName(r skranke.Role) string {
	switch r {
	case skranke.RoleManager:
		return label("role.manager")
	case skranke.RoleAccountant:
		return label("role.accountant")
	}
	return label("role.staff")
}

// focus gives obj the keyboard focus. A field in a panel just shown may not
// be in the canvas's tree of rendered objects yet; measuring the content
// creates the renderers, and the second try finds it.
func (d *Desk) focus(obj fyne.Focusable) {
	c := d.window.Canvas()
	if obj == nil || c == nil {
		return
	}
	c.Focus(obj)
	if c.Focused() != obj {
		d.window.Content().MinSize()
		c.Focus(obj)
	}
}
