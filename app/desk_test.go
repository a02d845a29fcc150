package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/assets"
	"github.com/skranke/skranke/cmd/shopd/shop"
	desksync "github.com/skranke/skranke/sync"
)

func TestLoginAndIdleLock(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.IdleLockMinutes = 2 })
	l := f.d.login
	assert.Equal(t, l.PIN, f.d.window.Canvas().Focused(), "the PIN field waits at start")

	// A wrong PIN is refused.
	l.Choose("kari")
	test.Type(l.PIN, "0000")
	l.PIN.Submit()
	f.idle()
	assert.Nil(t, f.d.currentStaff())
	assert.Contains(t, l.Error.Text, "Wrong PIN")
	assert.Empty(t, l.PIN.Text, "the PIN field is cleared")

	// Arrow keys choose the staff member.
	l.Choose("ingrid")
	l.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	assert.NotEqual(t, "Ingrid Solbakken", l.Selected.Text)
	l.Choose("kari")
	f.login("kari", "1234")
	assert.Contains(t, f.d.staffName.Text, "Kari Nordmann")
	assert.Equal(t, idScan, f.d.currentScreen())
	assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused(), "the scan field has the focus after login")

	// Not idle long enough: still logged in.
	f.d.checkIdle(time.Now().Add(time.Minute))
	assert.NotNil(t, f.d.currentStaff())
	f.d.checkIdle(time.Now().Add(3 * time.Minute))
	assert.Nil(t, f.d.currentStaff(), "the desk locks after the idle time")
	assert.Equal(t, l.PIN, f.d.window.Canvas().Focused())

	// Scanning while locked does nothing but ask for a login.
	f.d.submit(f.shop.Code("paid-course"), "serial:/dev/ttyUSB0")
	f.idle()
	assert.Contains(t, l.Error.Text, "Log in")
	assert.Empty(t, f.shop.Deliveries(f.shop.Code("paid-course")))
}

func TestKeyboardNavigation(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "9999")
	for _, k := range []struct {
		key    fyne.KeyName
		screen screenID
	}{
		{fyne.KeyF2, idCards}, {fyne.KeyF3, idReport}, {fyne.KeyF4, idStatus},
		{fyne.KeyF5, idSettings}, {fyne.KeyF1, idScan},
	} {
		f.key(k.key)
		assert.Equal(t, k.screen, f.d.currentScreen(), "key %s", k.key)
	}
	// Esc goes back to scanning from anywhere, with the focus in the scan field.
	f.key(fyne.KeyF4)
	f.key(fyne.KeyEscape)
	assert.Equal(t, idScan, f.d.currentScreen())
	assert.IsType(t, &scanEntry{}, f.d.window.Canvas().Focused())

	// A hardware scan of a gift card switches to the gift card screen.
	f.d.submit(f.shop.Code("card-fresh"), "serial:/dev/ttyUSB0")
	f.idle()
	assert.Equal(t, idCards, f.d.currentScreen())
	require.NotNil(t, f.d.cards.Card())
	// And a receipt scanned there goes back to the scan screen.
	f.d.submit(f.shop.Code("paid-course"), "serial:/dev/ttyUSB0")
	f.idle()
	assert.Equal(t, idScan, f.d.currentScreen())
	assert.Equal(t, stateDeliverable, f.d.scan.StateNow())
	// Esc clears the purchase.
	f.key(fyne.KeyEscape)
	assert.Equal(t, stateReady, f.d.scan.StateNow())
	// F12 locks.
	f.key(fyne.KeyF12)
	assert.Nil(t, f.d.currentStaff())
}

