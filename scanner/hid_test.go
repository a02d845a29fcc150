package scanner_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skranke/skranke/scanner"
)

// loadReports reads a recorded report file: one report a line in hex, and
// "# expect: <data> [<AIM>]" among the comments.
func loadReports(t testing.TB, name string) (reports [][]byte, expect []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "hid", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "# expect:"); ok {
			expect = strings.Fields(rest)
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(line, " ", ""))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		reports = append(reports, b)
	}
	return reports, expect
}

func TestPOSDecoder(t *testing.T) {
	tests := []struct {
		file      string
		symbology string
		class     scanner.Class
	}{
		{"pos_qr_reference.hex", "QR Code", scanner.Reference},
		{"pos_ean13_after_status.hex", "EAN/UPC", scanner.EAN13},
		{"pos_no_aim.hex", "", scanner.GiftCardCode},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			reports, expect := loadReports(t, tt.file)
			var d scanner.POSDecoder
			var got []string
			var sym string
			for _, r := range reports {
				if data, s, ok := d.Feed(r); ok {
					got, sym = append(got, data), s
				}
			}
			if len(got) != 1 || got[0] != expect[0] || sym != tt.symbology {
				t.Fatalf("decoded %q symbology %q, want [%s] %q", got, sym, expect[0], tt.symbology)
			}
			sc, err := scanner.NewPipeline(scanner.Options{}).Process(scanner.Reading{Data: got[0], Symbology: sym, Source: "hid:0c2e:0b61"})
			if err != nil || sc.Class != tt.class {
				t.Fatalf("pipeline: %+v, %v; want class %v", sc, err, tt.class)
			}
		})
	}
}

func TestPOSDecoderLongCode(t *testing.T) {
	reports, expect := loadReports(t, "pos_long_datamatrix.hex")
	if len(reports) != 3 {
		t.Fatalf("fixture has %d reports", len(reports))
	}
	var d scanner.POSDecoder
	for i, r := range reports[:2] {
		if _, _, ok := d.Feed(r); ok {
			t.Fatalf("report %d with the continue bit completed a code", i)
		}
	}
	data, sym, ok := d.Feed(reports[2])
	if !ok || sym != "Data Matrix" || !strings.HasPrefix(data, "https://shop.example.no/") || expect[0] != strconv.Itoa(len(data)) {
		t.Fatalf("got %d bytes %q (%s), want %s bytes", len(data), data, sym, expect[0])
	}
	if !strings.Contains(data, "7T2V9QBX4K0MZP3HWN81") {
		t.Fatalf("data %q lost the code across report boundaries", data)
	}
}

func TestDecodePOSReportRejects(t *testing.T) {
	for _, b := range [][]byte{nil, {2}, {1, 3, 0, 0, 0, 'a', 'b', 'c'}, {2, 57, ']', 'Q', '1'}, {2, 10, 0, 0, 0, 'a'}} {
		if _, err := scanner.DecodePOSReport(b); !errors.Is(err, scanner.ErrNotPOSReport) {
			t.Errorf("DecodePOSReport(% x) error %v", b, err)
		}
	}
}

func TestKeyboardDecoder(t *testing.T) {
	tests := []struct {
		file   string
		layout scanner.Layout
	}{
		{"kbd_us_repeats.hex", "us"},
		{"kbd_us_overlap.hex", "us"},
		{"kbd_no_grouped_aim.hex", "no"},
		{"kbd_alt_mode.hex", "us"},
		{"kbd_alt_mode.hex", "no"}, // Alt mode does not depend on the layout.
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+string(tt.layout), func(t *testing.T) {
			reports, expect := loadReports(t, tt.file)
			d := scanner.NewKeyboardDecoder(tt.layout)
			var got []string
			for _, r := range reports {
				got = append(got, d.Feed(r)...)
			}
			if len(got) != 1 || got[0] != expect[0] {
				t.Fatalf("decoded %q, want [%s]", got, expect[0])
			}
			sc, err := scanner.NewPipeline(scanner.Options{}).Process(scanner.Reading{Data: got[0], Source: "hid:0c2e:0b01"})
			if err != nil || sc.Class != scanner.Reference {
				t.Fatalf("pipeline: %+v, %v", sc, err)
			}
		})
	}
}

