package scanner

import "time"

// Defaults of WedgeOptions.
const (
	DefaultWedgeMaxGap = 50 * time.Millisecond
	DefaultWedgeMinLen = 6
	// DefaultWedgeStall is the longest single pause inside a scan that is
	// taken for the app being busy rather than for a person: keys are
	// timed when the UI goroutine handles them, so a frame that takes long
	// to draw (a screen just switched) holds keys back and lets them
	// through in a bunch. People leave a code half-typed in the field for
	// longer than this before they scan.
	DefaultWedgeStall = 250 * time.Millisecond
)

// WedgeOptions configure a Wedge.
type WedgeOptions struct {
	// MaxGap is the longest pause between keys (and before Enter) that still
	// counts as scanner speed; 0 means DefaultWedgeMaxGap. Scanners type a
	// key every 1–20 ms; people rarely keep below 50 ms for long.
	MaxGap time.Duration
	// MinLen is the fewest characters a scan has; 0 means DefaultWedgeMinLen.
	MinLen int
}

// Wedge tells a keyboard-wedge scanner from a person typing into the scan
// field, from the timing of the keys. The app calls Key for every character
// typed and Enter when Enter (or the scanner's Tab) arrives. It is not safe
// for concurrent use; the app calls it from its UI goroutine.
type Wedge struct {
	maxGap time.Duration
	minLen int
	runes  []rune
	times  []time.Time
}

// NewWedge returns a wedge configured by opts.
func NewWedge(opts WedgeOptions) *Wedge {
	w := &Wedge{maxGap: opts.MaxGap, minLen: opts.MinLen}
	if w.maxGap <= 0 {
		w.maxGap = DefaultWedgeMaxGap
	}
	if w.minLen <= 0 {
		w.minLen = DefaultWedgeMinLen
	}
	return w
}

// Key records that r was typed at the given time. Backspace (\b or DEL)
// removes the last character, as it does in the field.
func (w *Wedge) Key(r rune, at time.Time) {
	if r == '\b' || r == 0x7f {
		if n := len(w.runes); n > 0 {
			w.runes, w.times = w.runes[:n-1], w.times[:n-1]
		}
		return
	}
	if r == '\r' || r == '\n' {
		return // The app calls Enter for these.
	}
	w.runes = append(w.runes, r)
	w.times = append(w.times, at)
}

// Enter ends the entry and returns its text. scanned is true when the text
// ends in a burst of at least MinLen characters typed at scanner speed right
// up to Enter; text is then that burst alone, without whatever a person had
// typed into the field before. A scan-long burst takes along the fast run
// before it across one pause of up to DefaultWedgeStall, when that run
// began the field or came a second or more after the key before it: the
// app was drawing a frame, and the scan's first keys must not be cut off. Otherwise
// text is everything typed, for a code entered by hand. The wedge is empty
// afterwards.
func (w *Wedge) Enter(at time.Time) (text string, scanned bool) {
	defer w.Reset()
	n := len(w.runes)
	if n == 0 {
		return "", false
	}
	if at.Sub(w.times[n-1]) > w.maxGap {
		return string(w.runes), false
	}
	start := w.runStart(n - 1)
	if n-start >= w.minLen && start > 0 && w.times[start].Sub(w.times[start-1]) <= DefaultWedgeStall {
		// A scan with one stall in it: take the run before the stall along
		// if it, too, was fast and began the field's text or stands a
		// second apart from what a person typed before. Without a
		// scan-long run after the stall the whole text is returned anyway,
		// as typed by hand.
		before := w.runStart(start - 1)
		if before == 0 || w.times[before].Sub(w.times[before-1]) >= time.Second {
			start = before
		}
	}
	if n-start >= w.minLen {
		return string(w.runes[start:]), true
	}
	return string(w.runes), false
}

// runStart returns the index of the first key of the scanner-speed run that
// ends at index end.
func (w *Wedge) runStart(end int) int {
	start := end
	for start > 0 && w.times[start].Sub(w.times[start-1]) <= w.maxGap {
		start--
	}
	return start
}

// Reset forgets what was typed, as when the field is cleared.
func (w *Wedge) Reset() {
	w.runes, w.times = w.runes[:0], w.times[:0]
}

// Len returns the number of characters typed since the last Enter or Reset.
func (w *Wedge) Len() int { return len(w.runes) }

// WedgeReading returns the Reading for text the scan field got, with the
// Source that tells the pipeline whether it came from a scanner (and so may
// need its keyboard layout repaired) or from a person.
func WedgeReading(text string, scanned bool, at time.Time) Reading {
	src := SourceHand
	if scanned {
		src = SourceWedge
	}
	return Reading{Data: text, Source: src, At: at}
}
