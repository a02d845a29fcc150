package app

import (
	"time"

	"github.com/skranke/skranke/scanner"
)

// burst tells a keyboard-wedge scanner's keys from a person's in the
// fields that are not scan fields, on the signature pad and where nothing
// has the focus. Keys are timed when the UI goroutine handles them, and a
// desk busy drawing a frame handles a scan's keys in bunches, with pauses
// longer than a scanner's between them; so a burst is judged by its average
// pace (as fast as a scanner) and its longest pause (no longer than a
// stalled frame), not key by key as in the scan field.
type burst struct {
	runes []rune
	times []time.Time
}

// key records that r was typed at the given time; backspace takes back
// the last character, as in the field.
func (b *burst) key(r rune, at time.Time) {
	if r == '\b' {
		if n := len(b.runes); n > 0 {
			b.runes, b.times = b.runes[:n-1], b.times[:n-1]
		}
		return
	}
	b.runes = append(b.runes, r)
	b.times = append(b.times, at)
}

// len returns how many keys were recorded since the last end or reset.
func (b *burst) len() int { return len(b.runes) }

// last returns when the last key came, or the zero time.
func (b *burst) last() time.Time {
	if len(b.times) == 0 {
		return time.Time{}
	}
	return b.times[len(b.times)-1]
}

// reset forgets the keys.
func (b *burst) reset() { b.runes, b.times = b.runes[:0], b.times[:0] }

// end takes Enter at the given time and returns the keys' text and whether
// they end in a scanner's burst; text is then the burst alone, and Held
// the few keys before it that a busy desk may have held apart from it
// (see scanner.Entry). It forgets the keys.
func (b *burst) end(at time.Time) scanner.Entry {
	defer b.reset()
	n := len(b.runes)
	if n == 0 {
		return scanner.Entry{}
	}
	if d := at.Sub(b.times[n-1]); d < 0 || d > enterGrace {
		return scanner.Entry{Text: string(b.runes)}
	}
	start := n - 1
	for start > 0 && b.times[start].Sub(b.times[start-1]) <= scanner.DefaultWedgeStall {
		start--
	}
	keys := n - start
	if keys < scanner.DefaultWedgeMinLen {
		return scanner.Entry{Text: string(b.runes)}
	}
	span := b.times[n-1].Sub(b.times[start])
	if span > time.Duration(keys-1)*scanner.DefaultWedgeMaxGap {
		return scanner.Entry{Text: string(b.runes)} // A person's pace.
	}
	return scanner.Entry{Text: string(b.runes[start:]), Held: string(scanner.HeldKeys(b.runes, b.times, start, scanner.DefaultWedgeStall)), Scanned: true}
}