func TestNorwegian(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.Language = "nb" })
	assert.Contains(t, f.d.login.Submit.Text, "Logg inn")
	f.login("kari", "1234")
	assert.Contains(t, f.d.scan.State.Text, "Klar")
	f.scan(f.shop.Code("pending"))
	assert.Contains(t, f.d.scan.State.Text, "IKKE BETALT")
	f.scan(f.shop.Code("paid-course"))
	assert.Contains(t, f.d.scan.State.Text, "KLAR TIL UTLEVERING")
	p := f.shop.Purchase(f.shop.Code("paid-course"))
	assert.Contains(t, f.d.scan.Buyer.Text, p.Total().String(), "money as kr 1 234,50")
	assert.Contains(t, f.d.scan.Buyer.Text, p.CreatedAt.Local().Format("02.01.2006 15:04"), "dates as dd.mm.yyyy, 24 h")
	f.key(fyne.KeyReturn)
	test.Tap(f.d.scan.Reprint)
	f.idle()
	f.eventually(func() bool { return strings.Contains(string(f.printed()), "KOPI") }, "a Norwegian reprint is marked KOPI")
}

func TestTranslationsComplete(t *testing.T) {
	read := func(name string) map[string]string {
		b, err := assets.Translations.ReadFile("translations/" + name)
		require.NoError(t, err)
		var m map[string]string
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	en, nb := read("en.json"), read("nb.json")
	require.NotEmpty(t, en)
	field := regexp.MustCompile(`{{\s*\.\w+\s*}}`)
	fields := func(msg string) []string {
		fs := field.FindAllString(msg, -1)
		slices.Sort(fs)
		return slices.Compact(fs)
	}
	for k, v := range en {
		assert.NotEmpty(t, v, "en %s", k)
		assert.NotEmpty(t, nb[k], "nb.json lacks %s", k)
		// The same template fields in both languages.
		assert.Equal(t, fields(v), fields(nb[k]), "%s: template fields", k)
	}
	for k := range nb {
		assert.Contains(t, en, k, "en.json lacks %s", k)
	}
	for name, msgs := range map[string]map[string]string{"en": en, "nb": nb} {
		for k, v := range msgs {
			_, err := template.New(k).Parse(v)
			assert.NoError(t, err, "%s %s", name, k)
		}
	}
}

func TestSettingsSave(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.key(fyne.KeyF5)
	assert.Equal(t, idScan, f.d.currentScreen(), "staff cannot open settings")
	f.key(fyne.KeyF12)
	f.login("ingrid", "9999")
	f.key(fyne.KeyF5)
	require.Equal(t, idSettings, f.d.currentScreen())
	s := f.d.settings
	assert.Equal(t, f.shop.URL, s.ShopURL.Text)
	assert.Contains(t, s.PrinterTransport.Selected, "File")

	// Bad input is refused with a message and nothing is saved.
	s.ShopURL.SetText("not a url")
	test.Tap(s.Save)
	f.idle()
	assert.Contains(t, f.d.message.Text, "https://")
	s.ShopURL.SetText(f.shop.URL)

	newPrint := filepath.Join(t.TempDir(), "other.bin")
	s.PrinterAddress.SetText(newPrint)
	s.NoteHeader.SetText("Velkommen til Aktiv!")
	s.IdleLock.SetText("7")
	s.Training.SetChecked(true)
	test.Tap(s.Save)
	f.idle()
	assert.Contains(t, f.d.message.Text, "sandbox", "training needs a sandbox shop")
	assert.False(t, f.d.configInForce().Training)
	s.TrainingShopURL.SetText(f.shop.URL)
	s.TrainingToken.SetText(f.shop.DeskToken)
	test.Tap(s.Save)
	f.idle()
	assert.Contains(t, f.d.message.Text, "saved")
	assert.Equal(t, 7, f.d.configInForce().IdleLockMinutes)
	assert.True(t, f.d.configInForce().Training)

	// The new printer is in use at once, and training prints are marked.
	f.key(fyne.KeyF1)
	f.scan(f.shop.Code("paid-course"))
	f.key(fyne.KeyReturn)
	f.eventually(func() bool {
		b, _ := os.ReadFile(newPrint)
		return strings.Contains(string(b), "TRAINING") && strings.Contains(string(b), "Velkommen til Aktiv!")
	}, "the note went to the new printer, marked TRAINING: %s", f.d.message.Text)
}

func TestConflictsResolvedByManager(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code) // Cached.

	// This desk's network goes down; another desk hands the course over meanwhile.
	f.cutOff.Store(true)
	f.scan(code)
	require.Contains(t, f.d.scan.Cache.Text, "OFFLINE")
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow(), f.d.message.Text)
	other := desksync.NewClient(f.shop.URL, shop.DemoDesk2Token, desksync.ClientOptions{})
	_, err := other.Deliver(t.Context(), code, shop.DemoStaff2ID, desksync.DeliveryBody{ID: uuid.NewString()})
	require.NoError(t, err)

	// Back online, the shop refuses this desk's delivery: a conflict for a manager.
	f.cutOff.Store(false)
	f.desk.SyncNow()
	f.eventually(func() bool { return f.desk.Status().Conflicts == 1 }, "the refused delivery becomes a conflict")
	f.key(fyne.KeyF4)
	f.eventually(func() bool { return strings.Contains(f.d.status.Outbox.Text, "Refused: 1") }, "the status screen counts the conflict: %q", f.d.status.Outbox.Text)
	assert.Contains(t, f.d.online.Text, "1 refused")
	assert.Empty(t, f.d.status.Conflicts, "staff do not resolve conflicts")

	f.key(fyne.KeyF12)
	f.login("ingrid", "9999")
	f.key(fyne.KeyF4)
	require.Len(t, f.d.status.Conflicts, 1)
	var row *conflictRow
	for _, r := range f.d.status.Conflicts {
		row = r
	}
	assert.Contains(t, row.Conflict.Summary+row.Conflict.Reason, code[:4])

	// Retry sends it again; the shop refuses it again, and it comes back.
	test.Tap(row.Retry)
	f.idle()
	assert.Contains(t, f.d.message.Text, "Put back in the outbox")
	f.eventually(func() bool { return len(f.d.status.Conflicts) == 1 && f.desk.Status().Conflicts == 1 }, "the retried action is refused again")
	for _, r := range f.d.status.Conflicts {
		row = r
	}
	test.Tap(row.Discard)
	f.idle()
	assert.Contains(t, f.d.message.Text, "Write why", "a reason is required")
	test.Type(row.Reason, "Levert i skranke 2")
	test.Tap(row.Discard)
	f.idle()
	assert.Empty(t, f.d.status.Conflicts)
	assert.Equal(t, 0, f.desk.Status().Conflicts)
	assert.Len(t, f.shop.Deliveries(code), 1, "only the other desk's delivery counts")
}

