package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app"
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
	f.eventually(func() bool { return f.d.Scan.StateNow() == app.StateDeliverable && !f.d.Busy() }, "the serial scan shows the purchase: %q", f.d.Scan.State.Text)
	assert.Equal(t, scanner.Group(code), f.d.Scan.Code.Text)
	assert.Contains(t, f.d.Status.Scanner.Text, "serial:"+port)
	assert.Contains(t, f.d.Status.Scanner.Text, "serial:"+port+": connected")

	// A mangled reading says what was read.
	_, err = master.Write([]byte("K7RM-4QX\r"))
	require.NoError(t, err)
	f.eventually(func() bool { return f.d.Scan.StateNow() == app.StateUnknown }, "a bad reading is shown")
	assert.Contains(t, f.d.Scan.Detail.Text, "K7RM-4QX")
}
