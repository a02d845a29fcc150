package app

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

// The smallest desk screen Skranke supports, and what the desktop takes
// of it: a window title bar and a task bar. The window's content must fit
// in the rest, so that a maximised window shows every button.
const (
	deskScreenW = 1024
	deskScreenH = 768
	titleBarH   = 32 // Windows 10/11 and GNOME at 100 % scale.
	taskBarH    = 40 // Windows' task bar at 100 % scale.
	// minTouch is the least height of an action button: a fingertip, as
	// in Apple's and Google's touch guidelines (44 pt, 48 dp).
	minTouch = 44
	// minPad is the least height of the signature pad at 1024×768.
	minPad = 250
)

// contentBudget is the largest content size that fits a maximised window
// on the desk screen: the screen less the title bar, the task bar and the
// window's padding.
func contentBudget() fyne.Size {
	pad := 2 * theme.Padding()
	return fyne.NewSize(deskScreenW-pad, deskScreenH-titleBarH-taskBarH-pad)
}

// layoutCase drives a desk into one state and names the buttons that must
// be on screen in it.
type layoutCase struct {
	name  string
	drive func(t *testing.T, f *fixture)
	// buttons are the state's action buttons.
	buttons func(d *Desk) map[string]fyne.CanvasObject
	// check asserts more of the laid-out state, if set.
	check func(t *testing.T, f *fixture)
}

func (f *fixture) submit(label string) {
	f.t.Helper()
	f.d.submit(f.shop.Code(label), "serial:/dev/ttyUSB0")
	f.idle()
	f.look()
}

