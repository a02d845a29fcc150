//go:build unix

package printer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/printer"
)

// fifoPrinter is a FIFO standing in for a printer's device file, with the
// test at its other end: nothing is read until the test reads.
type fifoPrinter struct {
	path string
	r    *os.File
}

func newFIFOPrinter(t *testing.T) *fifoPrinter {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lp0")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	// Reads block from now on: the test waits for what the printer sends.
	require.NoError(t, syscall.SetNonblock(int(r.Fd()), false))
	return &fifoPrinter{path: path, r: r}
}

func (f *fifoPrinter) target() printer.Target { return printer.Target{Kind: "file", Address: f.path} }

// readUntil reads from the FIFO until what was read contains want.
func (f *fifoPrinter) readUntil(t *testing.T, got *bytes.Buffer, want []byte) {
	t.Helper()
	buf := make([]byte, 4096)
	for !bytes.Contains(got.Bytes(), want) {
		n, err := syscall.Read(int(f.r.Fd()), buf)
		require.NoError(t, err)
		require.NotZero(t, n, "the FIFO closed before %q came", want)
		got.Write(buf[:n])
	}
}

// drain reads from the FIFO in the background until it has read every byte
// of last, the last job sent; the returned func waits for that and returns
// what was read.
func (f *fifoPrinter) drain(got *bytes.Buffer, last []byte) func() []byte {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for bytes.Count(got.Bytes(), last[:1]) < len(last) {
			n, err := syscall.Read(int(f.r.Fd()), buf)
			if n <= 0 || err != nil {
				return
			}
			got.Write(buf[:n])
		}
	}()
	return func() []byte { <-done; return got.Bytes() }
}

