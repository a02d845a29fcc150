//go:build unix

package app

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
)

// A file:// printer whose other end takes nothing (a hung network share;
// here a full FIFO nobody reads) fails each job as "not answering", in the
// staff's language, within the job timeout: the next job is not stuck
// behind it, nor reported as cancelled.
func TestBlockedFilePrinterSaysNotAnswering(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		t.Run(lang, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "share")
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skipf("no FIFO here: %v", err)
			}
			r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			require.NoError(t, err)
			defer r.Close()
			fillFIFO(t, path)

			f := mustOpen(t, func(c *config.Config) { c.Language = lang })
			t.Cleanup(func() { setLanguage("en") })
			tg, err := printer.ParseTarget("file://" + path)
			require.NoError(t, err)
			f.d.mu.Lock()
			f.d.printer = printer.NewWithOptions(mustProfile(t), tg, printer.Options{JobTimeout: 300 * time.Millisecond, Retries: -1})
			f.d.mu.Unlock()
			f.login("kari", "1234")

			note := printer.NewDocument().Text("Utlevering", printer.Style{}, printer.AlignLeft)
			want := label("print.failed", m{"What": label("print.note"), "Err": label("print.timeout")})
			for job := 1; job <= 2; job++ {
				f.d.message.SetText("")
				f.d.print(label("print.note"), note)
				f.eventually(func() bool { return !f.d.isBusy() && f.d.message.Text != "" }, "job %d: no word on the print", job)
				assert.Equal(t, want, f.d.message.Text, "job %d", job)
			}
		})
	}
}

// fillFIFO writes to the FIFO at path until its buffer is full, so that
// the next write blocks until someone reads.
func fillFIFO(t *testing.T, path string) {
	t.Helper()
	w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	defer w.Close()
	fd := int(w.Fd())
	chunk := bytes.Repeat([]byte("x"), 4096)
	for {
		_, err := syscall.Write(fd, chunk)
		if errors.Is(err, syscall.EAGAIN) {
			return
		}
		require.NoError(t, err)
	}
}

// A file printer on a full disk (here /dev/full, which takes nothing)
// fails the job in the staff's words, in both languages, never with the
// system's English "no space left on device".
func TestFilePrinterOnAFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	for _, lang := range []string{"en", "nb"} {
		t.Run(lang, func(t *testing.T) {
			f := mustOpen(t, func(c *config.Config) { c.Language = lang; c.PrinterTarget = "file:///dev/full" })
			t.Cleanup(func() { setLanguage("en") })
			f.login("kari", "1234")
			note := printer.NewDocument().Text("Utlevering", printer.Style{}, printer.AlignLeft)
			f.d.message.SetText("")
			f.d.print(label("print.note"), note)
			f.eventually(func() bool { return !f.d.isBusy() && f.d.message.Text != "" }, "no word on the print")
			assert.Equal(t, label("print.failed", m{"What": label("print.note"), "Err": label("print.disk_full")}), f.d.message.Text)
			assert.NotContains(t, f.d.message.Text, "no space left")
		})
	}
}
