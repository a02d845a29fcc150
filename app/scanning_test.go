package app

import (
	"context"
	"os"
	"strconv"
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
	f.login("ingrid", "999999")
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

// chanSource is a hardware scanner source the test feeds by hand.
type chanSource struct {
	reads chan scanner.Reading
	stats chan scanner.DeviceStatus
}

func (s *chanSource) Readings() <-chan scanner.Reading      { return s.reads }
func (s *chanSource) Statuses() <-chan scanner.DeviceStatus { return s.stats }
func (s *chanSource) Close() error                          { return nil }

// productEAN8 returns an EAN-8 (valid GTIN check digit) whose eight digits
// also end in a valid Skranke check character: 1 EAN-8 in 32.
func productEAN8(t *testing.T) string {
	for n := 4000000; n < 5000000; n++ {
		body := strconv.Itoa(n)
		for d := '0'; d <= '9'; d++ {
			c := body + string(d)
			if validGTIN(c) && skranke.ValidCheck(c) {
				return c
			}
		}
	}
	t.Fatal("no fixture")
	return ""
}

// A HID POS scanner sends the symbology beside the data (bytes 2-4 of its
// report), and the pipeline uses it to tell a product's EAN-8 from one of
// our references made of digits. The desk must pass it on with the data:
// without it a product barcode from a HID POS scanner is looked up as a
// purchase ("UNKNOWN CODE") instead of "not a Skranke receipt".
func TestProductEAN8FromHIDPOSScannerIsNotAReceipt(t *testing.T) {
	ean8 := productEAN8(t)
	// The pipeline alone gets it right.
	sc, err := scanner.NewPipeline(scanner.Options{}).Process(scanner.Reading{Data: ean8, Symbology: scanner.SymEAN8, Source: "hid:0c2e:0b61"})
	require.NoError(t, err)
	require.Equal(t, scanner.Unknown, sc.Class, "pipeline with the symbology")

	src := &chanSource{reads: make(chan scanner.Reading, 1), stats: make(chan scanner.DeviceStatus, 1)}
	f := mustOpenWith(t, []scanner.Source{src})
	f.login("kari", "1234")
	src.reads <- scanner.Reading{Data: ean8, Symbology: scanner.SymEAN8, Source: "hid:0c2e:0b61", At: time.Now()}
	f.eventually(func() bool { return f.d.scan.StateNow() == stateUnknown && !f.d.isBusy() }, "the EAN-8 is shown")
	assert.Contains(t, f.d.scan.Detail.Text, label("scan.not_ours"), "EAN-8 %s from a HID POS scanner", ean8)
}

// validGTIN reports whether the last digit of s is its GTIN check digit.
func validGTIN(s string) bool {
	sum := 0
	for i := len(s) - 2; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-2-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return (10-sum%10)%10 == int(s[len(s)-1]-'0')
}