// fillPipe writes to the FIFO until its buffer is full, so that a printer's
// next write blocks until the test reads. Its writer stays open until the
// test ends: a FIFO with no writer (between two jobs) reads as its end.
func (f *fifoPrinter) fillPipe(t *testing.T) {
	t.Helper()
	w, err := os.OpenFile(f.path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	chunk := bytes.Repeat([]byte("x"), 4096)
	for {
		_, err := syscall.Write(int(w.Fd()), chunk)
		if errors.Is(err, syscall.EAGAIN) {
			return
		}
		require.NoError(t, err)
	}
}

// job is a print job whose bytes say which job they belong to.
func job(mark byte) []byte { return bytes.Repeat([]byte{mark}, 512<<10) }

// noInterleave checks that got holds the filler, then a (whole or the
// start of it), then b whole, once: the jobs never wrote at once.
func noInterleave(t *testing.T, got, a, b []byte, aWhole bool) {
	t.Helper()
	got = bytes.TrimLeft(got, "x")
	nA := len(got) - len(bytes.TrimLeft(got, string(a[:1])))
	if aWhole {
		assert.Equal(t, len(a), nA, "the old printer's job is not whole")
	} else {
		assert.Less(t, nA, len(a), "the job was not cut short")
	}
	assert.Equal(t, b, got[nA:], "after the old printer's job comes the new one's, whole and once (%d bytes of A, then %d bytes)", nA, len(got)-nA)
}

// A printer setting changed while a job prints on a device file: the new
// printer (another profile, the same device) waits for the old printer's
// job while Close lets it finish, and its bytes come after it, whole; the
// old printer takes no more jobs, and a job it never started went nowhere.
func TestFollowingPrinterWaitsForTheJobInFlight(t *testing.T) {
	fp := newFIFOPrinter(t)
	fp.fillPipe(t)
	opts := quickOptions()
	opts.JobTimeout, opts.Retries = time.Minute, -1
	old := printer.NewWithOptions(MustProfile(t, "generic-80"), fp.target(), opts)
	a, b := job('A'), job('B')
	aDone := make(chan error, 1)
	go func() { aDone <- old.PrintRaw(context.Background(), a) }()
	var got bytes.Buffer
	fp.readUntil(t, &got, []byte("A")) // A is in flight, held by the full pipe.

	next := printer.NewWithOptions(MustProfile(t, "generic-58"), fp.target(), opts)
	next.Follow(old)
	bDone := make(chan error, 1)
	go func() { bDone <- next.PrintRaw(context.Background(), b) }()
	closed := make(chan struct{})
	go func() { defer close(closed); old.Close(context.Background()) }()

	all := fp.drain(&got, b)
	require.NoError(t, <-aDone, "the job in flight was not let finish")
	<-closed
	require.NoError(t, <-bDone)
	err := old.PrintRaw(context.Background(), job('C'))
	assert.ErrorIs(t, err, printer.ErrClosed)
	assert.NotErrorIs(t, err, printer.ErrPartial, "nothing of a job on a closed printer goes out")
	assert.Equal(t, printer.KindCanceled, printer.KindOf(err))
	noInterleave(t, all(), a, b, true)
}

// A job the old printer cannot finish (the device stalls) is cut short
// when Close's ctx ends: its error says so, and that part of it may be on
// paper; only then does the new printer write, its job whole.
func TestClosingCutsAStalledJobShort(t *testing.T) {
	fp := newFIFOPrinter(t)
	fp.fillPipe(t)
	opts := quickOptions()
	opts.JobTimeout, opts.Retries = time.Minute, -1
	old := printer.NewWithOptions(MustProfile(t, "generic-80"), fp.target(), opts)
	a, b := job('A'), job('B')
	aDone := make(chan error, 1)
	go func() { aDone <- old.PrintRaw(context.Background(), a) }()
	var got bytes.Buffer
	fp.readUntil(t, &got, []byte("A"))

	next := printer.NewWithOptions(MustProfile(t, "generic-80"), fp.target(), opts)
	next.Follow(old)
	bDone := make(chan error, 1)
	go func() { bDone <- next.PrintRaw(context.Background(), b) }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // No time to finish: the device does not read.
	old.Close(ctx)
	err := <-aDone
	assert.ErrorIs(t, err, printer.ErrClosed)
	assert.ErrorIs(t, err, printer.ErrPartial)
	assert.Equal(t, printer.KindCanceled, printer.KindOf(err))

	all := fp.drain(&got, b)
	require.NoError(t, <-bDone)
	noInterleave(t, all(), a, b, false)
}

// A network printer that accepts the connection and never reads holds the
// old printer's job; Close cuts it short at once when its ctx ends, and the
// new printer (another address) prints right after.
func TestClosingCutsASilentTCPPrinterShort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var mu sync.Mutex
	var conns []net.Conn
	accepted := make(chan struct{}, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // Accepted, and read no further than the job's first byte.
			mu.Unlock()
			var first [1]byte
			if _, err := io.ReadFull(c, first[:]); err == nil {
				accepted <- struct{}{}
			}
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	opts := quickOptions()
	opts.JobTimeout, opts.Retries, opts.SkipStatusCheck = time.Minute, -1, true
	old := printer.NewWithOptions(MustProfile(t, "generic-80"), printer.Target{Kind: "tcp", Address: ln.Addr().String()}, opts)
	aDone := make(chan error, 1)
	go func() { aDone <- old.PrintRaw(context.Background(), bytes.Repeat([]byte("A"), 64<<20)) }()
	<-accepted

	good := startTCPPrinter(t)
	next := printer.NewWithOptions(MustProfile(t, "generic-80"), good.target(), opts)
	next.Follow(old)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // The desk's grace is over.
	old.Close(ctx)
	err = <-aDone
	assert.ErrorIs(t, err, printer.ErrClosed)
	assert.ErrorIs(t, err, printer.ErrPartial)
	b := bytes.Repeat([]byte("B"), 1000)
	require.NoError(t, next.PrintRaw(context.Background(), b))
	good.waitJobs(t, 1)
	assert.Equal(t, b, good.received())
}

// A job that waits behind another on a printer that takes nothing, until
// its caller's deadline, fails as a timeout (the printer did not answer in
// time), not as cancelled by staff, and nothing of it went out.
func TestJobWaitingBehindAStalledJobTimesOut(t *testing.T) {
	fp := newFIFOPrinter(t)
	fp.fillPipe(t)
	opts := quickOptions()
	opts.JobTimeout, opts.Retries = time.Minute, -1
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), fp.target(), opts)
	first := make(chan error, 1)
	go func() { first <- pr.PrintRaw(context.Background(), job('A')) }()
	var got bytes.Buffer
	fp.readUntil(t, &got, []byte("A")) // The first job holds the printer.

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := pr.PrintRaw(ctx, job('B'))
	assert.Equal(t, printer.KindTimeout, printer.KindOf(err), "%v", err)
	assert.NotErrorIs(t, err, printer.ErrPartial)
	pr.Close(ctx) // ctx is over: the first job is cut short.
	assert.ErrorIs(t, <-first, printer.ErrPartial)
}

// Asking a printer about itself while a job it does not take holds it
// answers within the status bound (four status timeouts), as a timeout,
// while that job is still waiting: staff at the status screen are not held
// for the job's timeout.
func TestStatusDoesNotWaitForAStalledJob(t *testing.T) {
	fp := newFIFOPrinter(t)
	fp.fillPipe(t)
	opts := quickOptions()
	opts.JobTimeout, opts.Retries, opts.StatusTimeout = time.Minute, -1, 20*time.Millisecond
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), fp.target(), opts)
	first := make(chan error, 1)
	go func() { first <- pr.PrintRaw(context.Background(), job('A')) }()
	var got bytes.Buffer
	fp.readUntil(t, &got, []byte("A")) // The job holds the printer.

	_, err := pr.Status(context.Background())
	assert.Equal(t, printer.KindTimeout, printer.KindOf(err), "%v", err)
	select {
	case err := <-first:
		t.Fatalf("the status waited for the job to end (%v)", err)
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pr.Close(ctx)
	<-first
}
