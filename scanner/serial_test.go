package scanner_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

// newPTY returns the master of a new pseudo-terminal and the path of its
// slave, which stands in for a scanner's serial port. The test plays the
// scanner by writing to the master.
func newPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	name := slave.Name()
	slave.Close() // The port under test opens its own handle.
	t.Cleanup(func() { master.Close() })
	return master, name
}

// mustOpenSerial opens a Serial with fast timings and closes it at cleanup.
func mustOpenSerial(tb testing.TB, cfg scanner.SerialConfig) *scanner.Serial {
	tb.Helper()
	cfg.MinBackoff, cfg.MaxBackoff = 5*time.Millisecond, 20*time.Millisecond
	s, err := scanner.OpenSerial(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func write(t *testing.T, w *os.File, chunks ...string) {
	t.Helper()
	for _, c := range chunks {
		if _, err := w.Write([]byte(c)); err != nil {
			t.Fatalf("write %q: %v", c, err)
		}
	}
}

func wantReadings(t *testing.T, s scanner.Source, want ...string) {
	t.Helper()
	for i, w := range want {
		if r := waitReading(t, s.Readings()); r.Data != w {
			t.Fatalf("reading %d = %q, want %q", i, r.Data, w)
		}
	}
}

func TestSerialFraming(t *testing.T) {
	ref, gift := withCheck("K7RM4QX"), withCheck("ABCDEFGHJKMNPQRSTVW")
	tests := []struct {
		name   string
		suffix string
		chunks []string
		want   []string
	}{
		{"chunked writes", "\r", []string{ref[:3], ref[3:7], ref[7:] + "\r"}, []string{ref}},
		{"byte by byte", "\r\n", splitBytes("]Q1" + gift + "\r\n"), []string{"]Q1" + gift}},
		{"several codes in one write", "\r", []string{ref + "\r" + gift + "\r\n" + ref + "\n"}, []string{ref, gift, ref}},
		{"terminator split from code", "\r\n", []string{gift, "\r", "\n" + ref + "\r", "\n"}, []string{gift, ref}},
		{"tab suffix", "\t", []string{ref + "\t" + skranke.GroupCode(gift) + "\t"}, []string{ref, skranke.GroupCode(gift)}},
		{"custom suffix", "#END", []string{ref + "#E", "ND" + gift + "#END"}, []string{ref, gift}},
		{"Latin-1 bytes", "\r", []string{"K\xc57RM\r"}, []string{"KÅ7RM"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			master, port := newPTY(t)
			s := mustOpenSerial(t, scanner.SerialConfig{Port: port, Baud: 9600, Suffix: tt.suffix})
			waitStatus(t, s.Statuses(), scanner.Connected)
			write(t, master, tt.chunks...)
			// A last code proves nothing extra (an empty or split reading)
			// came before it.
			write(t, master, "LAST"+tt.suffix)
			wantReadings(t, s, append(tt.want, "LAST")...)
		})
	}
}

func splitBytes(s string) []string {
	var out []string
	for i := range len(s) {
		out = append(out, s[i:i+1])
	}
	return out
}

// TestSerialUnplugReplug unplugs the "scanner" (closes the pty master) and
// plugs another in under the same /dev/serial/by-id style name.
func TestSerialUnplugReplug(t *testing.T) {
	byID := filepath.Join(t.TempDir(), "usb-Honeywell_Xenon_1900-if00")
	relink := func(target string) {
		tmp := byID + ".new"
		if err := os.Symlink(target, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, byID); err != nil {
			t.Fatal(err)
		}
	}

	// Not plugged in at start: not an error, a Disconnected status.
	s := mustOpenSerial(t, scanner.SerialConfig{Port: byID, Baud: 115200})
	if st := waitStatus(t, s.Statuses(), scanner.Disconnected); st.Err == nil || st.Source != "serial:"+byID {
		t.Fatalf("status %+v", st)
	}

	master, port := newPTY(t)
	relink(port)
	waitStatus(t, s.Statuses(), scanner.Connected)
	ref := withCheck("K7RM4QX")
	write(t, master, ref+"\r")
	if r := waitReading(t, s.Readings()); r.Data != ref || r.Source != "serial:"+byID || r.At.IsZero() {
		t.Fatalf("reading %+v", r)
	}

	// Unplug halfway through a code: the half must not prefix the next one.
	write(t, master, "HALF")
	master.Close()
	os.Remove(byID)
	if st := waitStatus(t, s.Statuses(), scanner.Disconnected); st.Err == nil {
		t.Fatal("Disconnected without a reason")
	}

	master2, port2 := newPTY(t)
	relink(port2)
	waitStatus(t, s.Statuses(), scanner.Connected)
	if s.Status().State != scanner.Connected {
		t.Fatalf("Status() = %+v", s.Status())
	}
	gift := withCheck("ABCDEFGHJKMNPQRSTVW")
	write(t, master2, gift+"\r")
	wantReadings(t, s, gift)
}

func TestSerialCloseIsPrompt(t *testing.T) {
	_, port := newPTY(t)
	s, err := scanner.OpenSerial(context.Background(), scanner.SerialConfig{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s.Statuses(), scanner.Connected)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close hung behind a blocking read")
	}
	if _, ok := <-s.Readings(); ok {
		t.Fatal("Readings not closed")
	}
	for range s.Statuses() {
	}
}

func TestSerialContextEnds(t *testing.T) {
	_, port := newPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := scanner.OpenSerial(ctx, scanner.SerialConfig{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s.Statuses(), scanner.Connected)
	cancel()
	select {
	case _, ok := <-s.Readings():
		if ok {
			t.Fatal("reading after cancel")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Readings not closed after the context ended")
	}
	s.Close()
}

func TestOpenSerialConfigErrors(t *testing.T) {
	for _, cfg := range []scanner.SerialConfig{{}, {Port: "/dev/ttyUSB0", Baud: 1234}} {
		if s, err := scanner.OpenSerial(context.Background(), cfg); err == nil {
			s.Close()
			t.Errorf("OpenSerial(%+v) accepted a bad config", cfg)
		}
	}
}

// emptyReader answers every read at once with nothing, as some USB serial
// drivers do for a device that was pulled out.
type emptyReader struct{ reads int }

func (e *emptyReader) Read([]byte) (int, error) { e.reads++; return 0, io.EOF }

func TestSerialStormOfEmptyReads(t *testing.T) {
	r := &emptyReader{}
	err := scanner.SerialReadLoop(context.Background(), r)
	if err == nil || r.reads > 1000 {
		t.Fatalf("read loop gave %v after %d empty reads; want it to give up soon", err, r.reads)
	}
}

// A scanner that sends part of a code and then nothing (a glitch, noise at
// power-on, a lost terminator) leaves the part in the framer for ever: the
// next good scan, seconds later, would come out with it in front and be
// refused. Scanners send a code in one go, so a part older than a second is
// no beginning of the next code. The sleep is the silence under test, on a
// real port and the real clock; TestSerialFramingDropsStalePartial checks
// the framer's rule at exact times.
func TestSerialGlitchDoesNotSpoilTheNextScan(t *testing.T) {
	master, port := newPTY(t)
	s := mustOpenSerial(t, scanner.SerialConfig{Port: port, Baud: 9600})
	waitStatus(t, s.Statuses(), scanner.Connected)
	write(t, master, "K7R") // Then silence.
	time.Sleep(1500 * time.Millisecond)
	ref := withCheck("K7RM4QX")
	write(t, master, ref+"\r")
	r := waitReading(t, s.Readings())
	if r.Data != ref {
		p := scanner.NewPipeline(scanner.Options{})
		_, err := p.Process(r)
		var inv *scanner.InvalidError
		t.Errorf("reading = %q, want %q (pipeline: %v, invalid %v)", r.Data, ref, err, errors.As(err, &inv))
	}
}

// TestSerialFramingDropsStalePartial feeds the framer bytes at given times:
// a partial code after more than half a second of silence is dropped, but
// a code whose bytes come in several reads close together is kept whole.
func TestSerialFramingDropsStalePartial(t *testing.T) {
	ref := withCheck("K7RM4QX")
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name   string
		chunks []scanner.TimedChunk
		want   []string
	}{
		{"stale partial before a code", []scanner.TimedChunk{{at(0), "K7R"}, {at(1500), ref + "\r"}}, []string{ref}},
		{"stale partial before a lone terminator", []scanner.TimedChunk{{at(0), "K7R"}, {at(1500), "\r"}, {at(1600), ref + "\r"}}, []string{ref}},
		{"code in reads close together", []scanner.TimedChunk{{at(0), ref[:3]}, {at(100), ref[3:6]}, {at(500), ref[6:] + "\r"}}, []string{ref}},
		{"long pause between codes", []scanner.TimedChunk{{at(0), ref + "\r"}, {at(60000), ref + "\r"}}, []string{ref, ref}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scanner.FramesAt("\r", tt.chunks...)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("frames %q, want %q", got, tt.want)
			}
		})
	}
}