// TestKeyboardDecoderWrongLayout shows why the layout matters: the
// Norwegian recording decoded as US loses the hyphen and the "]".
func TestKeyboardDecoderWrongLayout(t *testing.T) {
	reports, expect := loadReports(t, "kbd_no_grouped_aim.hex")
	d := scanner.NewKeyboardDecoder("us")
	var got []string
	for _, r := range reports {
		got = append(got, d.Feed(r)...)
	}
	if len(got) != 1 || got[0] == expect[0] || !strings.Contains(got[0], "/") {
		t.Fatalf("decoded as US: %q; want a mangled %s with '/'", got, expect[0])
	}
}

// fakeHID stands in for USB hardware: devices come and go, and reports are
// fed to the open device through a channel.
type fakeHID struct {
	mu      sync.Mutex
	devices []scanner.HIDDevice
	open    *fakeDev
	opened  chan *fakeDev
}

type fakeDev struct {
	reports chan []byte
	fail    chan error
	closed  chan struct{}
	once    sync.Once
}

func (f *fakeHID) Enumerate(vid, pid uint16) ([]scanner.HIDDevice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []scanner.HIDDevice
	for _, d := range f.devices {
		if (vid == 0 || d.VendorID == vid) && (pid == 0 || d.ProductID == pid) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeHID) Open(d scanner.HIDDevice) (io.ReadCloser, error) {
	dev := &fakeDev{reports: make(chan []byte), fail: make(chan error, 1), closed: make(chan struct{})}
	f.mu.Lock()
	f.open = dev
	f.mu.Unlock()
	f.opened <- dev
	return dev, nil
}

func (f *fakeHID) plug(d ...scanner.HIDDevice) {
	f.mu.Lock()
	f.devices = d
	f.mu.Unlock()
}

func (d *fakeDev) Read(b []byte) (int, error) {
	select {
	case r := <-d.reports:
		return copy(b, r), nil
	case err := <-d.fail:
		return 0, err
	case <-d.closed:
		return 0, errors.New("hidapi: device closed")
	}
}

func (d *fakeDev) Close() error {
	d.once.Do(func() { close(d.closed) })
	return nil
}

func waitStatus(t *testing.T, ch <-chan scanner.DeviceStatus, want scanner.State) scanner.DeviceStatus {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s, ok := <-ch:
			if !ok {
				t.Fatalf("statuses closed waiting for %v", want)
			}
			if s.State == want {
				return s
			}
		case <-deadline:
			t.Fatalf("no %v status within 5 s", want)
		}
	}
}

func waitReading(t *testing.T, ch <-chan scanner.Reading) scanner.Reading {
	t.Helper()
	select {
	case r, ok := <-ch:
		if !ok {
			t.Fatal("readings closed")
		}
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no reading within 5 s")
	}
	return scanner.Reading{}
}

