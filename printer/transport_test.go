package printer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skranke/skranke/printer"
)

// fakeTCPPrinter is a loopback listener standing in for a network printer:
// it records what it receives and answers DLE EOT status requests with
// the bytes in status (keyed by n).
type fakeTCPPrinter struct {
	ln     net.Listener
	mu     sync.Mutex
	got    bytes.Buffer
	jobs   int
	status map[byte]byte
	silent bool // never answer status
	notify chan struct{}
}

func startTCPPrinter(t *testing.T) *fakeTCPPrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeTCPPrinter{ln: ln, status: map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}, notify: make(chan struct{}, 100)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeTCPPrinter) serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	var pending []byte
	started := false
	for {
		n, err := c.Read(buf)
		pending = append(pending, buf[:n]...)
		// Answer real-time status requests that come before the job; once
		// the job starts, DLE EOT-like bytes are image data.
		for !started {
			i := bytes.Index(pending, []byte{0x10, 0x04})
			if i != 0 || len(pending) < 3 {
				started = len(pending) > 0 && pending[0] != 0x10
				break
			}
			f.mu.Lock()
			f.got.Write(pending[:i])
			ans, silent := f.status[pending[i+2]], f.silent
			f.mu.Unlock()
			if !silent {
				c.Write([]byte{ans})
			}
			pending = pending[i+3:]
		}
		if started || err != nil {
			keep := 0
			if err == nil && len(pending) > 0 && pending[len(pending)-1] == 0x10 {
				keep = 1
			}
			f.mu.Lock()
			f.got.Write(pending[:len(pending)-keep])
			f.mu.Unlock()
			pending = pending[len(pending)-keep:]
		}
		if err != nil {
			f.mu.Lock()
			f.jobs++
			f.mu.Unlock()
			f.notify <- struct{}{}
			return
		}
	}
}

func (f *fakeTCPPrinter) target() printer.Target {
	return printer.Target{Kind: "tcp", Address: f.ln.Addr().String()}
}

func (f *fakeTCPPrinter) received() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.got.Bytes()...)
}

func (f *fakeTCPPrinter) waitJobs(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.mu.Lock()
		jobs := f.jobs
		f.mu.Unlock()
		if jobs >= n {
			return
		}
		select {
		case <-f.notify:
		case <-deadline:
			t.Fatalf("printer saw %d jobs, want %d", jobs, n)
		}
	}
}