var layoutCases = []layoutCase{
	{
		name:  "login",
		drive: func(t *testing.T, f *fixture) {},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			return map[string]fyne.CanvasObject{"log in": d.login.Submit, "PIN": d.login.PIN}
		},
	},
	{
		name: "scan offline, from the cache",
		drive: func(t *testing.T, f *fixture) {
			f.submit("many-lines")
			f.cutOff.Store(true)
			f.submit("many-lines")
			require.NotEmpty(t, f.d.scan.Cache.Text, "the purchase comes from the cache")
		},
		buttons: scanButtons,
	},
	{
		name: "scan not a valid code",
		drive: func(t *testing.T, f *fixture) {
			f.d.submit("WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", "serial:/dev/ttyUSB0")
			f.idle()
			require.Equal(t, stateUnknown, f.d.scan.StateNow())
		},
		buttons: scanButtons,
	},
	{
		name: "scan many lines",
		drive: func(t *testing.T, f *fixture) {
			f.submit("many-lines")
			require.Equal(t, stateDeliverable, f.d.scan.StateNow())
			require.GreaterOrEqual(t, len(f.d.scan.Purchase().Lines), 5)
		},
		buttons: scanButtons,
		check: func(t *testing.T, f *fixture) {
			// The lines are there, in a scroll: the last line can be
			// scrolled to.
			require.NotEmpty(t, f.d.scan.Lines.Objects)
			last := f.d.scan.Lines.Objects[len(f.d.scan.Lines.Objects)-1]
			assert.True(t, inScroll(f.d.window.Content(), last), "the lines scroll")
		},
	},
	{
		name: "scan partly delivered, choosing quantities",
		drive: func(t *testing.T, f *fixture) {
			f.submit("partly-delivered")
			f.key(fyne.KeyF6)
			require.NotEmpty(t, f.d.scan.Qty, "F6 opens the quantity fields")
			require.False(t, f.d.scan.DeliverChosen.Disabled())
		},
		buttons: scanButtons,
	},
	{
		name: "scan paid physical, signature",
		drive: func(t *testing.T, f *fixture) {
			f.submit("paid-physical")
			f.key(fyne.KeyReturn)
			require.True(t, f.d.scan.SignatureOpen())
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			s := d.scan
			return map[string]fyne.CanvasObject{"accept": s.SignAccept, "clear": s.SignClear, "cancel": s.SignCancel, "pad": s.Pad}
		},
		check: func(t *testing.T, f *fixture) {
			assert.GreaterOrEqual(t, f.d.scan.Pad.Size().Height, float32(minPad), "the pad is large enough to sign on")
			assert.Contains(t, f.d.scan.SignMessage.Text, "×", "the panel says what is signed for")
		},
	},
	{
		name: "scan credit panel",
		drive: func(t *testing.T, f *fixture) {
			f.submit("many-lines")
			f.key(fyne.KeyF7)
			require.True(t, f.d.scan.CreditOpen())
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			s := d.scan
			return map[string]fyne.CanvasObject{"credit": s.CreditConfirm, "cancel": s.CreditCancel, "amount": s.CreditAmount, "reason": s.CreditReason}
		},
	},
	{
		name: "scan credit panel, by lines",
		drive: func(t *testing.T, f *fixture) {
			f.submit("many-lines")
			f.key(fyne.KeyF7)
			require.True(t, f.d.scan.CreditOpen())
			f.d.scan.CreditMode.SetSelected(label("credit.by_lines"))
			require.NotEmpty(t, f.d.scan.CreditQty)
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			s := d.scan
			return map[string]fyne.CanvasObject{"credit": s.CreditConfirm, "cancel": s.CreditCancel, "reason": s.CreditReason}
		},
	},
	{
		name: "scan credit, a manager approves",
		drive: func(t *testing.T, f *fixture) {
			f.key(fyne.KeyF12)
			f.login("kari", "1234")
			f.submit("many-lines")
			f.key(fyne.KeyF7)
			require.True(t, f.d.scan.CreditOpen())
			require.True(t, f.d.scan.approving)
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			s := d.scan
			return map[string]fyne.CanvasObject{"approve": s.CreditApprove, "pin": s.CreditPIN, "manager": s.CreditManager}
		},
	},
	{
		name: "gift card chain",
		drive: func(t *testing.T, f *fixture) {
			f.submit("card-chain")
			require.Equal(t, idCards, f.d.currentScreen())
			require.NotNil(t, f.d.cards.Card())
			require.Greater(t, len(f.d.cards.Chain.Objects), 4, "the chain and its redemptions are listed")
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			c := d.screenCards()
			return map[string]fyne.CanvasObject{"use all": c.RedeemAll, "use amount": c.Redeem, "reprint": c.Reprint, "amount": c.Amount}
		},
		check: func(t *testing.T, f *fixture) {
			c := f.d.screenCards()
			assert.True(t, inScroll(f.d.window.Content(), c.Chain.Objects[len(c.Chain.Objects)-1]), "the chain scrolls")
		},
	},
	{
		name: "gift card offline, from the cache",
		drive: func(t *testing.T, f *fixture) {
			f.submit("card-chain")
			f.cutOff.Store(true)
			f.submit("card-chain")
			require.NotNil(t, f.d.cards.Card())
			require.NotEmpty(t, f.d.cards.Cache.Text, "the card comes from the cache")
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			c := d.screenCards()
			return map[string]fyne.CanvasObject{"use all": c.RedeemAll, "use amount": c.Redeem, "reprint": c.Reprint}
		},
	},
	{
		name: "daily report with activity",
		drive: func(t *testing.T, f *fixture) {
			for _, label := range []string{"paid-course", "promo", "giftcard-purchase"} {
				f.submit(label)
				f.key(fyne.KeyReturn)
				require.Equal(t, stateDelivered, f.d.scan.StateNow(), label)
			}
			for _, label := range []string{"card-1000", "card-2000"} {
				f.submit(label)
				test.Tap(f.d.cards.RedeemAll)
				test.Tap(f.d.cards.RedeemAll) // Yes.
				f.idle()
			}
			f.key(fyne.KeyF3)
			require.Equal(t, idReport, f.d.currentScreen())
			require.GreaterOrEqual(t, len(f.d.report.Shown()), 5)
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			r := d.screenReport()
			return map[string]fyne.CanvasObject{"export": r.Export, "print": r.Print, "day before": r.Prev, "day after": r.Next, "today": r.Today,
				"the month": r.Month}
		},
	},
	{
		name:  "status",
		drive: func(t *testing.T, f *fixture) { f.key(fyne.KeyF4) },
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			s := d.screenStatus()
			return map[string]fyne.CanvasObject{"sync now": s.SyncNow, "check printer": s.CheckPrinter, "test print": s.TestPrint}
		},
	},
	{
		name:  "the month, from the daily report",
		drive: openMonthWithStaff,
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			s := d.screenMonth()
			return map[string]fyne.CanvasObject{"export": s.Export, "print": s.Print, "month before": s.Prev, "month after": s.Next,
				"this month": s.This, "month field": s.Month}
		},
	},
	{
		name: "daily report, asking where to save",
		drive: func(t *testing.T, f *fixture) {
			f.key(fyne.KeyF3)
			require.Equal(t, idReport, f.d.currentScreen())
			f.key(fyne.KeyF6)
			require.True(t, f.d.report.Save.Visible())
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			p := d.report.Save
			return map[string]fyne.CanvasObject{"save": p.Confirm, "cancel": p.Cancel, "path": p.Path}
		},
	},
	{
		name: "the month, asking where to save",
		drive: func(t *testing.T, f *fixture) {
			openMonthWithStaff(t, f)
			f.key(fyne.KeyF6)
			require.True(t, f.d.month.Save.Visible())
		},
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			s := d.screenMonth()
			return map[string]fyne.CanvasObject{"save": s.Save.Confirm, "cancel": s.Save.Cancel, "path": s.Save.Path}
		},
	},
	{
		name:  "settings",
		drive: func(t *testing.T, f *fixture) { f.key(fyne.KeyF5) },
		buttons: func(d *Desk) map[string]fyne.CanvasObject {
			return map[string]fyne.CanvasObject{"save": d.settings.Save}
		},
	},
}

