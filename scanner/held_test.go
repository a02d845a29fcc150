package scanner_test

import (
	"testing"
	"time"

	"github.com/skranke/skranke/scanner"
)

// A desk busy drawing a frame can handle a scan's first key and hold the
// rest back for seconds (2.7 s was seen on two loaded cores): the wedge
// keeps those keys apart as Held, and the pipeline takes them back only
// when they complete a valid code.
func TestHeldKeysCompleteTheScan(t *testing.T) {
	ref := withCheck("E5ZRR2D")
	card := "6X98HBE5WK3XMARW4PWV"
	const key = 8 * time.Millisecond
	tests := []struct {
		name string
		feed func(w *scanner.Wedge) time.Time // returns when Enter comes
		text string                           // what the wedge takes for the scan
		held string
		code string // what the pipeline makes of it; "" for an invalid scan
	}{
		{"first key, a 2.7 s frame, the rest", func(w *scanner.Wedge) time.Time {
			w.Key(rune(ref[0]), t0)
			return typeAt(w, ref[1:], t0.Add(2700*time.Millisecond), key).Add(key)
		}, ref[1:], ref[:1], ref},
		{"two keys of a gift card, then a long frame", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, card[:2], t0, key)
			return typeAt(w, card[2:], at.Add(4*time.Second), key).Add(key)
		}, card[2:], card[:2], card},
		{"held keys after a person's typing, a second before", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, "hei", t0, 300*time.Millisecond)
			w.Key(rune(ref[0]), at.Add(1500*time.Millisecond))
			return typeAt(w, ref[1:], at.Add(4*time.Second), key).Add(key)
		}, ref[1:], ref[:1], ref},
		{"a whole scan after a person's key: the key stays out", func(w *scanner.Wedge) time.Time {
			w.Key('x', t0)
			return typeAt(w, ref, t0.Add(600*time.Millisecond), key).Add(key)
		}, ref, "x", ref},
		{"a whole scan after a person's valid-looking key: the scan alone is valid", func(w *scanner.Wedge) time.Time {
			w.Key(rune(ref[len(ref)-1]), t0)
			return typeAt(w, ref, t0.Add(600*time.Millisecond), key).Add(key)
		}, ref, ref[len(ref)-1:], ref},
		{"the stall too long for a frame", func(w *scanner.Wedge) time.Time {
			w.Key(rune(ref[0]), t0)
			return typeAt(w, ref[1:], t0.Add(scanner.HeldMaxStall+time.Second), key).Add(key)
		}, ref[1:], "", ""},
		{"more keys than a frame lets through", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, card[:4], t0, key)
			at = typeAt(w, card[4:12], at.Add(3*time.Second), key)
			return at.Add(key)
		}, card[4:12], "", ""},
		{"keys right after a person's typing", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, "he", t0, 300*time.Millisecond)
			w.Key(rune(ref[0]), at.Add(300*time.Millisecond))
			return typeAt(w, ref[1:], at.Add(3*time.Second), key).Add(key)
		}, ref[1:], "", ""},
		{"held keys that do not complete the code", func(w *scanner.Wedge) time.Time {
			w.Key('Q', t0)
			return typeAt(w, ref[1:], t0.Add(2*time.Second), key).Add(key)
		}, ref[1:], "Q", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := scanner.NewWedge(scanner.WedgeOptions{})
			at := tt.feed(w)
			e := w.End(at)
			if !e.Scanned || e.Text != tt.text || e.Held != tt.held {
				t.Fatalf("End = %+v; want text %q, held %q, scanned", e, tt.text, tt.held)
			}
			p := scanner.NewPipeline(scanner.Options{DedupWindow: -1})
			sc, err := p.Process(e.Reading(at))
			switch {
			case tt.code == "" && err == nil:
				t.Fatalf("Process = %+v, want an invalid scan", sc)
			case tt.code != "" && (err != nil || sc.Code != tt.code):
				t.Fatalf("Process = %+v, %v; want %s", sc, err, tt.code)
			case tt.code != "" && sc.Raw != tt.code:
				t.Fatalf("Raw = %q; want the whole scan %q", sc.Raw, tt.code)
			}
		})
	}
}

// A reading from a device other than the wedge carries no held keys, and a
// hand-typed entry never does.
func TestHandTypedEntryHoldsNothing(t *testing.T) {
	w := scanner.NewWedge(scanner.WedgeOptions{})
	at := typeAt(w, "E", t0, 0)
	at = typeAt(w, "5ZRR2DR", at.Add(2*time.Second), 200*time.Millisecond)
	e := w.End(at.Add(300 * time.Millisecond))
	if e.Scanned || e.Held != "" {
		t.Fatalf("End = %+v; want a hand-typed entry with nothing held", e)
	}
	if r := e.Reading(at); r.Held != "" || r.Source != scanner.SourceHand {
		t.Fatalf("Reading = %+v", r)
	}
}