func quickOptions() printer.Options {
	return printer.Options{JobTimeout: 2 * time.Second, RetryDelay: 20 * time.Millisecond, StatusTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestTCPPrint(t *testing.T) {
	fp := startTCPPrinter(t)
	p := MustProfile(t, "epson-tm-t20iii")
	pr := printer.NewWithOptions(p, fp.target(), quickOptions())
	doc := sampleGiftCard("nb").Document()
	if err := pr.Print(context.Background(), doc); err != nil {
		t.Fatal(err)
	}
	fp.waitJobs(t, 1)
	if got, want := fp.received(), MustEncode(t, doc, p); !bytes.Equal(got, want) {
		t.Fatalf("printer received %d bytes, want the %d encoded", len(got), len(want))
	}
	st, err := pr.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Online || st.PaperOut || st.CoverOpen || st.PaperNearEnd {
		t.Errorf("status %+v, want online and well", st)
	}
}

func TestTCPStatusConditions(t *testing.T) {
	fp := startTCPPrinter(t)
	p := MustProfile(t, "generic-80")
	pr := printer.NewWithOptions(p, fp.target(), quickOptions())
	cases := []struct {
		name   string
		answer map[byte]byte
		check  func(printer.Status) bool
		kind   printer.Kind
	}{
		{"paper out", map[byte]byte{1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x7e}, func(s printer.Status) bool { return s.PaperOut && !s.Online }, printer.KindPaperOut},
		{"cover open", map[byte]byte{1: 0x1e, 2: 0x16, 3: 0x12, 4: 0x12}, func(s printer.Status) bool { return s.CoverOpen && !s.PaperOut }, printer.KindCoverOpen},
		{"cutter jam", map[byte]byte{1: 0x1e, 2: 0x52, 3: 0x1a, 4: 0x12}, func(s printer.Status) bool { return s.CutterError && s.Error && !s.PaperOut }, printer.KindOffline},
		{"near end", map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x1e}, func(s printer.Status) bool { return s.PaperNearEnd && s.Online && !s.PaperOut }, 0},
	}
	for _, c := range cases {
		fp.mu.Lock()
		fp.status = c.answer
		fp.mu.Unlock()
		st, err := pr.Status(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !c.check(st) {
			t.Errorf("%s: status %+v", c.name, st)
		}
		before := len(fp.received())
		err = pr.Print(context.Background(), printer.NewDocument().Text("hei", printer.Plain, printer.AlignLeft))
		if c.kind == 0 {
			if err != nil {
				t.Errorf("%s: print failed: %v", c.name, err)
			}
			continue
		}
		if printer.KindOf(err) != c.kind {
			t.Errorf("%s: print returned %v, want kind %v", c.name, err, c.kind)
		}
		var pe *printer.Error
		if !errors.As(err, &pe) || pe.Error() == "" {
			t.Errorf("%s: not a printer error: %v", c.name, err)
		}
		if len(fp.received()) != before {
			t.Errorf("%s: job sent to a printer that cannot print", c.name)
		}
	}
	if !errors.Is(printer.Status{PaperOut: true}.Problem(), printer.ErrPaperOut) {
		t.Error("errors.Is does not match ErrPaperOut")
	}
}

func TestTCPUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), printer.Target{Kind: "tcp", Address: addr}, quickOptions())
	start := time.Now()
	err = pr.Print(context.Background(), printer.NewDocument().Text("x", printer.Plain, printer.AlignLeft))
	if !errors.Is(err, printer.ErrUnreachable) {
		t.Fatalf("got %v, want unreachable", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("gave up after %v", time.Since(start))
	}
}

// TestTCPStalledPrinter checks that a printer that stops reading holds the
// caller no longer than the job timeout, and that ctx cancels at once.
func TestTCPStalledPrinter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // accepted, never read
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	opts := quickOptions()
	opts.JobTimeout = 300 * time.Millisecond
	opts.Retries = -1
	opts.SkipStatusCheck = true
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), printer.Target{Kind: "tcp", Address: ln.Addr().String()}, opts)
	big := bytes.Repeat([]byte("x"), 64<<20)
	start := time.Now()
	err = pr.PrintRaw(context.Background(), big)
	if !errors.Is(err, printer.ErrTimeout) {
		t.Errorf("got %v, want timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("held the caller %v", d)
	}

	opts.JobTimeout = time.Minute
	pr = printer.NewWithOptions(MustProfile(t, "generic-80"), printer.Target{Kind: "tcp", Address: ln.Addr().String()}, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pr.PrintRaw(ctx, big) }()
	cancel()
	select {
	case err := <-done:
		if printer.KindOf(err) != printer.KindCanceled {
			t.Errorf("got %v, want canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancel did not stop the job")
	}
}

func TestStatusTimeout(t *testing.T) {
	fp := startTCPPrinter(t)
	fp.silent = true
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), fp.target(), quickOptions())
	start := time.Now()
	_, err := pr.Status(context.Background())
	if !errors.Is(err, printer.ErrTimeout) {
		t.Fatalf("got %v, want timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("status waited %v", d)
	}
	// A printer that never answers status still prints.
	doc := printer.NewDocument().Text("hei", printer.Plain, printer.AlignLeft)
	if err := pr.Print(context.Background(), doc); err != nil {
		t.Fatal(err)
	}
	fp.waitJobs(t, 2)
	if !bytes.Contains(fp.received(), []byte("hei\n")) {
		t.Error("job not received")
	}
}

