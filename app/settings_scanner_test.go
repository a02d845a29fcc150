package app

import (
	"encoding/json"
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

// A manager sets the scanner's prefix, suffix and serial speed in Settings;
// they are saved to the config file (readable by the user only) and the
// prefix and suffix are stripped from scans at once.
func TestScannerSettingsSaved(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF5)
	require.Equal(t, idSettings, f.d.currentScreen())
	s := f.d.screenSettings()
	assert.Equal(t, "9600", s.ScannerBaud.Selected, "the default speed is shown")
	assert.Equal(t, 0, s.ScannerSuffix.SelectedIndex(), "no suffix")
	assert.Equal(t, []string{"None", "CR (Enter)", "LF", "CR LF", "Tab"}, s.ScannerSuffix.Options)
	assert.Contains(t, s.ScannerBaud.Options, "115200")

	// A prefix on two lines is refused.
	s.ScannerPrefix.SetText("X7\nY")
	test.Tap(s.Save)
	f.idle()
	assert.Contains(t, f.d.message.Text, "prefix")
	_, err := os.Stat(f.configPath)
	assert.True(t, os.IsNotExist(err), "nothing saved")

	s.ScannerPrefix.SetText("X7")
	s.ScannerSuffix.SetSelected("Tab")
	s.ScannerBaud.SetSelected("115200")
	test.Tap(s.Save)
	f.idle()
	require.Contains(t, f.d.message.Text, "saved")

	st, err := os.Stat(f.configPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the file holds the desk token")
	b, err := os.ReadFile(f.configPath)
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	assert.Equal(t, "X7", raw["scanner_prefix"])
	assert.Equal(t, "\t", raw["scanner_suffix"])
	assert.Equal(t, 115200.0, raw["scanner_baud"])
	cfg, err := config.Load(f.configPath)
	require.NoError(t, err)
	assert.Equal(t, "X7", cfg.ScannerPrefix)
	assert.Equal(t, "\t", cfg.ScannerSuffix)
	assert.Equal(t, 115200, cfg.ScannerBaud)
	assert.Equal(t, cfg.ScannerBaud, f.d.configInForce().ScannerBaud, "in force at once")

	// CR LF round-trips too, and the form shows what is saved.
	s.ScannerSuffix.SetSelected("CR LF")
	test.Tap(s.Save)
	f.idle()
	cfg, err = config.Load(f.configPath)
	require.NoError(t, err)
	assert.Equal(t, "\r\n", cfg.ScannerSuffix)
	f.key(fyne.KeyF1)
	f.key(fyne.KeyF5)
	assert.Equal(t, "X7", f.d.settings.ScannerPrefix.Text)
	assert.Equal(t, "CR LF", f.d.settings.ScannerSuffix.Selected)
	assert.Equal(t, "115200", f.d.settings.ScannerBaud.Selected)

	// A reading with the prefix and suffix finds the purchase.
	f.key(fyne.KeyF1)
	code := f.shop.Code("paid-course")
	f.d.submit("X7"+code+"\r\n", "serial:/dev/ttyTEST")
	f.idle()
	assert.Equal(t, stateDeliverable, f.d.scan.StateNow(), "%s / %s", f.d.scan.State.Text, f.d.message.Text)
}

// Only the fields of the chosen kind of scanner show, each with its label.
func TestIrrelevantScannerFieldsHidden(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF5)
	s := f.d.screenSettings()
	shown := func(o fyne.CanvasObject) bool {
		_, ok := findVisible(f.d.window.Content(), o)
		return ok
	}
	labelOf := func(o fyne.CanvasObject) fyne.CanvasObject {
		for i, x := range s.form.Objects {
			if i > 0 && containsObj(x, o) {
				return s.form.Objects[i-1]
			}
		}
		t.Fatalf("%T not in the form", o)
		return nil
	}
	for _, tc := range []struct {
		source                            int // Index in the scanner list: wedge, serial, HID.
		port, baud, device, layout, affix bool
	}{
		{0, false, false, false, true, true},
		{1, true, true, false, false, true},
		{2, false, false, true, true, true},
	} {
		s.ScannerSource.SetSelectedIndex(tc.source)
		f.idle()
		for name, want := range map[string]struct {
			o  fyne.CanvasObject
			on bool
		}{
			"port": {s.ScannerPort, tc.port}, "baud": {s.ScannerBaud, tc.baud}, "device": {s.ScannerDevice, tc.device},
			"layout": {s.KeyboardHost, tc.layout}, "prefix": {s.ScannerPrefix, tc.affix}, "suffix": {s.ScannerSuffix, tc.affix},
		} {
			assert.Equal(t, want.on, shown(want.o), "%s: %s field", scannerSources[tc.source], name)
			assert.Equal(t, want.on, labelOf(want.o).Visible(), "%s: %s label", scannerSources[tc.source], name)
		}
	}
}

// containsObj reports whether o is root or drawn under it.
func containsObj(root, o fyne.CanvasObject) bool {
	if root == o {
		return true
	}
	if c, ok := root.(*fyne.Container); ok {
		for _, x := range c.Objects {
			if containsObj(x, o) {
				return true
			}
		}
	}
	return false
}
