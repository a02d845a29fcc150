package scanner

import (
	"context"
	"io"
	"time"
)

// KeyFor returns the key a scanner set to layout l presses for r, for tests
// that simulate typing.
func KeyFor(l Layout, r rune) (usage byte, shift, altGr, ok bool) {
	t := l.table()
	for level := 0; level < 3; level++ {
		for u := range t {
			if t[u][level] == r && (u < 0x54 || u > 0x63) {
				return byte(u), level == 1, level == 2, true
			}
		}
	}
	return 0, false, false, false
}

// CharFor returns what the key types on layout l.
func CharFor(l Layout, usage byte, shift, altGr bool) rune {
	return l.table().keyRune(usage, shift, altGr)
}

// GTINCheck exposes the EAN/UPC check.
var GTINCheck = gtinCheck

// FakeHIDBackend lets tests stand in for USB hardware.
type FakeHIDBackend interface {
	Enumerate(vid, pid uint16) ([]HIDDevice, error)
	Open(d HIDDevice) (io.ReadCloser, error)
}

type fakeBackend struct{ f FakeHIDBackend }

func (b fakeBackend) enumerate(vid, pid uint16) ([]HIDDevice, error) { return b.f.Enumerate(vid, pid) }
func (b fakeBackend) open(d HIDDevice) (io.ReadCloser, error)        { return b.f.Open(d) }

// OpenHIDWith opens a HID source on a fake backend.
func OpenHIDWith(ctx context.Context, cfg HIDConfig, f FakeHIDBackend) (*HID, error) {
	return openHID(ctx, cfg, fakeBackend{f})
}

// ListHIDWith lists devices of a fake backend.
func ListHIDWith(f FakeHIDBackend) ([]HIDDevice, error) { return listHID(fakeBackend{f}) }

// Frames splits a byte stream fed in the given chunks at suffix, the way
// serial sources do.
func Frames(suffix string, chunks ...[]byte) []string {
	var out []string
	f := newFramer(suffix)
	for _, c := range chunks {
		f.feed(c, time.Time{}, func(s string) { out = append(out, s) })
	}
	return out
}

// TimedChunk is bytes a serial source read at a time.
type TimedChunk struct {
	At    time.Time
	Bytes string
}

// FramesAt splits chunks read at the given times at suffix, the way serial
// sources do.
func FramesAt(suffix string, chunks ...TimedChunk) []string {
	var out []string
	f := newFramer(suffix)
	for _, c := range chunks {
		f.feed([]byte(c.Bytes), c.At, func(s string) { out = append(out, s) })
	}
	return out
}

// SerialReadLoop runs a Serial's read loop over r until it gives up.
func SerialReadLoop(ctx context.Context, r io.Reader) error {
	s := &Serial{cfg: SerialConfig{Port: "/", ReadTimeout: 100 * time.Millisecond}}
	s.name, s.readings = "serial:test", make(chan Reading, 64)
	return s.readLoop(ctx, r, newFramer("\r"))
}