func TestHIDReconnects(t *testing.T) {
	honeywell := scanner.HIDDevice{VendorID: 0x0c2e, ProductID: 0x0b61, Product: "Xenon 1900", Path: "1-2:1.0", UsagePage: 0x8C}
	keyboardIf := honeywell
	keyboardIf.UsagePage, keyboardIf.Usage, keyboardIf.Path = 0x01, 0x06, "1-2:1.1"
	fake := &fakeHID{opened: make(chan *fakeDev, 4)}
	h, err := scanner.OpenHIDWith(context.Background(), scanner.HIDConfig{VendorID: 0x0c2e, ProductID: 0x0b61, Mode: "pos", MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}, fake)
	if err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, h.Statuses(), scanner.Disconnected); s.Err == nil {
		t.Fatal("Disconnected without a reason")
	}
	fake.plug(keyboardIf, honeywell)
	dev := <-fake.opened
	waitStatus(t, h.Statuses(), scanner.Connected)
	reports, expect := loadReports(t, "pos_qr_reference.hex")
	dev.reports <- reports[0]
	if r := waitReading(t, h.Readings()); r.Data != expect[0] || r.Symbology != "QR Code" || r.Source != "hid:0c2e:0b61" {
		t.Fatalf("reading %+v", r)
	}

	// Unplugged: the read fails; the scanner comes back on another path.
	fake.plug()
	dev.fail <- errors.New("hidapi: device disconnected")
	waitStatus(t, h.Statuses(), scanner.Disconnected)
	honeywell.Path = "1-3:1.0"
	fake.plug(honeywell)
	dev = <-fake.opened
	waitStatus(t, h.Statuses(), scanner.Connected)
	long, _ := loadReports(t, "pos_long_datamatrix.hex")
	for _, r := range long {
		dev.reports <- r
	}
	if r := waitReading(t, h.Readings()); len(r.Data) != 162 {
		t.Fatalf("long reading after reconnect: %d bytes", len(r.Data))
	}

	// Close ends the blocked read and closes both channels.
	done := make(chan struct{})
	go func() { h.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung behind a blocked read")
	}
	for range h.Readings() {
	}
	for range h.Statuses() {
	}
}

func TestHIDKeyboardMode(t *testing.T) {
	fake := &fakeHID{opened: make(chan *fakeDev, 1)}
	fake.plug(scanner.HIDDevice{VendorID: 0x1eab, ProductID: 0x0d10, Path: "k", UsagePage: 0x01, Usage: 0x06})
	h, err := scanner.OpenHIDWith(context.Background(), scanner.HIDConfig{VendorID: 0x1eab, Mode: "keyboard", Layout: "no", MinBackoff: time.Millisecond}, fake)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	dev := <-fake.opened
	reports, expect := loadReports(t, "kbd_no_grouped_aim.hex")
	for _, r := range reports {
		dev.reports <- r
	}
	if r := waitReading(t, h.Readings()); r.Data != expect[0] {
		t.Fatalf("reading %q, want %q", r.Data, expect[0])
	}
}

func TestOpenHIDConfigErrors(t *testing.T) {
	fake := &fakeHID{opened: make(chan *fakeDev, 1)}
	for _, cfg := range []scanner.HIDConfig{{}, {VendorID: 1, Mode: "serial"}, {VendorID: 1, Layout: "klingon"}} {
		if h, err := scanner.OpenHIDWith(context.Background(), cfg, fake); err == nil {
			h.Close()
			t.Errorf("OpenHID(%+v) accepted a bad config", cfg)
		}
	}
}

func TestListHIDScannersFirst(t *testing.T) {
	fake := &fakeHID{}
	fake.plug(
		scanner.HIDDevice{VendorID: 0x046d, ProductID: 0xc52b, Manufacturer: "Logitech", Product: "USB Receiver"},
		scanner.HIDDevice{VendorID: 0x0c2e, ProductID: 0x0b01, Manufacturer: "Honeywell", Product: "Voyager 1250g"},
		scanner.HIDDevice{VendorID: 0x05e0, ProductID: 0x1300, Product: "Symbol Bar Code Scanner", UsagePage: 0x8C},
	)
	devs, err := scanner.ListHIDWith(fake)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range devs {
		names = append(names, d.String())
	}
	want := "Symbol Bar Code Scanner (05e0:1300)|Honeywell Voyager 1250g (0c2e:0b01)|Logitech USB Receiver (046d:c52b)"
	if got := strings.Join(names, "|"); got != want {
		t.Fatalf("ListHID order:\n%s\nwant\n%s", got, want)
	}
}