func scanButtons(d *Desk) map[string]fyne.CanvasObject {
	s := d.scan
	return map[string]fyne.CanvasObject{"deliver all": s.DeliverAll, "choose": s.ChooseQty, "deliver chosen": s.DeliverChosen,
		"credit": s.CreditButton, "reprint": s.Reprint, "scan field": s.Entry}
}

// TestFitsDeskScreen drives the desk into each of its states, in both
// languages (Norwegian runs longer) and with the training banner, and checks
// that the window asks for no more than a 1024×768 desk screen gives it, and
// that at that size every action button is on screen, fixed (not scrolled
// away), and large enough to touch.
// openMonthWithStaff opens the month from the daily report, once synced,
// and waits until it shows staff rows.
func openMonthWithStaff(t *testing.T, f *fixture) {
	f.eventually(func() bool { return !f.d.desk.Status().LastSync.IsZero() }, "never synced")
	f.key(fyne.KeyF3)
	test.Tap(f.d.report.Month)
	require.Equal(t, idMonth, f.d.currentScreen())
	showDemoMonth(f, f.d.month)
	f.eventually(func() bool { return len(f.d.month.Shown().Staff) > 0 }, "the month never showed staff")
}

func TestFitsDeskScreen(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		for _, tc := range layoutCases {
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				f := mustOpen(t, func(c *config.Config) {
					c.Language = lang
					c.Training = lang == "nb" // The banner takes height too.
				})
				if tc.name != "login" {
					f.login("ingrid", "999999") // A manager sees every button.
				}
				tc.drive(t, f)
				w := f.d.window
				// Wrapped text measures its height at the width it was last
				// given, and a resize to the same size lays nothing out: lay
				// out at 1 px less first, so that the final layout measures
				// the text at (about) its final width.
				w.Resize(fyne.NewSize(deskScreenW-1, deskScreenH))
				w.Resize(fyne.NewSize(deskScreenW, deskScreenH))

				min, budget := w.Content().MinSize(), contentBudget()
				t.Logf("content min size %.0f×%.0f (budget %.0f×%.0f)", min.Width, min.Height, budget.Width, budget.Height)
				assert.LessOrEqual(t, min.Width, budget.Width, "the window must not grow wider than the screen")
				assert.LessOrEqual(t, min.Height, budget.Height, "the window must not grow taller than the screen")

				csize := w.Canvas().Size()
				drv := fyne.CurrentApp().Driver()
				for name, b := range tc.buttons(f.d) {
					require.NotNil(t, b, name)
					path, ok := findVisible(w.Content(), b)
					if !assert.True(t, ok, "%s is not shown", name) {
						continue
					}
					assert.False(t, strings.Contains(path, fmt.Sprintf("%T", &container.Scroll{})), "%s scrolls with the content (%s)", name, path)
					pos, size := drv.AbsolutePositionForObject(b), b.Size()
					assert.True(t, pos.X >= 0 && pos.Y >= 0 && pos.X+size.Width <= csize.Width+0.5 && pos.Y+size.Height <= csize.Height+0.5,
						"%s at %v size %v lies outside the %v window", name, pos, size, csize)
					if _, isButton := b.(*button); isButton {
						assert.GreaterOrEqual(t, size.Height, float32(minTouch), "%s is too small to touch", name)
					}
				}
				if f.d.currentStaff() != nil && f.d.currentScreen() == idScan {
					// The state and the code read from across the desk.
					// Drawn at that size: a text that fits its room is
					// not shrunk (fitText).
					assert.GreaterOrEqual(t, f.d.scan.State.DrawnSize(), float32(36))
					assert.GreaterOrEqual(t, f.d.scan.Code.DrawnSize(), float32(40))
				}
				if tc.check != nil {
					tc.check(t, f)
				}
			})
		}
	}
}