// TestMissedStatusOnlyAffectsThatJob: a printer that misses the status
// question once (busy with the last job) is asked again before the next
// job, so an empty roll found then stops the job; the job sent unasked says
// so.
func TestMissedStatusOnlyAffectsThatJob(t *testing.T) {
	fp := startTCPPrinter(t)
	fp.mu.Lock()
	fp.silent = true
	fp.mu.Unlock()
	opts := quickOptions()
	opts.StatusTimeout = 200 * time.Millisecond
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), fp.target(), opts)
	doc := printer.NewDocument().Text("hei", printer.Plain, printer.AlignLeft)
	data := MustEncode(t, doc, pr.Profile())

	sent, err := pr.Send(context.Background(), data)
	if err != nil {
		t.Fatalf("job 1 to a printer that does not answer status: %v", err)
	}
	if sent.Checked || !sent.Unchecked || !errors.Is(sent.Why, printer.ErrTimeout) {
		t.Errorf("job 1: %+v, want sent unchecked after a status timeout", sent)
	}
	fp.waitJobs(t, 1)

	// The printer answers again, now with the roll empty.
	fp.mu.Lock()
	fp.silent = false
	fp.status = map[byte]byte{1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x72}
	fp.mu.Unlock()
	before := len(fp.received())
	sent, err = pr.Send(context.Background(), data)
	if !errors.Is(err, printer.ErrPaperOut) {
		t.Fatalf("job 2 to a printer out of paper: %+v, %v; want out of paper", sent, err)
	}
	fp.waitJobs(t, 2) // the connection closes after the status answer
	if got := len(fp.received()); got != before {
		t.Errorf("job 2 sent to a printer out of paper (%d bytes)", got-before)
	}

	// Paper in: the job goes out, checked.
	fp.mu.Lock()
	fp.status = map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x1e}
	fp.mu.Unlock()
	sent, err = pr.Send(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if !sent.Checked || sent.Unchecked || !sent.Status.PaperNearEnd {
		t.Errorf("job 3: %+v, want checked, paper near end", sent)
	}
}

func TestFilePrinterAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.bin")
	tg, err := printer.ParseTarget("file://" + path)
	if err != nil {
		t.Fatal(err)
	}
	p := MustProfile(t, "generic-58")
	pr := printer.New(p, tg)
	a := printer.NewDocument().Text("første", printer.Plain, printer.AlignLeft).Cut(false)
	b := sampleNote("nb").Document()
	for _, d := range []*printer.Document{a, b} {
		if err := pr.Print(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := append(MustEncode(t, a, p), MustEncode(t, b, p)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes, want both jobs (%d)", len(got), len(want))
	}
	// The whole file renders: a demo can show every print.
	var png bytes.Buffer
	if err := printer.RenderPNG(&png, got, p); err != nil {
		t.Fatal(err)
	}
	if _, err := pr.Status(context.Background()); !errors.Is(err, printer.ErrUnsupported) {
		t.Errorf("status of a file: %v, want unsupported", err)
	}
	bad := printer.New(p, printer.Target{Kind: "file", Address: filepath.Join(t.TempDir(), "missing", "dir", "out.bin")})
	if err := bad.Print(context.Background(), a); printer.KindOf(err) != printer.KindInvalid {
		t.Errorf("missing directory: %v", err)
	}
}

func TestParseTarget(t *testing.T) {
	cases := []struct {
		in   string
		want printer.Target
		bad  bool
	}{
		{in: "tcp://127.0.0.1:9100", want: printer.Target{Kind: "tcp", Address: "127.0.0.1:9100"}},
		{in: "tcp://192.168.1.50", want: printer.Target{Kind: "tcp", Address: "192.168.1.50:9100"}},
		{in: "file:///tmp/out.bin", want: printer.Target{Kind: "file", Address: "/tmp/out.bin"}},
		{in: "serial:///dev/ttyUSB0?baud=9600", want: printer.Target{Kind: "serial", Address: "/dev/ttyUSB0", Baud: 9600}},
		{in: "serial://COM3?baud=115200", want: printer.Target{Kind: "serial", Address: "COM3", Baud: 115200}},
		{in: "serial:///dev/ttyS0", want: printer.Target{Kind: "serial", Address: "/dev/ttyS0", Baud: 9600}},
		{in: "device:///dev/usb/lp0", want: printer.Target{Kind: "device", Address: "/dev/usb/lp0"}},
		{in: "spooler://EPSON TM-T20III", want: printer.Target{Kind: "spooler", Address: "EPSON TM-T20III"}},
		{in: "spooler://EPSON%20TM-T20III%20Receipt", want: printer.Target{Kind: "spooler", Address: "EPSON TM-T20III Receipt"}},
		{in: "tcp://host:99999", bad: true},
		{in: "serial:///dev/ttyS0?baud=fast", bad: true},
		{in: "ftp://x", bad: true},
		{in: "lp0", bad: true},
		{in: "spooler://", bad: true},
	}
	for _, c := range cases {
		got, err := printer.ParseTarget(c.in)
		if c.bad {
			if err == nil || printer.KindOf(err) != printer.KindInvalid {
				t.Errorf("%q: got %+v, %v; want invalid", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		if again, err := printer.ParseTarget(got.String()); err != nil || again != got {
			t.Errorf("%q: String() %q does not read back (%+v, %v)", c.in, got.String(), again, err)
		}
	}
}

// signalHandler is a slog handler that reports each record's message.
type signalHandler struct{ ch chan string }

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.ch <- r.Message:
	default:
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// TestRetryAfterTransientFault starts the printer only after the first
// attempt failed: the job still gets through, once.
func TestRetryAfterTransientFault(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs := make(chan string, 10)
	opts := quickOptions()
	opts.RetryDelay = 200 * time.Millisecond
	opts.Retries = 3
	opts.Logger = slog.New(signalHandler{logs})
	p := MustProfile(t, "generic-80")
	pr := printer.NewWithOptions(p, printer.Target{Kind: "tcp", Address: addr}, opts)
	doc := printer.NewDocument().Text("andre forsøk", printer.Plain, printer.AlignLeft)
	done := make(chan error, 1)
	go func() { done <- pr.Print(context.Background(), doc) }()
	select {
	case msg := <-logs:
		if !strings.Contains(msg, "retrying") {
			t.Fatalf("first log %q", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no retry")
	}
	// The printer comes back on the same address before the retry.
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	defer ln2.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln2.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		// Answer the status check, then take the job.
		buf := make([]byte, 3)
		var job bytes.Buffer
		for k := 0; k < 4; k++ {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			c.Write([]byte{0x12})
		}
		io.Copy(&job, c)
		got <- job.Bytes()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, MustEncode(t, doc, p)) {
			t.Errorf("job arrived as % x", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("job never arrived")
	}
}

// TestConcurrentJobsDoNotInterleave prints from several goroutines at once
// to one file: every job lands whole.
func TestConcurrentJobsDoNotInterleave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.bin")
	p := MustProfile(t, "epson-tm-t20iii")
	pr := printer.New(p, printer.Target{Kind: "file", Address: path})
	var jobs [][]byte
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		note := sampleNote("nb")
		note.Reference = fmt.Sprintf("JOB%09d", i)
		doc := note.Document()
		jobs = append(jobs, MustEncode(t, doc, p))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- pr.Print(context.Background(), doc)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, j := range jobs {
		total += len(j)
		if !bytes.Contains(got, j) {
			t.Errorf("job %d not found whole in the file", i)
		}
	}
	if len(got) != total {
		t.Errorf("file has %d bytes, jobs %d", len(got), total)
	}
}

func TestDevicePermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may open any file")
	}
	path := filepath.Join(t.TempDir(), "lp0")
	if err := os.WriteFile(path, nil, 0o400); err != nil {
		t.Fatal(err)
	}
	pr := printer.NewWithOptions(MustProfile(t, "generic-58"), printer.Target{Kind: "device", Address: path}, quickOptions())
	err := pr.Print(context.Background(), printer.NewDocument().Text("x", printer.Plain, printer.AlignLeft))
	if !errors.Is(err, printer.ErrPermission) {
		t.Errorf("got %v, want permission denied", err)
	}
}

func TestKindOf(t *testing.T) {
	cases := []struct {
		err  error
		want printer.Kind
	}{
		{&os.PathError{Op: "open", Path: "/dev/usb/lp0", Err: syscall.EACCES}, printer.KindPermission},
		{&os.PathError{Op: "open", Path: "/dev/usb/lp0", Err: syscall.ENOENT}, printer.KindUnreachable},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, printer.KindUnreachable},
		{&net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}, printer.KindIO},
		{fmt.Errorf("send: %w", context.DeadlineExceeded), printer.KindTimeout},
		{context.Canceled, printer.KindCanceled},
		{printer.ErrPaperOut, printer.KindPaperOut},
		{errors.New("something else"), printer.KindOther},
	}
	for _, c := range cases {
		if got := printer.KindOf(c.err); got != c.want {
			t.Errorf("KindOf(%v) = %v, want %v", c.err, got, c.want)
		}
		if c.want.String() == "" {
			t.Errorf("kind %d has no text", c.want)
		}
	}
	for _, k := range []printer.Kind{printer.KindUnreachable, printer.KindTimeout, printer.KindIO} {
		if !k.Transient() {
			t.Errorf("%v should be retried", k)
		}
	}
	for _, k := range []printer.Kind{printer.KindPaperOut, printer.KindCoverOpen, printer.KindInvalid, printer.KindPermission} {
		if k.Transient() {
			t.Errorf("%v should not be retried", k)
		}
	}
}

// TestConnectTimeout: an address with no printer behind it fails as
// unreachable within the connect timeout, not the job timeout.
func TestConnectTimeout(t *testing.T) {
	opts := quickOptions()
	opts.ConnectTimeout = 200 * time.Millisecond
	opts.JobTimeout = time.Minute
	opts.Retries = -1
	// TEST-NET-1 (RFC 5737): never routed, so the dial hangs or fails.
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), printer.Target{Kind: "tcp", Address: "192.0.2.1:9100"}, opts)
	start := time.Now()
	err := pr.Print(context.Background(), printer.NewDocument().Text("x", printer.Plain, printer.AlignLeft))
	if !errors.Is(err, printer.ErrUnreachable) {
		t.Errorf("got %v, want unreachable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestNoRetryAfterPartialSend: a printer that drops the connection in the
// middle of a job is not sent the job again, which could print it twice.
func TestNoRetryAfterPartialSend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	accepted := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			go func() {
				buf := make([]byte, 1000)
				io.ReadFull(c, buf)
				c.(*net.TCPConn).SetLinger(0) // reset, as a printer power-cycled
				c.Close()
			}()
		}
	}()
	opts := quickOptions()
	opts.SkipStatusCheck = true
	opts.Retries = 3
	pr := printer.NewWithOptions(MustProfile(t, "generic-80"), printer.Target{Kind: "tcp", Address: ln.Addr().String()}, opts)
	err = pr.PrintRaw(context.Background(), bytes.Repeat([]byte("x"), 32<<20))
	if err == nil || !strings.Contains(err.Error(), "in part") {
		t.Fatalf("got %v, want a partial-send failure", err)
	}
	if k := printer.KindOf(err); k != printer.KindIO {
		t.Errorf("kind %v", k)
	}
	mu.Lock()
	defer mu.Unlock()
	if accepted != 1 {
		t.Errorf("job sent %d times", accepted)
	}
}
