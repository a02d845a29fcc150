package printer_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skranke/skranke/printer"
)

// opName is the form every op takes: printer.Func or printer.Type.Method.
var opName = regexp.MustCompile(`^printer\.[A-Za-z]+(\.[A-Za-z]+)?$`)

// TestFailuresCarryKindAndOp: every way printing can fail comes back as a
// *printer.Error whose own Kind (not a guess from the cause) is the one the
// app shows staff, named by the function that failed, and saying its kind
// once; sentinels stay reachable with errors.Is.
func TestFailuresCarryKindAndOp(t *testing.T) {
	p := MustProfile(t, "generic-80")
	hello := printer.NewDocument().Text("hei", printer.Plain, printer.AlignLeft)
	opts := quickOptions()
	opts.Retries = -1
	opts.StatusTimeout = 200 * time.Millisecond
	at := func(tg printer.Target) *printer.Printer { return printer.NewWithOptions(p, tg, opts) }

	ln, err := startClosedPort()
	if err != nil {
		t.Fatal(err)
	}
	paperOut := startTCPPrinter(t)
	paperOut.status = map[byte]byte{1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x7e}
	garbled := startTCPPrinter(t)
	garbled.status = map[byte]byte{1: 0x00, 2: 0x00, 3: 0x00, 4: 0x00}
	silent := startTCPPrinter(t)
	silent.silent = true
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	cases := []struct {
		name     string
		run      func() error
		kind     printer.Kind
		op       string
		sentinel error // also matched with errors.Is, when set
	}{
		{"target without kind", func() error { _, err := printer.ParseTarget("10.0.0.5"); return err }, printer.KindInvalid, "printer.ParseTarget", printer.ErrInvalid},
		{"target with bad port", func() error { _, err := printer.ParseTarget("tcp://10.0.0.5:99999"); return err }, printer.KindInvalid, "printer.ParseTarget", nil},
		{"empty document", func() error { _, err := printer.Encode(printer.NewDocument(), p); return err }, printer.KindInvalid, "printer.Encode", printer.ErrEmptyDocument},
		{"bad profile", func() error { return printer.Profile{ID: "tiny", WidthDots: 10}.Validate() }, printer.KindInvalid, "printer.Profile.Validate", nil},
		{"encode for bad profile", func() error { _, err := printer.Encode(hello, printer.Profile{ID: "tiny"}); return err }, printer.KindInvalid, "printer.Encode", nil},
		{"image too large", func() error {
			_, err := printer.Encode(printer.NewDocument().Image(image.NewUniform(color.Black), 1, 0, printer.AlignCenter), p)
			return err
		}, printer.KindInvalid, "printer.Encode", printer.ErrImageTooLarge},
		{"preview of nothing", func() error { _, err := printer.Preview(printer.NewDocument(), p); return err }, printer.KindInvalid, "printer.Preview", printer.ErrEmptyDocument},
		{"render too long", func() error { _, err := printer.Render(bytes.Repeat([]byte("\x1bd\xff"), 23), p); return err }, printer.KindInvalid, "printer.Render", printer.ErrTooLong},
		{"render cut short", func() error { _, err := printer.Render([]byte("\x1b"), p); return err }, printer.KindInvalid, "printer.Render", nil},
		{"render without width", func() error { _, err := printer.Render([]byte("x\n"), printer.Profile{ID: "none"}); return err }, printer.KindInvalid, "printer.Render", nil},
		{"text cut short", func() error { _, err := printer.Text([]byte("\x1d"), p); return err }, printer.KindInvalid, "printer.Text", nil},
		{"paper out", func() error { return printer.Status{Online: true, PaperOut: true}.Problem() }, printer.KindPaperOut, "printer.Status.Problem", printer.ErrPaperOut},
		{"cover open", func() error { return printer.Status{Online: true, CoverOpen: true}.Problem() }, printer.KindCoverOpen, "printer.Status.Problem", printer.ErrCoverOpen},
		{"offline", func() error { return printer.Status{}.Problem() }, printer.KindOffline, "printer.Status.Problem", printer.ErrOffline},
		{"print to a folder that is not there", func() error {
			return at(printer.Target{Kind: "file", Address: filepath.Join(t.TempDir(), "no", "out.bin")}).Print(context.Background(), hello)
		}, printer.KindInvalid, "printer.Printer.Send", printer.ErrInvalid},
		{"print to an unknown kind", func() error {
			return at(printer.Target{Kind: "pigeon", Address: "x"}).Print(context.Background(), hello)
		}, printer.KindInvalid, "printer.Printer.Send", nil},
		{"print to a missing device", func() error {
			return at(printer.Target{Kind: "device", Address: filepath.Join(t.TempDir(), "lp0")}).Print(context.Background(), hello)
		}, printer.KindUnreachable, "printer.Printer.Send", printer.ErrUnreachable},
		{"print to a closed port", func() error {
			return at(printer.Target{Kind: "tcp", Address: ln}).Print(context.Background(), hello)
		}, printer.KindUnreachable, "printer.Printer.Send", printer.ErrUnreachable},
		{"print when canceled", func() error { return at(paperOut.target()).Print(canceled, hello) }, printer.KindCanceled, "printer.Printer.Send", nil},
		{"print out of paper", func() error { return at(paperOut.target()).Print(context.Background(), hello) }, printer.KindPaperOut, "printer.Printer.Send", printer.ErrPaperOut},
		{"status of a file", func() error {
			_, err := at(printer.Target{Kind: "file", Address: filepath.Join(t.TempDir(), "out.bin")}).Status(context.Background())
			return err
		}, printer.KindUnsupported, "printer.Printer.Status", printer.ErrUnsupported},
		{"status in another dialect", func() error { _, err := at(garbled.target()).Status(context.Background()); return err }, printer.KindIO, "printer.Printer.Status", nil},
		{"status unanswered", func() error { _, err := at(silent.target()).Status(context.Background()); return err }, printer.KindTimeout, "printer.Printer.Status", printer.ErrTimeout},
		{"status when canceled", func() error { _, err := at(silent.target()).Status(canceled); return err }, printer.KindCanceled, "printer.Printer.Status", nil},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name     string
			run      func() error
			kind     printer.Kind
			op       string
			sentinel error
		}{"spooler off Windows", func() error {
			return at(printer.Target{Kind: "spooler", Address: "EPSON"}).Print(context.Background(), hello)
		}, printer.KindUnsupported, "printer.Printer.Send", printer.ErrUnsupported})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			var pe *printer.Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v (%T), want a *printer.Error", err, err)
			}
			if pe.Kind != c.kind || printer.KindOf(err) != c.kind {
				t.Errorf("kind %v (KindOf %v), want %v: %v", pe.Kind, printer.KindOf(err), c.kind, err)
			}
			if pe.Op != c.op {
				t.Errorf("op %q, want %q", pe.Op, c.op)
			}
			for e := error(pe); errors.As(e, &pe); e = pe.Err {
				if !opName.MatchString(pe.Op) {
					t.Errorf("op %q in %v is not printer.Type.Method", pe.Op, err)
				}
			}
			if c.sentinel != nil && !errors.Is(err, c.sentinel) {
				t.Errorf("errors.Is(%v, %v) is false", err, c.sentinel)
			}
			if n := strings.Count(err.Error(), c.kind.String()); n != 1 {
				t.Errorf("%q says %q %d times, want once", err, c.kind, n)
			}
		})
	}
}