// The Credit button is as large as Deliver beside it, and keeps its place
// and size for staff who are not managers (who credit with a manager's
// approval) as for managers, in both languages.
func TestCreditButtonAsLargeAsDeliver(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		t.Run(lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = lang })
			w := f.d.window
			for _, who := range [][2]string{{"kari", "1234"}, {"ingrid", "999999"}} {
				f.login(who[0], who[1])
				f.submit("paid-course")
				w.Resize(fyne.NewSize(deskScreenW-1, deskScreenH))
				w.Resize(fyne.NewSize(deskScreenW, deskScreenH))
				s := f.d.scan
				_, shown := findVisible(w.Content(), s.CreditButton)
				require.True(t, shown, "%s: Credit is shown", who[0])
				assert.False(t, s.CreditButton.Disabled(), "%s: a paid purchase can be credited", who[0])
				assert.Equal(t, s.DeliverAll.Size(), s.CreditButton.Size(), "%s: Credit is as large as Deliver", who[0])
				drv := fyne.CurrentApp().Driver()
				dp, cp := drv.AbsolutePositionForObject(s.DeliverAll), drv.AbsolutePositionForObject(s.CreditButton)
				assert.Equal(t, dp.X, cp.X, "%s: Credit lines up with Deliver", who[0])
				assert.Greater(t, cp.Y, dp.Y, "%s: Credit sits right under Deliver", who[0])
				assert.LessOrEqual(t, cp.Y-dp.Y, s.DeliverAll.Size().Height+2*theme.Padding(), "%s: nothing between Deliver and Credit", who[0])
				f.key(fyne.KeyF12)
			}
		})
	}
}

// drawnUnder lists the objects drawn directly under o: a container's,
// or those of a widget's renderer.
func drawnUnder(o fyne.CanvasObject) []fyne.CanvasObject {
	switch x := o.(type) {
	case *fyne.Container:
		return x.Objects
	case fyne.Widget:
		return test.WidgetRenderer(x).Objects()
	}
	return nil
}

// findVisible looks for target among the objects drawn under root: shown,
// with every container and widget above it shown. It returns the types on
// the way, so that callers can tell whether a scroll container is among them.
func findVisible(root, target fyne.CanvasObject) (string, bool) {
	if root == nil || !root.Visible() {
		return "", false
	}
	if root == target {
		return fmt.Sprintf("%T", root), true
	}
	for _, c := range drawnUnder(root) {
		if p, ok := findVisible(c, target); ok {
			return fmt.Sprintf("%T > %s", root, p), true
		}
	}
	return "", false
}

// inScroll reports whether target is shown inside a scroll container.
func inScroll(root, target fyne.CanvasObject) bool {
	p, ok := findVisible(root, target)
	return ok && strings.Contains(p, fmt.Sprintf("%T", &container.Scroll{}))
}
