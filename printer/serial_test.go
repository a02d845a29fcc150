//go:build linux

package printer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/creack/pty"

	"github.com/skranke/skranke/printer"
)

// openPTY returns the printer's side (master) and the port name the desk
// opens (the slave), standing in for a serial printer.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	// Raw mode, as a printer port is: no newline translation, no echo.
	var tio syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, slave.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatal(e)
	}
	tio.Iflag, tio.Oflag, tio.Lflag = 0, 0, 0
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, slave.Fd(), syscall.TCSETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatal(e)
	}
	return master, slave.Name()
}

// pump reads everything the desk sends into a channel, so the test can
// wait for bytes with a deadline.
type pump struct {
	ch  chan []byte
	buf []byte
}

func startPump(r *os.File) *pump {
	p := &pump{ch: make(chan []byte, 1024)}
	go func() {
		for {
			b := make([]byte, 4096)
			n, err := r.Read(b)
			if n > 0 {
				p.ch <- b[:n]
			}
			if err != nil {
				close(p.ch)
				return
			}
		}
	}()
	return p
}

// take returns exactly n bytes, failing after timeout.
func (p *pump) take(t *testing.T, n int, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for len(p.buf) < n {
		select {
		case b, ok := <-p.ch:
			if !ok {
				t.Fatalf("port closed after %d of %d bytes", len(p.buf), n)
			}
			p.buf = append(p.buf, b...)
		case <-deadline.C:
			t.Fatalf("got %d of %d bytes in %v", len(p.buf), n, timeout)
		}
	}
	out := p.buf[:n]
	p.buf = append([]byte(nil), p.buf[n:]...)
	return out
}

// during returns whatever arrives within d.
func (p *pump) during(d time.Duration) []byte {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case b, ok := <-p.ch:
			if !ok {
				return p.drain()
			}
			p.buf = append(p.buf, b...)
		case <-timer.C:
			return p.drain()
		}
	}
}

func (p *pump) drain() []byte {
	out := p.buf
	p.buf = nil
	return out
}

// TestSerialPacingAndXONXOFF sends a job over a pty at 115200 baud: the
// bytes arrive intact, no faster than the line allows, and when the printer
// sends XOFF the flow stops until XON.
func TestSerialPacingAndXONXOFF(t *testing.T) {
	master, name := openPTY(t)
	p := MustProfile(t, "generic-80")
	opts := quickOptions()
	opts.JobTimeout = 20 * time.Second
	opts.SkipStatusCheck = true
	pr := printer.NewWithOptions(p, printer.Target{Kind: "serial", Address: name, Baud: 115200}, opts)
	job := bytes.Repeat([]byte("0123456789abcdef"), 1024) // 16 KiB: about 1.4 s on the wire

	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- pr.PrintRaw(context.Background(), job) }()

	in := startPump(master)
	first := in.take(t, 4096, 10*time.Second)
	if _, err := master.Write([]byte{0x13}); err != nil { // XOFF
		t.Fatal(err)
	}
	// What was in flight when XOFF went out still arrives; then the flow
	// stops. Without XOFF, 300 ms at 115200 baud carry about 3.4 KB.
	trickle := in.during(200 * time.Millisecond)
	held := in.during(300 * time.Millisecond)
	if len(held) > 512 {
		t.Errorf("%d bytes arrived while the printer held XOFF; the flow should stop within a chunk", len(held))
	}
	trickle = append(trickle, held...)
	select {
	case err := <-done:
		t.Fatalf("job finished while the printer held XOFF: %v", err)
	default:
	}
	if _, err := master.Write([]byte{0x11}); err != nil { // XON
		t.Fatal(err)
	}
	rest := in.take(t, len(job)-len(first)-len(trickle), 10*time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := append(append(first, trickle...), rest...)
	if !bytes.Equal(got, job) {
		t.Fatal("bytes arrived changed")
	}
	// 16 KiB at 11520 bytes/s takes at least 1.42 s of line time.
	if d, min := time.Since(start), time.Duration(len(job))*10*time.Second/115200; d < min {
		t.Errorf("sent in %v, faster than the line allows (%v)", d, min)
	}
}

