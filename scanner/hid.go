package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/karalabe/usb"

	"github.com/skranke/skranke"
)

// HID modes.
const (
	HIDModePOS      = "pos"      // HID POS (usage page 0x8C): the scanner sends whole codes.
	HIDModeKeyboard = "keyboard" // USB keyboard: the scanner "types" codes.
)

// HIDConfig configures a USB HID scanner.
type HIDConfig struct {
	VendorID, ProductID uint16
	// Mode is HIDModePOS or HIDModeKeyboard; empty means POS.
	Mode string
	// Layout is the keyboard layout the scanner is set to, for keyboard mode;
	// empty means US.
	Layout Layout
	// MinBackoff and MaxBackoff bound the wait between attempts to find and
	// open the device; 0 means 200 ms and 2 s.
	MinBackoff, MaxBackoff time.Duration
}

// HIDDevice describes a HID device, for a settings screen.
type HIDDevice struct {
	VendorID, ProductID uint16
	Manufacturer        string
	Product             string
	Path                string
	// UsagePage is 0x8C for HID POS scanners, 0x01 for keyboards. Linux does
	// not report it (0).
	UsagePage uint16
	Usage     uint16
	Interface int
}

// String names the device for a list: "Honeywell Xenon 1900 (0c2e:0b61)".
func (d HIDDevice) String() string {
	name := d.Product
	if d.Manufacturer != "" {
		name = d.Manufacturer + " " + name
	}
	if name == "" {
		name = "HID device"
	}
	return fmt.Sprintf("%s (%04x:%04x)", name, d.VendorID, d.ProductID)
}

// hidBackend is what HID needs of the USB library; tests replace it, as no
// USB hardware is attached to the test machine.
type hidBackend interface {
	enumerate(vid, pid uint16) ([]HIDDevice, error)
	open(d HIDDevice) (io.ReadCloser, error)
}

// usbBackend is karalabe/usb (hidapi).
type usbBackend struct{}

func (usbBackend) enumerate(vid, pid uint16) ([]HIDDevice, error) {
	infos, err := usb.EnumerateHid(vid, pid)
	if err != nil {
		return nil, err
	}
	out := make([]HIDDevice, 0, len(infos))
	for _, i := range infos {
		out = append(out, HIDDevice{VendorID: i.VendorID, ProductID: i.ProductID,
			Manufacturer: i.Manufacturer, Product: i.Product, Path: i.Path,
			UsagePage: i.UsagePage, Usage: i.Usage, Interface: i.Interface})
	}
	return out, nil
}

func (usbBackend) open(d HIDDevice) (io.ReadCloser, error) {
	infos, err := usb.EnumerateHid(d.VendorID, d.ProductID)
	if err != nil {
		return nil, err
	}
	for _, i := range infos {
		if i.Path == d.Path {
			return i.Open()
		}
	}
	return nil, skranke.E("scanner.usbBackend.open", skranke.NotFound, fmt.Sprintf("HID device %s is gone", d.Path))
}

// ListHID returns the HID devices attached, scanners first (HID POS usage
// page, then known scanner vendors), for the settings screen.
func ListHID() ([]HIDDevice, error) { return listHID(usbBackend{}) }

func listHID(b hidBackend) ([]HIDDevice, error) {
	if !usb.Supported() {
		return nil, skranke.E("scanner.ListHID", skranke.Other, fmt.Errorf("%w (this build has no cgo)", usb.ErrUnsupportedPlatform))
	}
	devs, err := b.enumerate(0, 0)
	if err != nil {
		return nil, skranke.E("scanner.ListHID", skranke.Other, err)
	}
	rank := func(d HIDDevice) int {
		switch {
		case d.UsagePage == POSUsagePage:
			return 0
		case knownScannerVendors[d.VendorID]:
			return 1
		}
		return 2
	}
	sort.SliceStable(devs, func(i, j int) bool { return rank(devs[i]) < rank(devs[j]) })
	return devs, nil
}

// knownScannerVendors are USB vendor IDs of barcode scanner makers.
var knownScannerVendors = map[uint16]bool{
	0x0c2e: true, // Honeywell (Metrologic, Hand Held Products)
	0x0536: true, // Hand Held Products
	0x05e0: true, // Zebra (Symbol)
	0x05f9: true, // Datalogic
	0x080c: true, // Datalogic
	0x1eab: true, // Newland
	0x2dd6: true, // Newland
	0x1a86: true, // QinHeng (cheap scanners' USB bridge)
	0x2010: true, // Netum
	0x0483: true, // STMicroelectronics (many generic scanners)
}

// HID reads codes from a USB HID scanner, finding it again after any read
// error (unplugging, sleep). It implements Source.
type HID struct {
	device
	cfg     HIDConfig
	backend hidBackend

	devMu sync.Mutex
	dev   io.ReadCloser // The open device, closed by Close to end a blocked read.
}

var _ Source = (*HID)(nil)

// OpenHID starts reading codes from the HID scanner cfg names until ctx
// ends or Close is called. A scanner not (yet) attached is not an error: HID
// reports Disconnected and keeps looking. Only a bad configuration, or a
// build without USB support, is an error.
func OpenHID(ctx context.Context, cfg HIDConfig) (*HID, error) {
	if !usb.Supported() {
		return nil, skranke.E("scanner.OpenHID", skranke.Other, fmt.Errorf("%w (this build has no cgo)", usb.ErrUnsupportedPlatform))
	}
	return openHID(ctx, cfg, usbBackend{})
}

