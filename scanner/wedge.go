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
	// DefaultWedgeLongStall is the longest pause inside a scan after a run
	// of at least wedgeLongRun keys at scanner speed: on a loaded desk a
	// screen drawn for the first time can hold keys back for most of a
	// second. No person types that many keys at scanner speed, so such a
	// run is the scan's beginning, not typing to keep.
	DefaultWedgeLongStall = 1500 * time.Millisecond
	// wedgeLongRun is the fewest keys at scanner speed before a pause
	// that DefaultWedgeLongStall applies to.
	wedgeLongRun = 4
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
// typed into the field before. A scan-long burst takes along the fast runs
// before it across pauses of up to DefaultWedgeStall (or DefaultWedgeLongStall
// after a run of several keys), when the first of those runs began the
// field or came a second or more after the key before it: the app was
// drawing a frame, and the scan's first keys must not be cut off. Otherwise
// text is everything typed, for a code entered by hand. The wedge is empty
// afterwards.
func (w *Wedge) Enter(at time.Time) (text string, scanned bool) {
	e := w.End(at)
	return e.Text, e.Scanned
}

// Entry is what the wedge makes of the keys typed up to an Enter.
type Entry struct {
	// Text is the scan, or everything typed when Scanned is false.
	Text string
	// Held are the few keys before a scan that a pause too long to take
	// for a stalled frame kept out of Text: a desk busy drawing can
	// handle a scan's first key and then hold the rest back for
	// seconds. Only a check shows whether they belong to the scan (see
	// Reading.Held). Empty when Scanned is false.
	Held string
	// Scanned reports whether Text was typed at scanner speed.
	Scanned bool
}

// End is Enter, and tells also the keys held apart from the scan.
func (w *Wedge) End(at time.Time) Entry {
	defer w.Reset()
	n := len(w.runes)
	if n == 0 {
		return Entry{}
	}
	if at.Sub(w.times[n-1]) > w.maxGap {
		return Entry{Text: string(w.runes)}
	}
	start := w.runStart(n - 1)
	if n-start < w.minLen {
		return Entry{Text: string(w.runes)}
	}
	// Walk back over the stalls a busy app put into the scan.
	s := start
	for s > 0 {
		gap := w.times[s].Sub(w.times[s-1])
		before := w.runStart(s - 1)
		if gap > DefaultWedgeStall && (gap > DefaultWedgeLongStall || s-before < wedgeLongRun) {
			break
		}
		s = before
	}
	if s < start && (s == 0 || w.times[s].Sub(w.times[s-1]) >= time.Second) {
		start = s
	}
	return Entry{
		Text:    string(w.runes[start:]),
		Held:    string(HeldKeys(w.runes, w.times, start, w.maxGap)),
		Scanned: true,
	}
}

// Limits of the keys a scan may have had held apart (see Entry.Held).
const (
	// HeldMaxKeys is the most keys a frame lets through before it holds
	// the rest of a scan back.
	HeldMaxKeys = 3
	// HeldMaxStall is the longest a loaded desk was seen to hold a
	// scan's keys back while drawing: 2.7 s on two busy cores.
	HeldMaxStall = 5 * time.Second
)

// HeldKeys returns the keys before index start that may be a scan's
// beginning held apart from it: at most HeldMaxKeys keys at scanner speed
// (gaps of at most maxGap), ending at most HeldMaxStall before start, and
// either the first keys typed or a second or more after the key before
// them, so that they are not the end of something typed by hand.
func HeldKeys(runes []rune, times []time.Time, start int, maxGap time.Duration) []rune {
	if start == 0 || times[start].Sub(times[start-1]) > HeldMaxStall {
		return nil
	}
	h := start - 1
	for h > 0 && times[h].Sub(times[h-1]) <= maxGap {
		h--
	}
	if start-h > HeldMaxKeys || h > 0 && times[h].Sub(times[h-1]) < time.Second {
		return nil
	}
	return runes[h:start]
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
	return Entry{Text: text, Scanned: scanned}.Reading(at)
}

// Reading returns the Reading for the entry, with the keys held apart from
// a scan, for the pipeline to take back if they complete its code.
func (e Entry) Reading(at time.Time) Reading {
	if !e.Scanned {
		return Reading{Data: e.Text, Source: SourceHand, At: at}
	}
	return Reading{Data: e.Text, Source: SourceWedge, At: at, Held: e.Held}
}