// kbdReport is a boot keyboard report: modifiers and one key.
func kbdReport(mod, key byte) []byte { return []byte{mod, 0, key, 0, 0, 0, 0, 0} }

// typeReports returns the press and release reports a scanner set to l
// sends for s.
func typeReports(t *testing.T, l scanner.Layout, s string) [][]byte {
	var out [][]byte
	for _, r := range s {
		u, shift, altGr, ok := scanner.KeyFor(l, r)
		if !ok {
			t.Fatalf("no key for %q on %s", r, l)
		}
		var mod byte
		if shift {
			mod |= 0x02
		}
		if altGr {
			mod |= 0x40
		}
		out = append(out, kbdReport(mod, u), kbdReport(0, 0))
	}
	return out
}

// KeyboardDecoder reads Ctrl+M as CR, "as on a terminal". The letter of a
// Ctrl key is the one on the scanner's layout: on French AZERTY M is on
// usage 0x33 (US ';'), and a scanner set to French that ends its codes with
// Ctrl+M (CR) must end them, not type an "m" into the code.
func TestKeyboardScannerOnFrenchLayoutEndsCodeWithCtrlM(t *testing.T) {
	ref := withCheck("K7RM4QX")
	reports := typeReports(t, scanner.LayoutFR, ref)
	u, _, _, _ := scanner.KeyFor(scanner.LayoutFR, 'm')
	reports = append(reports, kbdReport(0x01, u), kbdReport(0, 0)) // Left Ctrl + M.
	d := scanner.NewKeyboardDecoder(scanner.LayoutFR)
	var got []string
	for _, r := range reports {
		got = append(got, d.Feed(r)...)
	}
	if len(got) != 1 || got[0] != ref {
		t.Fatalf("decoded %q, want [%s] (Ctrl+M on usage %#x)", got, ref, u)
	}
}

// Alt mode: the character typed as Alt + keypad digits is added when Alt
// is released. When the release comes in the same report as the next key,
// the Alt character still comes first: else the two come out swapped.
func TestKeyboardScannerAltModeCharacterKeepsItsPlace(t *testing.T) {
	const kp6, kp5 = 0x5E, 0x5D // Keypad 6 and 5: Alt+65 is "A".
	reports := [][]byte{
		kbdReport(0x04, 0), kbdReport(0x04, kp6), kbdReport(0x04, 0), kbdReport(0x04, kp5), kbdReport(0x04, 0),
		kbdReport(0, 0x05), // Alt up, B down.
		kbdReport(0, 0), kbdReport(0, 0x28), kbdReport(0, 0),
	}
	d := scanner.NewKeyboardDecoder(scanner.LayoutUS)
	var got []string
	for _, r := range reports {
		got = append(got, d.Feed(r)...)
	}
	if len(got) != 1 || got[0] != "Ab" {
		t.Fatalf("decoded %q, want [Ab]", got)
	}
}

// Ctrl+] is GS, as on a terminal: it is how keyboard-mode scanners send
// GS1's FNC1 separator. Typed as a plain "]" the code would hold a "]"
// where a GS (trimmed as a control character) belongs, and read as "not
// ours".
func TestKeyboardScannerCtrlBracketIsGS1Separator(t *testing.T) {
	ref := withCheck("K7RM4QX")
	reports := typeReports(t, scanner.LayoutUS, ref)
	u, _, _, _ := scanner.KeyFor(scanner.LayoutUS, ']')
	reports = append(reports, kbdReport(0x01, u), kbdReport(0, 0), kbdReport(0, 0x28), kbdReport(0, 0))
	d := scanner.NewKeyboardDecoder(scanner.LayoutUS)
	var got []string
	for _, r := range reports {
		got = append(got, d.Feed(r)...)
	}
	if len(got) != 1 || got[0] != ref+"\x1d" {
		t.Fatalf("decoded %q, want [%q]", got, ref+"\x1d")
	}
}