func TestPrinterStatusAndTestPrint(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.key(fyne.KeyF4)
	st := f.d.status
	assert.Contains(t, st.Printer.Text, "Generic 80 mm")
	test.Tap(st.CheckPrinter)
	f.idle()
	assert.Contains(t, st.Printer.Text, "cannot report", "a file cannot tell its state")
	test.Tap(st.TestPrint)
	f.idle()
	f.eventually(func() bool { return len(f.printed()) > 0 }, "test page not printed")
}

func TestNoPrinterSaysSo(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "" })
	f.login("kari", "1234")
	f.scan(f.shop.Code("paid-course"))
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDelivered, f.d.scan.StateNow(), "delivery does not depend on the printer")
	assert.Contains(t, f.d.message.Text, "No printer")
}

func TestUnreachablePrinterKeepsDelivery(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "tcp://127.0.0.1:1" })
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDelivered, f.d.scan.StateNow())
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "not printed") }, "the failure is shown: %q", f.d.message.Text)
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the delivery stands")
	assert.False(t, f.d.scan.Reprint.Disabled(), "the note can be reprinted when the printer is back")
}

func TestLanguageChosenInSettings(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "9999")
	f.key(fyne.KeyF5)
	f.d.settings.Language.SetSelectedIndex(1) // Norsk bokmål
	test.Tap(f.d.settings.Save)
	f.idle()
	assert.Equal(t, "nb", f.d.configInForce().Language)
	assert.Contains(t, f.d.message.Text, "lagret")
	assert.Equal(t, idSettings, f.d.currentScreen())
	f.key(fyne.KeyF1)
	assert.Contains(t, f.d.scan.State.Text, "Klar – skann")
	f.key(fyne.KeyF12)
	assert.Contains(t, f.d.login.Submit.Text, "Logg inn")
	f.login("kari", "1234") // The staff list survived the rebuild.
	b, err := os.ReadFile(f.configPath)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"language": "nb"`)
}

// TestEveryStringTranslated checks that en.json has every label with the
// same English text as labels.go, that every label("key") call in the
// package's source names a label there, and that texts still given with
// their fallback at the call site (tr("key", "English")) are in en.json
// too, so that no string shows its fallback or its bare key only.
func TestEveryStringTranslated(t *testing.T) {
	b, err := assets.Translations.ReadFile("translations/en.json")
	require.NoError(t, err)
	var en map[string]string
	require.NoError(t, json.Unmarshal(b, &en))
	for key, text := range english {
		assert.Equal(t, text, en[key], "labels.go: key %s", key)
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	labelCall := regexp.MustCompile(`\blabel\(\s*"([^"]+)"`)
	trCall := regexp.MustCompile(`\btr\(\s*"([^"]+)"\s*,\s*"((?:[^"\\]|\\.)*)"`)
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, m := range labelCall.FindAllStringSubmatch(string(src), -1) {
			n++
			_, ok := english[m[1]]
			assert.True(t, ok, "%s: label %s is not in labels.go", name, m[1])
		}
		for _, m := range trCall.FindAllStringSubmatch(string(src), -1) {
			n++
			want, err := strconv.Unquote(`"` + m[2] + `"`)
			require.NoError(t, err)
			assert.Equal(t, want, en[m[1]], "%s: key %s", name, m[1])
		}
	}
	assert.Greater(t, n, 200)
}

