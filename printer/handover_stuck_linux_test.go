package printer_test

import (
	"bytes"
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/printer"
)

// A serial printer that stops taking bytes (a USB "virtual COM" printer
// out of paper; here a pty whose other end stops reading) blocks its job
// in the operating system's write, where no cancellation reaches it.
// Staff give up on it and choose a network printer in Settings: the desk
// makes the new printer follow the old and closes the old. Close returns
// within its bound, and the network printer prints at once: it is another
// device, and does not queue behind the stuck job.
func TestSwitchingAwayFromAStuckSerialPrinterPrints(t *testing.T) {
	old := stuckSerialPrinter(t)
	good := startTCPPrinter(t)
	next := printer.NewWithOptions(MustProfile(t, "generic-80"), good.target(), quickOptions())
	next.Follow(old)
	closed := make(chan struct{})
	go func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // The desk's grace for the old job is over.
		old.Close(ctx)
		close(closed)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	assert.NoError(t, next.PrintRaw(ctx, []byte("B")), "the network printer chosen instead does not print")
	select {
	case <-closed:
	case <-time.After(30 * time.Second): // A deadline, not a wait for time to pass.
		t.Error("Close hangs behind a serial write the printer does not take")
	}
}

// blockedInWrite counts the goroutines in a serial link's write of the
// port, waiting in the operating system's write call.
func blockedInWrite() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("[syscall")) && bytes.Contains(g, []byte("serialLink).write")) {
			n++
		}
	}
	return n
}

// stuckSerialPrinter is a serial printer at a pty whose job is blocked in
// the kernel's write: the line's buffer is full before the job starts
// (written here without blocking until the kernel refuses more) and its
// other end never reads. It returns once the job's write is blocked.
func stuckSerialPrinter(t *testing.T) *printer.Printer {
	t.Helper()
	_, name := openPTY(t)
	fd, err := syscall.Open(name, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	for chunk := bytes.Repeat([]byte("x"), 4096); ; {
		if _, err := syscall.Write(fd, chunk); err != nil {
			require.ErrorIs(t, err, syscall.EAGAIN)
			break
		}
	}
	opts := quickOptions()
	opts.Retries, opts.SkipStatusCheck = -1, true
	old := printer.NewWithOptions(MustProfile(t, "generic-80"), printer.Target{Kind: "serial", Address: name, Baud: 4000000}, opts)
	// Jobs of earlier tests may be blocked still: this one is the next.
	before := blockedInWrite()
	go func() { _ = old.PrintRaw(context.Background(), bytes.Repeat([]byte("A"), 64<<10)) }()
	deadline := time.Now().Add(30 * time.Second)
	for blockedInWrite() <= before {
		require.True(t, time.Now().Before(deadline), "the job's write never blocked")
		time.Sleep(10 * time.Millisecond) // Polling the goroutines, with a deadline.
	}
	return old
}

// A status request while a long job holds the printer (a stuck one here)
// says the printer is busy with a job, not that it did not answer: the
// status screen then tells staff it is printing.
func TestStatusDuringAJobSaysBusy(t *testing.T) {
	p := stuckSerialPrinter(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p.Close(ctx)
	})
	_, err := p.Status(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, printer.ErrBusy)
}
