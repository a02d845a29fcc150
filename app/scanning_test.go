package app

import (
	"context"
	"os"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

// TestSerialScanner plays a serial barcode scanner through a pseudo-terminal:
// its readings go through the same pipeline as the scan field, and its state
// shows on the status screen.
func TestSerialScanner(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	port := slave.Name()
	slave.Close()
	t.Cleanup(func() { master.Close() })
	src, err := scanner.OpenSerial(context.Background(), scanner.SerialConfig{Port: port, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { src.Close() })

	f := mustOpenWith(t, []scanner.Source{src})
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	_, err = master.Write([]byte(code + "\r"))
	require.NoError(t, err)
	f.eventually(func() bool { return f.d.scan.StateNow() == stateDeliverable && !f.d.isBusy() }, "the serial scan shows the purchase: %q", f.d.scan.State.Text)
	assert.Equal(t, skranke.GroupCode(code), f.d.scan.Code.Text)
	assert.Contains(t, f.d.status.Scanner.Text, "serial:"+port)
	assert.Contains(t, f.d.status.Scanner.Text, "serial:"+port+": connected")

	// A mangled reading says what was read.
	_, err = master.Write([]byte("K7RM-4QX\r"))
	require.NoError(t, err)
	f.eventually(func() bool { return f.d.scan.StateNow() == stateUnknown }, "a bad reading is shown")
	assert.Contains(t, f.d.scan.Detail.Text, "K7RM-4QX")

	// A manager moves the scanner to another port: it works at once, and the
	// old port is closed.
	master2, port2 := newPTY(t)
	f.key(fyne.KeyF12)
	f.login("ingrid", "9999")
	f.key(fyne.KeyF5)
	f.d.settings.ScannerSource.SetSelectedIndex(1) // Serial port
	f.d.settings.ScannerPort.SetText(port2)
	test.Tap(f.d.settings.Save)
	f.idle()
	require.Contains(t, f.d.message.Text, "saved")
	f.key(fyne.KeyF1)
	code2 := f.shop.Code("authorized")
	_, err = master2.Write([]byte(code2 + "\r"))
	require.NoError(t, err)
	f.eventually(func() bool { return f.d.scan.Purchase() != nil && f.d.scan.Purchase().Code == code2 && !f.d.isBusy() },
		"the scanner on the new port works: %q", f.d.scan.State.Text)
	f.key(fyne.KeyF4)
	assert.Contains(t, f.d.status.Scanner.Text, "serial:"+port2+": connected")
	assert.NotContains(t, f.d.status.Scanner.Text, "serial:"+port+":")
}

func newPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	name := slave.Name()
	slave.Close()
	t.Cleanup(func() { master.Close() })
	return master, name
}