func TestFirstTimeSetup(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.DeskToken = "wrong-token" })
	l := f.d.login
	assert.Empty(t, l.StaffButtons, "a wrong token gets no staff list")
	assert.Contains(t, l.Error.Text, "desk token")
	require.True(t, l.Setup.Visible(), "setup is offered while no staff are known")

	test.Tap(l.Setup)
	f.idle()
	require.Equal(t, idSettings, f.d.currentScreen())
	s := f.d.settings
	assert.Equal(t, s.ShopURL, f.d.window.Canvas().Focused())
	s.DeskToken.SetText(f.shop.DeskToken)
	f.key(fyne.KeyF6) // Save.
	assert.Contains(t, f.d.message.Text, "Restart")
	b, err := os.ReadFile(f.configPath)
	require.NoError(t, err)
	assert.Contains(t, string(b), f.shop.DeskToken)
	assert.Nil(t, f.d.currentStaff(), "setup logs nobody in")
	assert.Equal(t, l.PIN, f.d.window.Canvas().Focused(), "back at the login screen")
}

func TestSetupNotOfferedOnceStaffAreKnown(t *testing.T) {
	f := mustOpen(t)
	assert.False(t, f.d.login.Setup.Visible())
	f.d.openSetup()
	f.idle()
	assert.NotEqual(t, idSettings, f.d.currentScreen())
}

// Turning training mode on does not move a running desk to the sandbox
// shop: the manager is told to restart, rather than left to believe that
// what staff do now is practice.
func TestShopChangeAsksForRestart(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "9999")
	f.key(fyne.KeyF5)
	s := f.d.settings
	s.IdleLock.SetText("9")
	test.Tap(s.Save)
	f.idle()
	require.Contains(t, f.d.message.Text, "saved")
	assert.NotContains(t, f.d.message.Text, "Restart", "nothing about the shop changed")

	s.Training.SetChecked(true)
	s.TrainingShopURL.SetText("http://127.0.0.1:1")
	s.TrainingToken.SetText("sandbox-token")
	test.Tap(s.Save)
	f.idle()
	assert.Contains(t, f.d.message.Text, "Restart")
	assert.True(t, f.d.configInForce().Training)
}
