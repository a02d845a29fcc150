package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/tarm/serial"

	"github.com/skranke/skranke"
)

// SerialConfig configures a serial scanner (RS-232, or USB in "USB serial"/
// "USB COM port emulation" mode).
type SerialConfig struct {
	// Port is the device: "/dev/serial/by-id/usb-Honeywell_...-if00" (best:
	// it survives replugging into another socket), "/dev/ttyACM0", "COM3".
	Port string
	// Baud is the line speed; 0 means 9600. USB COM-port scanners ignore it.
	Baud int
	// Suffix is the terminator the scanner sends after each code: "\r", "\n",
	// "\r\n" or "\t" (CR, LF and CRLF are all accepted for any of the three),
	// or another fixed string. Empty means CR.
	Suffix string
	// ReadTimeout bounds each read, and so how long Close waits; 0 means
	// 100 ms (the shortest a serial port supports).
	ReadTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reopen attempts; 0
	// means 200 ms and 5 s. A port that does not exist (unplugged) is looked
	// for every MinBackoff, other failures ever less often up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
}

// Serial reads codes from a serial port, reopening it when it goes away.
// It implements Source; its Close returns within about one ReadTimeout.
type Serial struct {
	device
	cfg SerialConfig
}

var _ Source = (*Serial)(nil)

// standardBauds are the rates the serial ports of all supported systems
// accept.
var standardBauds = map[int]bool{1200: true, 2400: true, 4800: true, 9600: true, 19200: true,
	38400: true, 57600: true, 115200: true, 230400: true, 460800: true, 921600: true}

// errUnplugged is reported when a port keeps returning nothing at once,
// which is how some USB serial drivers show a device that is gone.
var errUnplugged = errors.New("device stopped answering (unplugged?)")

// OpenSerial starts reading codes from cfg.Port until ctx ends or Close is
// called. A port that is missing or goes away is not an error: the Serial
// reports Disconnected and keeps trying to reopen it, resolving symbolic
// links such as /dev/serial/by-id/... again each time. Only a bad
// configuration is an error.
func OpenSerial(ctx context.Context, cfg SerialConfig) (*Serial, error) {
	if cfg.Port == "" {
		return nil, skranke.E("scanner.OpenSerial", skranke.Invalid, "no serial port configured")
	}
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	if !standardBauds[cfg.Baud] {
		return nil, skranke.E("scanner.OpenSerial", skranke.Invalid, fmt.Sprintf("serial port %s: unsupported baud rate %d", cfg.Port, cfg.Baud))
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 100 * time.Millisecond
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(5*time.Second, cfg.MinBackoff)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Serial{cfg: cfg}
	s.init("serial:"+cfg.Port, cancel)
	go s.run(ctx)
	return s, nil
}

func (s *Serial) run(ctx context.Context) {
	defer s.finish()
	fr := newFramer(s.cfg.Suffix)
	backoff := s.cfg.MinBackoff
	for ctx.Err() == nil {
		port, err := s.open()
		if err != nil {
			st := Disconnected
			if errors.Is(err, os.ErrPermission) {
				st = Failed
			}
			s.setStatus(st, err)
			if !sleepCtx(ctx, backoff) {
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				// A missing device node costs one stat to look for again,
				// so a replugged scanner is back at once; anything else
				// (no permission, busy) is retried less and less often.
				backoff = min(2*backoff, s.cfg.MaxBackoff)
			}
			continue
		}
		s.setStatus(Connected, nil)
		backoff = s.cfg.MinBackoff
		fr.reset()
		err = s.readLoop(ctx, port, fr)
		port.Close()
		if ctx.Err() != nil {
			break
		}
		s.setStatus(Disconnected, err)
		if !sleepCtx(ctx, backoff) {
			break
		}
	}
}

// open resolves the configured name (a by-id link may point elsewhere after
// replugging) and opens the port.
func (s *Serial) open() (*serial.Port, error) {
	path := s.cfg.Port
	if runtime.GOOS != "windows" {
		p, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, skranke.E("scanner.Serial.open", skranke.Other, fmt.Errorf("open %s: %w", s.cfg.Port, err))
		}
		path = p
	}
	port, err := serial.OpenPort(&serial.Config{Name: path, Baud: s.cfg.Baud, ReadTimeout: s.cfg.ReadTimeout})
	if err != nil {
		return nil, skranke.E("scanner.Serial.open", skranke.Other, fmt.Errorf("open %s: %w", s.cfg.Port, err))
	}
	return port, nil
}

// readLoop reads until an error, the device vanishing, or ctx ending.
func (s *Serial) readLoop(ctx context.Context, port io.Reader, fr *framer) error {
	buf := make([]byte, 512)
	fastEmpty := 0
	var at time.Time
	emit := func(text string) {
		s.emit(ctx, Reading{Data: text, Source: s.name, At: at})
	}
	for ctx.Err() == nil {
		start := time.Now()
		n, err := port.Read(buf)
		if n > 0 {
			fastEmpty = 0
			// The time the bytes came also tells the framer whether a
			// partial code before them is stale.
			at = time.Now()
			fr.feed(buf[:n], at, emit)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
				continue
			}
			return skranke.E("scanner.Serial.readLoop", skranke.Other, fmt.Errorf("read %s: %w", s.cfg.Port, err))
		}
		if n > 0 {
			continue
		}
		// An empty read: normally the read timeout passing with nothing
		// to read. Many of them at once mean the device is gone.
		if time.Since(start) < s.cfg.ReadTimeout/4 {
			fastEmpty++
			if fastEmpty >= 50 {
				return errUnplugged
			}
			continue
		}
		fastEmpty = 0
		if runtime.GOOS != "windows" {
			// A by-id link disappears with the device even when the
			// driver keeps the old node readable.
			if _, err := os.Stat(s.cfg.Port); err != nil {
				return skranke.E("scanner.Serial.readLoop", skranke.Other, fmt.Errorf("%s went away: %w", s.cfg.Port, err))
			}
		}
	}
	return nil
}

// sleepCtx waits d, or less if ctx ends first; it reports whether ctx is
// still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
