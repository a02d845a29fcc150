//go:build unix

package printer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/skranke/skranke/printer"
)

// TestFileTargetThatBlocks prints to a file:// target whose other end takes
// nothing (a FIFO nobody reads, as a hung network share): the job ends
// as a timeout within the job timeout, the next job is not held behind it,
// and once the other end reads again jobs get through.
func TestFileTargetThatBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "share")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	// The reader opens the FIFO (so writers do not block in open) and
	// reads nothing yet.
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	opts := quickOptions()
	opts.JobTimeout = 500 * time.Millisecond
	opts.Retries = -1
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), printer.Target{Kind: "file", Address: path}, opts)
	big := bytes.Repeat([]byte("x"), 1<<20)
	// ctx outlives the job timeout by far: the job must end on the job
	// timeout (KindTimeout), not when ctx ends (KindCanceled).
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	send := func(data []byte) error {
		done := make(chan error, 1)
		go func() { done <- pr.PrintRaw(ctx, data) }()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			t.Fatal("the job held the caller until ctx ended")
			return nil
		}
	}
	for job := 1; job <= 2; job++ {
		if err := send(big); !errors.Is(err, printer.ErrTimeout) {
			t.Fatalf("job %d to a file nobody reads: %v, want a timeout", job, err)
		}
	}

	// The other end reads again: a job goes through whole. The test holds
	// a writer of its own open meanwhile, so that the reader sees the end
	// only once that and the job's are closed.
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		var buf bytes.Buffer
		io.Copy(&buf, r)
		got <- buf.Bytes()
	}()
	small := []byte("hei\n")
	if err := send(small); err != nil {
		t.Fatalf("job to a file read again: %v", err)
	}
	w.Close()
	if b := <-got; !bytes.HasSuffix(b, small) {
		t.Errorf("the reader got %d bytes ending %q, want the last job at the end", len(b), b[max(0, len(b)-8):])
	}
}
