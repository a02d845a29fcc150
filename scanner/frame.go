package scanner

import (
	"strings"
	"time"
	"unicode/utf8"
)

// maxFrame bounds a reading: a scanner stuck without its terminator, or line
// noise, must not grow memory without end.
const maxFrame = 4096

// staleGap is the longest silence inside one code. A scanner sends a code
// in one go, its bytes milliseconds apart; part of one followed by this
// much silence (a glitch, noise at power-on, a lost terminator) is no
// beginning of the next code, and kept it would come out in front of the
// next good scan, seconds later, and have it refused.
const staleGap = 500 * time.Millisecond

// framer splits a byte stream into readings at the scanner's terminator.
type framer struct {
	term   string // A custom terminator; "" when eol is used.
	eol    bool   // Split at CR, LF and (when the suffix is Tab) Tab.
	tab    bool
	buf    []byte
	broken bool      // The current frame overflowed; drop it at its end.
	last   time.Time // When the last byte of buf came.
}

// newFramer returns a framer for a suffix of "\r", "\n", "\r\n", "\t", or
// any other fixed string. CR, LF and CRLF are treated alike, so a scanner
// that sends CRLF where CR was configured still gives one reading per code.
func newFramer(suffix string) *framer {
	if suffix == "" {
		suffix = "\r"
	}
	if strings.Trim(suffix, "\r\n\t") == "" {
		return &framer{eol: true, tab: strings.Contains(suffix, "\t")}
	}
	return &framer{term: suffix}
}

// feed adds p, read at time at, and calls emit for every complete frame,
// in order, without the terminator. Empty frames are skipped. A partial
// frame whose last byte came more than staleGap before at is dropped first.
func (f *framer) feed(p []byte, at time.Time, emit func(string)) {
	if len(p) == 0 {
		return
	}
	if (len(f.buf) > 0 || f.broken) && at.Sub(f.last) > staleGap {
		f.reset()
	}
	f.last = at
	for _, c := range p {
		if f.eol && (c == '\r' || c == '\n' || (f.tab && c == '\t')) {
			f.flush(emit)
			continue
		}
		f.buf = append(f.buf, c)
		if f.term != "" && len(f.buf) >= len(f.term) && string(f.buf[len(f.buf)-len(f.term):]) == f.term {
			f.buf = f.buf[:len(f.buf)-len(f.term)]
			f.flush(emit)
			continue
		}
		if len(f.buf) > maxFrame {
			f.buf, f.broken = f.buf[:0], true
		}
	}
}

func (f *framer) flush(emit func(string)) {
	if len(f.buf) > 0 && !f.broken {
		emit(bytesToText(f.buf))
	}
	f.buf, f.broken = f.buf[:0], false
}

// reset drops a partial frame, as after reconnecting.
func (f *framer) reset() { f.buf, f.broken = f.buf[:0], false }

// bytesToText reads b as UTF-8, or as Latin-1 when it is not valid UTF-8
// (what most scanners send for bytes above 127).
func bytesToText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
