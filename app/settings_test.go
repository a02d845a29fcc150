package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

func TestSettingsSave(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.key(fyne.KeyF5)
	assert.Equal(t, idScan, f.d.currentScreen(), "staff cannot open settings")
	f.key(fyne.KeyF12)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF5)
	require.Equal(t, idSettings, f.d.currentScreen())
	s := f.d.screenSettings()
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

func TestLanguageChosenInSettings(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
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

// Turning training mode on does not move a running desk to the sandbox
// shop: the manager is told to restart, rather than left to believe that
// what staff do now is practice.
func TestShopChangeAsksForRestart(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF5)
	s := f.d.screenSettings()
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

// A manager changes the language while a purchase's gift cards wait for
// F8 (the roll ran out) and a card's last use waits for its outcome: the
// rebuilt screens keep both. F8 still prints the cards, and the card stays
// closed to another use until its outcome is known.
func TestLanguageChangeKeepsWhatStaffStillHaveToDo(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	code := f.shop.Code("giftcard-purchase")
	f.scan(code)
	require.NotNil(t, f.d.scan.Purchase())
	card := skranke.Card{Code: f.shop.Code("card-fresh"), InitialAmount: 50000, Balance: 50000, Currency: "NOK", Status: skranke.CardActive}
	paper := &cardsFailAfter{printing: f.d.scan.paper}
	f.d.scan.paper = paper
	f.d.scan.printCards(code, []skranke.Card{card}, false)
	require.NotEmpty(t, f.d.scan.unprinted[code])
	f.d.screenCards().unsettled = map[string]bool{f.shop.Code("card-1000"): true}

	f.key(fyne.KeyF5)
	f.d.settings.Language.SetSelectedIndex(1) // Norsk bokmål
	test.Tap(f.d.settings.Save)
	f.idle()
	require.Equal(t, "nb", f.d.configInForce().Language)

	assert.Len(t, f.d.scan.unprinted[code], 1, "the gift card that did not print is forgotten by the rebuild")
	assert.True(t, f.d.screenCards().unsettled[f.shop.Code("card-1000")], "a card whose use waits for its outcome is open again after the rebuild")
}