func openHID(ctx context.Context, cfg HIDConfig, b hidBackend) (*HID, error) {
	switch cfg.Mode {
	case "":
		cfg.Mode = HIDModePOS
	case HIDModePOS, HIDModeKeyboard:
	default:
		return nil, skranke.E("scanner.OpenHID", skranke.Invalid, fmt.Sprintf("unknown HID mode %q (want %q or %q)", cfg.Mode, HIDModePOS, HIDModeKeyboard))
	}
	if cfg.VendorID == 0 {
		return nil, skranke.E("scanner.OpenHID", skranke.Invalid, "no HID vendor ID configured")
	}
	if cfg.Layout != "" && cfg.Layout.table() == nil {
		return nil, skranke.E("scanner.OpenHID", skranke.Invalid, fmt.Sprintf("unknown keyboard layout %q", cfg.Layout))
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(2*time.Second, cfg.MinBackoff)
	}
	ctx, cancel := context.WithCancel(ctx)
	h := &HID{cfg: cfg, backend: b}
	h.init(fmt.Sprintf("hid:%04x:%04x", cfg.VendorID, cfg.ProductID), cancel)
	go h.run(ctx)
	go func() {
		// hidapi's read blocks until a report comes; closing the device is
		// what ends it.
		<-ctx.Done()
		h.devMu.Lock()
		if h.dev != nil {
			h.dev.Close()
			h.dev = nil
		}
		h.devMu.Unlock()
	}()
	return h, nil
}

// pick chooses the interface to read among those of the configured device:
// the HID POS one in POS mode, the keyboard one in keyboard mode, where the
// system tells usage pages (Windows, macOS); else the first.
func (h *HID) pick(devs []HIDDevice) (HIDDevice, bool) {
	var want uint16 = POSUsagePage
	if h.cfg.Mode == HIDModeKeyboard {
		want = 0x01
	}
	var match []HIDDevice
	for _, d := range devs {
		if d.VendorID == h.cfg.VendorID && (h.cfg.ProductID == 0 || d.ProductID == h.cfg.ProductID) {
			match = append(match, d)
		}
	}
	for _, d := range match {
		if d.UsagePage == want && (want != 0x01 || d.Usage == 0x06) {
			return d, true
		}
	}
	if len(match) == 0 {
		return HIDDevice{}, false
	}
	return match[0], true
}

var errHIDNotFound = errors.New("scanner not found")

func (h *HID) run(ctx context.Context) {
	defer h.finish()
	backoff := h.cfg.MinBackoff
	wait := func() bool {
		ok := sleepCtx(ctx, backoff)
		backoff = min(2*backoff, h.cfg.MaxBackoff)
		return ok
	}
	for ctx.Err() == nil {
		devs, err := h.backend.enumerate(h.cfg.VendorID, h.cfg.ProductID)
		if err != nil {
			h.setStatus(Failed, skranke.E("scanner.HID.run", skranke.Other, fmt.Errorf("look for HID scanner: %w", err)))
			if !wait() {
				break
			}
			continue
		}
		d, ok := h.pick(devs)
		if !ok {
			h.setStatus(Disconnected, errHIDNotFound)
			if !wait() {
				break
			}
			continue
		}
		dev, err := h.backend.open(d)
		if err != nil {
			// Found but not opened: on Linux a missing udev rule, on
			// Windows a keyboard the system keeps to itself.
			h.setStatus(Failed, skranke.E("scanner.HID.run", skranke.Other, fmt.Errorf("open HID scanner %s: %w", d, err)))
			if !wait() {
				break
			}
			continue
		}
		h.devMu.Lock()
		if ctx.Err() != nil {
			h.devMu.Unlock()
			dev.Close()
			break
		}
		h.dev = dev
		h.devMu.Unlock()
		h.setStatus(Connected, nil)
		backoff = h.cfg.MinBackoff
		err = h.readLoop(ctx, dev)
		h.devMu.Lock()
		if h.dev != nil {
			h.dev.Close()
			h.dev = nil
		}
		h.devMu.Unlock()
		if ctx.Err() != nil {
			break
		}
		h.setStatus(Disconnected, err)
		if !wait() {
			break
		}
	}
}

func (h *HID) readLoop(ctx context.Context, dev io.Reader) error {
	buf := make([]byte, 64)
	var pos POSDecoder
	kbd := NewKeyboardDecoder(h.cfg.Layout)
	emit := func(data, sym string) {
		h.emit(ctx, Reading{Data: data, Symbology: sym, Source: h.name, At: time.Now()})
	}
	for ctx.Err() == nil {
		n, err := dev.Read(buf)
		if err != nil {
			return skranke.E("scanner.HID.readLoop", skranke.Other, fmt.Errorf("read HID scanner: %w", err))
		}
		if n == 0 {
			continue
		}
		if h.cfg.Mode == HIDModeKeyboard {
			for _, code := range kbd.Feed(buf[:n]) {
				emit(code, "")
			}
			continue
		}
		if data, sym, ok := pos.Feed(buf[:n]); ok {
			emit(data, sym)
		}
	}
	return nil
}
