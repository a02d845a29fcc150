//go:build unix

package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
)

// deviceFIFO is a FIFO standing in for a printer's device file (a USB or
// serial printer), with the test reading what the printer gets. Its pipe
// is full when it is made: the first job waits until the test reads.
type deviceFIFO struct {
	path string
	r    *os.File
	got  bytes.Buffer
}

func newDeviceFIFO(t *testing.T) *deviceFIFO {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lp0")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	fillFIFO(t, path)
	// A writer of the test's own keeps the FIFO open between jobs: with
	// no writer at all it reads as its end.
	keep, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	t.Cleanup(func() { keep.Close() })
	require.NoError(t, syscall.SetNonblock(int(r.Fd()), false))
	return &deviceFIFO{path: path, r: r}
}

// readUntil reads what the printer gets until it holds n bytes equal to
// mark in all.
func (d *deviceFIFO) readUntil(t *testing.T, mark byte, n int) {
	t.Helper()
	buf := make([]byte, 4096)
	for bytes.Count(d.got.Bytes(), []byte{mark}) < n {
		k, err := syscall.Read(int(d.r.Fd()), buf)
		require.NoError(t, err)
		require.NotZero(t, k)
		d.got.Write(buf[:k])
	}
}

// drain reads in the background until the printer got n bytes equal to
// mark; the func returned waits for that.
func (d *deviceFIFO) drain(t *testing.T, mark byte, n int) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for bytes.Count(d.got.Bytes(), []byte{mark}) < n {
			k, err := syscall.Read(int(d.r.Fd()), buf)
			if k <= 0 || err != nil {
				return
			}
			d.got.Write(buf[:k])
		}
	}()
	return func() { <-done }
}

// markedDoc is a document whose printed bytes are mostly mark: the test
// tells two jobs apart in what the printer got.
func markedDoc(mark byte) *printer.Document {
	doc := printer.NewDocument()
	line := strings.Repeat(string(mark), 30)
	for range 5000 {
		doc.Text(line, printer.Style{}, printer.AlignLeft)
	}
	return doc
}

// The printer is changed in the settings (F5: another profile for the same
// USB printer) while a long job prints on it. The new printer's first job
// waits for the old one's: when the old job finishes within printerGrace,
// both come out whole, one after the other; when the printer takes nothing
// for that long, the old job is cut short with a message that says so and
// to print it again, and only then does the new printer write. Nothing
// prints twice, and no two jobs' bytes interleave.
func TestPrinterChangeWhilePrinting(t *testing.T) {
	for _, tc := range []struct {
		name     string
		finishes bool
	}{
		{"job finishes", true},
		{"job cut short", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := newDeviceFIFO(t)
			f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "file://" + dev.path })
			f.login("ingrid", "999999")
			f.key(fyne.KeyF5)
			s := f.d.screenSettings()
			for i, p := range s.profiles {
				if p.ID == "generic-58" {
					s.PrinterProfile.SetSelectedIndex(i)
				}
			}

			a, b, encA, encB := markedJobs(t)
			nA, nB := bytes.Count(encA, []byte("Q")), bytes.Count(encB, []byte("Z"))

			f.d.print(label("print.report"), a)
			dev.readUntil(t, 'Q', 1) // The old printer's job is under way.
			test.Tap(s.Save)
			f.eventually(func() bool { return strings.Contains(f.d.message.Text, label("settings.saved")) }, "not saved: %q", f.d.message.Text)
			require.Equal(t, "generic-58", f.d.printerInUse().Profile().ID)
			cut := label("print.cut_short", m{"What": label("print.report")})
			if !tc.finishes {
				f.clock.advance(printerGrace)
				f.eventually(func() bool { return strings.Contains(f.d.message.Text, cut) }, "the job in flight was not cut short: %q", f.d.message.Text)
			}

			f.d.print(label("print.test"), b)
			read := dev.drain(t, 'Z', nB)
			f.eventually(func() bool {
				return strings.Contains(f.d.message.Text, label("print.done", m{"What": label("print.test")}))
			}, "the new printer's job never printed: %q", f.d.message.Text)
			read()
			f.idle()
			got := dev.got.Bytes()
			assert.Less(t, bytes.LastIndexByte(got, 'Q'), bytes.IndexByte(got, 'Z'), "the two printers' jobs interleave")
			assert.True(t, bytes.Contains(got, encB), "the new printer's job is not whole")
			assert.Equal(t, nB, bytes.Count(got, []byte("Z")), "the new printer's job printed twice")
			if tc.finishes {
				assert.True(t, bytes.Contains(got, encA), "the old printer's job is not whole")
				assert.NotContains(t, f.d.message.Text, cut)
			} else {
				assert.Less(t, bytes.Count(got, []byte("Q")), nA, "the job was not cut short")
			}
		})
	}
}

// TestPrinterRemovedAndSetAgainWhilePrinting holds that a printer set up
// again after it was removed in the settings, while a job still prints on
// the one removed (the reason staff fiddle with it: it takes nothing),
// waits for that job too: the same device under another profile must not
// get two jobs' bytes at once.
func TestPrinterRemovedAndSetAgainWhilePrinting(t *testing.T) {
	dev := newDeviceFIFO(t)
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "file://" + dev.path })
	a, b, encA, encB := markedJobs(t)
	nB := bytes.Count(encB, []byte("Z"))

	f.d.print(label("print.report"), a)
	dev.readUntil(t, 'Q', 1) // The job is under way, and the device takes no more for now.
	cfg := f.d.cfg
	cfg.PrinterTarget = ""
	require.NoError(t, f.d.applyPrinter(cfg))
	require.Nil(t, f.d.printerInUse())
	cfg.PrinterTarget, cfg.PrinterProfile = "file://"+dev.path, "generic-58"
	require.NoError(t, f.d.applyPrinter(cfg))
	require.NotNil(t, f.d.printerInUse())

	f.d.print(label("print.test"), b)
	read := dev.drain(t, 'Z', nB)
	f.eventually(func() bool {
		return strings.Contains(f.d.message.Text, label("print.done", m{"What": label("print.test")}))
	}, "the new printer's job never printed: %q", f.d.message.Text)
	read()
	f.idle()
	got := dev.got.Bytes()
	assert.Less(t, bytes.LastIndexByte(got, 'Q'), bytes.IndexByte(got, 'Z'), "the two printers' jobs interleave")
	assert.True(t, bytes.Contains(got, encB), "the new printer's job is not whole")
	assert.True(t, bytes.Contains(got, encA), "the old printer's job is not whole")
}

// markedJobs returns two long jobs, a of Q's for the desk's printer and b
// of Z's for the same device under the generic 58 mm profile, with their
// bytes as each printer sends them.
func markedJobs(t *testing.T) (a, b *printer.Document, encA, encB []byte) {
	t.Helper()
	a, b = markedDoc('Q'), markedDoc('Z')
	encA, err := printer.Encode(a, mustProfile(t))
	require.NoError(t, err)
	p58, ok := printer.ProfileByID("generic-58")
	require.True(t, ok)
	encB, err = printer.Encode(b, p58)
	require.NoError(t, err)
	return a, b, encA, encB
}
