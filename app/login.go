package app

import (
	"context"
	"log/slog"
	"slices"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
)

// loginScreen is where staff choose their name and type their PIN.
type loginScreen struct {
	// StaffButtons has one tile per staff member, by staff ID.
	StaffButtons map[string]*staffTile
	// PIN is the PIN field; Enter logs in.
	PIN *entry
	// Selected shows who is about to log in.
	Selected *fitText
	// Submit logs in.
	Submit *button
	// Error says why a login failed.
	Error *widget.Label
	// Setup opens Settings without a login; shown only while no staff
	// list could be loaded (a new desk, a wrong address or token).
	Setup *button

	sh       shell
	svc      loginService
	onLogin  func(skranke.Staff) // Called on the UI goroutine after a login.
	loading  bool
	loadErr  bool // Error shows a failure to load the staff list.
	staff    []skranke.Staff
	selected int
	grid     *fyne.Container
	obj      fyne.CanvasObject
}

// loginService is what the login screen asks of the desk's sync.
type loginService interface {
	Staff(ctx context.Context) ([]skranke.Staff, error)
	Login(ctx context.Context, staffID, pin string) (skranke.Staff, error)
}

// newLoginScreen builds the login screen; onLogin is called with whoever
// logged in, openSetup when staff ask to set up a desk that has no staff list.
func newLoginScreen(sh shell, svc loginService, onLogin func(skranke.Staff), openSetup func()) *loginScreen {
	l := &loginScreen{sh: sh, svc: svc, onLogin: onLogin, StaffButtons: map[string]*staffTile{}, selected: -1}
	title := bigText(36, true)
	title.Text = label("login.title")
	title.Alignment = fyne.TextAlignCenter
	l.Selected = bigText(28, true)
	l.Selected.Alignment = fyne.TextAlignCenter
	l.PIN = newEntry(sh, label("login.pin"))
	l.PIN.Password = true
	l.PIN.OnSubmitted = func(string) { l.submit() }
	l.Submit = newButton(sh, label("login.submit"), theme.LoginIcon(), l.submit)
	l.Submit.Importance = widget.HighImportance
	l.Setup = newButton(sh, label("login.setup"), theme.SettingsIcon(), openSetup)
	l.Setup.Hide()
	l.Error = widget.NewLabel("")
	l.Error.Wrapping = fyne.TextWrapWord
	l.grid = container.NewGridWrap(fyne.NewSize(220, 80))
	help := widget.NewLabel(label("login.help"))
	help.Wrapping = fyne.TextWrapWord
	form := container.NewVBox(l.Selected, big(l.PIN, 28), big(l.Submit, 16), l.Error, help, big(container.NewVBox(l.Setup), 16))
	l.obj = container.NewBorder(container.NewVBox(title, widget.NewSeparator()), nil, nil,
		container.NewGridWrap(fyne.NewSize(420, 420), form),
		container.NewVScroll(l.grid))
	// Up, Down, Left and Right choose the staff member without leaving
	// the PIN field.
	l.PIN.onArrow = l.move
	l.PIN.sideArrows = true
	return l
}

// move changes the selected staff member by delta, from the arrow keys.
func (l *loginScreen) move(delta int) {
	if len(l.staff) == 0 {
		return
	}
	i := l.selected + delta
	if i < 0 {
		i = len(l.staff) - 1
	}
	l.choose(i % len(l.staff))
}

// reload fetches the staff list (from the shop or the cache).
func (l *loginScreen) reload() {
	l.loading = true
	l.sh.async(func(ctx context.Context) func() {
		staff, err := l.svc.Staff(ctx)
		return func() {
			l.loading = false
			if err != nil {
				l.Error.SetText(label("login.no_staff", m{"Err": errText(err)}))
				l.loadErr = true
				if len(l.staff) == 0 {
					l.Setup.Show()
				}
				return
			}
			l.Setup.Hide()
			l.setStaff(staff)
		}
	})
}

func (l *loginScreen) setStaff(staff []skranke.Staff) {
	sort.SliceStable(staff, func(i, j int) bool { return staff[i].Name < staff[j].Name })
	prev := ""
	if l.selected >= 0 && l.selected < len(l.staff) {
		prev = l.staff[l.selected].ID
	}
	same := slices.Equal(l.staff, staff) && len(l.StaffButtons) == len(staff)
	l.staff = staff
	l.selected = -1
	slog.Info("staff list loaded", "staff", len(staff))
	if !same {
		// Reloaded at every lock: the tiles are made again only when the
		// list changed, since the refresh that sizes them parses the
		// fonts again for good (see readable).
		l.StaffButtons = map[string]*staffTile{}
		l.grid.RemoveAll()
		for i, s := range staff {
			name := s.Name
			if s.Role == skranke.RoleManager {
				name += " ★"
			}
			b := newStaffTile(l.sh, name, func() { l.choose(i) })
			l.StaffButtons[s.ID] = b
			l.grid.Add(b)
		}
		l.grid.Refresh()
	}
	if len(staff) > 0 {
		l.choose(0)
		l.Choose(prev) // Keep who was chosen when the list is reloaded.
	}
	if l.loadErr {
		l.Error.SetText("")
		l.loadErr = false
	}
}

// Choose selects the staff member with the given ID.
func (l *loginScreen) Choose(staffID string) {
	for i, s := range l.staff {
		if s.ID == staffID {
			l.choose(i)
			return
		}
	}
}

func (l *loginScreen) choose(i int) {
	l.selected = i
	for id, b := range l.StaffButtons {
		if id == l.staff[i].ID {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	l.Selected.Text = l.staff[i].Name
	l.Selected.Refresh()
	l.sh.focus(l.PIN)
}

func (l *loginScreen) submit() {
	if l.selected < 0 || l.selected >= len(l.staff) {
		l.Error.SetText(label("login.choose"))
		return
	}
	pin := l.PIN.Text
	if pin == "" {
		l.Error.SetText(label("login.type_pin"))
		return
	}
	id := l.staff[l.selected].ID
	l.Submit.Disable()
	l.sh.async(func(ctx context.Context) func() {
		s, err := l.svc.Login(ctx, id, pin)
		return func() {
			l.Submit.Enable()
			l.PIN.SetText("")
			if err != nil {
				slog.Info("login refused", "staff", id, "err", err)
				switch skranke.KindOf(err) {
				case skranke.Unauthorized:
					l.Error.SetText(label("login.wrong_pin"))
				case skranke.Locked:
					l.Error.SetText(errText(err))
				case skranke.Unavailable:
					// Offline, and no login at this desk to check the PIN by.
					l.Error.SetText(label("login.offline_first"))
				default:
					l.Error.SetText(label("login.failed", m{"Err": errText(err)}))
				}
				l.sh.focus(l.PIN)
				return
			}
			l.Error.SetText("")
			l.onLogin(s)
		}
	})
}

func (l *loginScreen) content() fyne.CanvasObject { return l.obj }

// focusTarget is the PIN field: the staff member is chosen with the arrows.
func (l *loginScreen) focusTarget() fyne.Focusable { return l.PIN }

// open shows the screen with an empty PIN field.
func (l *loginScreen) open() {
	l.obj.Show()
	l.PIN.SetText("")
}

// hasStaff reports whether a staff list was loaded.
func (l *loginScreen) hasStaff() bool { return len(l.staff) > 0 }

// refresh reloads the staff list unless a load is on its way.
func (l *loginScreen) refresh() {
	if !l.loading {
		l.reload()
	}
}

// say shows why staff cannot go on, under the PIN field.
func (l *loginScreen) say(text string) { l.Error.SetText(text) }
