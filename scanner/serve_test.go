package scanner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/skranke/skranke/scanner"
)

// TestServe reads two real sources (a serial port on a pty and a HID
// scanner on recorded reports) through one pipeline: scans from both,
// the same code from both within the window once, and a bad code as an
// error event.
func TestServe(t *testing.T) {
	master, port := newPTY(t)
	ser := mustOpenSerial(t, scanner.SerialConfig{Port: port})
	fake := &fakeHID{opened: make(chan *fakeDev, 1)}
	fake.plug(scanner.HIDDevice{VendorID: 0x0c2e, ProductID: 0x0b61, Path: "p", UsagePage: 0x8C})
	hid, err := scanner.OpenHIDWith(context.Background(), scanner.HIDConfig{VendorID: 0x0c2e, MinBackoff: time.Millisecond}, fake)
	if err != nil {
		t.Fatal(err)
	}
	defer hid.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := scanner.NewPipeline(scanner.Options{}).Serve(ctx, ser, hid)

	next := func() scanner.Event {
		t.Helper()
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("events closed")
			}
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
		}
		return scanner.Event{}
	}
	nextScan := func() scanner.Event {
		t.Helper()
		for {
			if e := next(); e.Status == nil {
				return e
			}
		}
	}
	connected := map[string]bool{}
	for len(connected) < 2 {
		if e := next(); e.Status != nil && e.Status.State == scanner.Connected {
			connected[e.Status.Source] = true
		}
	}
	dev := <-fake.opened

	reports, expect := loadReports(t, "pos_qr_reference.hex")
	dev.reports <- reports[0]
	if e := nextScan(); e.Err != nil || e.Scan.Code != expect[0] || e.Scan.Source != hid.Name() || e.Scan.Symbology != "QR Code" {
		t.Fatalf("HID event %+v", e)
	}
	// The same receipt again, now on the serial scanner: dropped. Then a bad
	// code and a good one.
	bad := expect[0][:7] + "0"
	if bad == expect[0] {
		bad = expect[0][:7] + "1"
	}
	gift := withCheck("ABCDEFGHJKMNPQRSTVW")
	write(t, master, expect[0]+"\r"+bad+"\r"+gift+"\r")
	var inv *scanner.InvalidError
	if e := nextScan(); !errors.As(e.Err, &inv) || inv.Raw != bad || e.Scan.Source != ser.Name() {
		t.Fatalf("serial event %+v, want the bad code %s rejected", e, bad)
	}
	if e := nextScan(); e.Err != nil || e.Scan.Code != gift || e.Scan.Class != scanner.GiftCardCode {
		t.Fatalf("serial event %+v, want gift card %s", e, gift)
	}
}
