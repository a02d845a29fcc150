package app

import (
	"bytes"
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/creack/pty"

	"github.com/skranke/skranke/printer"
)

// A serial printer whose roll runs out in the middle of a gift card holds
// XOFF and says "paper out" when asked: the job's bytes had begun to go out
// (the error says ErrPartial), so the card may be on paper in part, with
// its code. neverPrinted must not call that "nothing on paper": the card
// would be kept for F8 as an original and a second original of one bearer
// code would be printed.
func TestPaperOutMidJobIsPrintedInPart(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	var tio syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, slave.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatal(e)
	}
	tio.Iflag, tio.Oflag, tio.Lflag = 0, 0, 0
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, slave.Fd(), syscall.TCSETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatal(e)
	}
	prof, _ := printer.ProfileByID("generic-58")
	pr := printer.NewWithOptions(prof, printer.Target{Kind: "serial", Address: slave.Name(), Baud: 115200},
		printer.Options{JobTimeout: 30 * time.Second, Retries: -1, SkipStatusCheck: true})
	done := make(chan error, 1)
	go func() { done <- pr.PrintRaw(context.Background(), bytes.Repeat([]byte("x"), 20000)) }()
	buf := make([]byte, 4096)
	if _, err := master.Read(buf); err != nil { // the card's first bytes are out
		t.Fatal(err)
	}
	master.Write([]byte{0x13}) // XOFF: the roll ran out
	go func() {
		for {
			n, err := master.Read(buf)
			if err != nil {
				return
			}
			if bytes.Contains(buf[:n], []byte{0x10, 0x04, 0x02}) {
				master.Write([]byte{0x32}) // paper end
			}
		}
	}()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("print still waiting")
	}
	if !errors.Is(err, printer.ErrPartial) || printer.KindOf(err) != printer.KindPaperOut {
		t.Fatalf("set-up: got %v, want paper out after part of the job", err)
	}
	if neverPrinted(err) {
		t.Errorf("neverPrinted(%v) = true: the card cut short by the empty roll would print again as an original", err)
	}
}