// TestSerialPaperOutWhileHeld: a printer that runs out of paper mid-job
// holds XOFF; the desk asks why and reports paper out instead of waiting for
// the job timeout.
func TestSerialPaperOutWhileHeld(t *testing.T) {
	master, name := openPTY(t)
	opts := quickOptions()
	opts.JobTimeout = 30 * time.Second
	opts.SkipStatusCheck = true
	pr := printer.NewWithOptions(MustProfile(t, "generic-58"), printer.Target{Kind: "serial", Address: name, Baud: 115200}, opts)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- pr.PrintRaw(context.Background(), bytes.Repeat([]byte("x"), 20000)) }()
	buf := make([]byte, 4096)
	if _, err := master.Read(buf); err != nil {
		t.Fatal(err)
	}
	master.Write([]byte{0x13}) // XOFF: paper out
	go func() {
		for {
			n, err := master.Read(buf)
			if err != nil {
				return
			}
			if i := bytes.Index(buf[:n], []byte{0x10, 0x04, 0x02}); i >= 0 {
				master.Write([]byte{0x32}) // offline cause: paper end
			}
		}
	}()
	select {
	case err := <-done:
		if !errors.Is(err, printer.ErrPaperOut) {
			t.Errorf("got %v, want paper out", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v to notice", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("print still waiting")
	}
}

// TestSerialStatus answers DLE EOT over the pty like a printer does.
func TestSerialStatus(t *testing.T) {
	master, name := openPTY(t)
	p := MustProfile(t, "generic-58")
	pr := printer.NewWithOptions(p, printer.Target{Kind: "serial", Address: name, Baud: 9600}, quickOptions())
	answers := map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x7e} // paper out
	go func() {
		buf := make([]byte, 256)
		var pending []byte
		for {
			n, err := master.Read(buf)
			if err != nil {
				return
			}
			pending = append(pending, buf[:n]...)
			for len(pending) >= 3 {
				i := bytes.Index(pending, []byte{0x10, 0x04})
				if i < 0 || i+2 >= len(pending) {
					break
				}
				// An XON first, as printers do when they come back: the
				// desk must not mistake it for status.
				master.Write([]byte{0x11, answers[pending[i+2]]})
				pending = pending[i+3:]
			}
		}
	}()
	st, err := pr.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.PaperOut || !st.Online {
		t.Errorf("status %+v, want paper out", st)
	}
	err = pr.Print(context.Background(), printer.NewDocument().Text("x", printer.Plain, printer.AlignLeft))
	if !errors.Is(err, printer.ErrPaperOut) {
		t.Errorf("print with paper out: %v", err)
	}
}

// TestDeviceFile prints to a device file and reads status back from it, a
// pty standing in for /dev/usb/lp0.
func TestDeviceFile(t *testing.T) {
	master, name := openPTY(t)
	p := MustProfile(t, "generic-58")
	tg, err := printer.ParseTarget("device://" + name)
	if err != nil {
		t.Fatal(err)
	}
	// Default options: a device that never answers status still prints.
	opts := quickOptions()
	pr := printer.NewWithOptions(p, tg, opts)
	doc := printer.NewDocument().Text("Ærlig talt", printer.Plain, printer.AlignLeft)
	want := MustEncode(t, doc, p)
	done := make(chan error, 1)
	go func() { done <- pr.Print(context.Background(), doc) }()
	got := startPump(master).take(t, len(want), 5*time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("device got % x, want % x", got, want)
	}
	if _, err := pr.Status(context.Background()); !errors.Is(err, printer.ErrTimeout) {
		t.Errorf("silent device status: %v, want timeout", err)
	}
	missing := printer.NewWithOptions(p, printer.Target{Kind: "device", Address: "/dev/usb/no-such-lp9"}, opts)
	if err := missing.Print(context.Background(), doc); !errors.Is(err, printer.ErrUnreachable) {
		t.Errorf("missing device: %v, want unreachable", err)
	}
}

func openPTYBench(b *testing.B) (*os.File, string) {
	master, slave, err := pty.Open()
	if err != nil {
		b.Skipf("no pty here: %v", err)
	}
	b.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave.Name()
}

// BenchmarkSerialPTY sends the documents over a pty with the real pacing
// of the serial transport. Run with -benchtime=1x: at 9600 baud a gift
// card takes seconds.
func BenchmarkSerialPTY(b *testing.B) {
	for _, baud := range []int{9600, 115200} {
		for _, bd := range benchDocs() {
			p := MustProfile(b, bd.profile)
			data := MustEncode(b, bd.doc(), p)
			b.Run(fmt.Sprintf("%s/%d", bd.name, baud), func(b *testing.B) {
				master, name := openPTYBench(b)
				go func() {
					buf := make([]byte, 8192)
					for {
						if _, err := master.Read(buf); err != nil {
							return
						}
					}
				}()
				pr := printer.NewWithOptions(p, printer.Target{Kind: "serial", Address: name, Baud: baud},
					printer.Options{SkipStatusCheck: true, JobTimeout: time.Minute})
				for b.Loop() {
					if err := pr.PrintRaw(context.Background(), data); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(data)), "bytes")
			})
		}
	}
}

// TestSerialLineGone: a serial printer that goes away (USB adapter pulled)
// while the desk waits for its status is reported as a broken connection at
// once, not after the status timeout.
func TestSerialLineGone(t *testing.T) {
	master, name := openPTY(t)
	opts := quickOptions()
	opts.StatusTimeout = 10 * time.Second
	pr := printer.NewWithOptions(MustProfile(t, "generic-58"), printer.Target{Kind: "serial", Address: name, Baud: 9600}, opts)
	go func() {
		buf := make([]byte, 16)
		if _, err := master.Read(buf); err == nil {
			master.Close() // the first question is never answered
		}
	}()
	start := time.Now()
	_, err := pr.Status(context.Background())
	if printer.KindOf(err) != printer.KindIO {
		t.Errorf("status of a vanished printer: %v, want a broken connection", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to notice", d)
	}
}