// startClosedPort returns a loopback address nothing listens on.
func startClosedPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// TestKindGivenWins: a kind given to E is the kind, whatever the cause
// would be classified as; only a printer error with no kind defers to the
// classification of what it wraps.
func TestKindGivenWins(t *testing.T) {
	cases := []struct {
		err  error
		want printer.Kind
	}{
		{printer.E("printer.Test.Given", printer.KindInvalid, os.ErrNotExist), printer.KindInvalid},
		{printer.E("printer.Test.Given", printer.KindOther, syscall.ECONNREFUSED), printer.KindUnreachable},
		{printer.E("printer.Test.Outer", printer.KindOther, printer.E("printer.Test.Inner", printer.KindCoverOpen, nil)), printer.KindCoverOpen},
		{printer.E("printer.Test.Text", printer.KindIO, "the line hung up"), printer.KindIO},
		{printer.E("printer.Test.Nothing", printer.KindOther, nil), printer.KindOther},
	}
	for _, c := range cases {
		if got := printer.KindOf(c.err); got != c.want {
			t.Errorf("KindOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if got := printer.E("printer.Test.Text", printer.KindIO, "the line hung up").Error(); got != "printer.Test.Text: connection to the printer broke: the line hung up" {
		t.Errorf("text %q", got)
	}
}
