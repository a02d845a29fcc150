package scanner_test

import (
	"testing"
	"time"

	"github.com/skranke/skranke/scanner"
)

// typeAt feeds s to w, one key every gap from start, and returns the time
// of the last key.
func typeAt(w *scanner.Wedge, s string, start time.Time, gap time.Duration) time.Time {
	at := start
	for i, r := range s {
		if i > 0 {
			at = at.Add(gap)
		}
		w.Key(r, at)
	}
	return at
}

func TestWedge(t *testing.T) {
	ref := withCheck("K7RM4QX")
	card := "6X98HBE5WK3XMARW4PWV"
	tests := []struct {
		name    string
		feed    func(w *scanner.Wedge) time.Time // returns when Enter comes
		text    string
		scanned bool
	}{
		{"scanner at 10 ms a key", func(w *scanner.Wedge) time.Time {
			return typeAt(w, ref, t0, 10*time.Millisecond).Add(10 * time.Millisecond)
		}, ref, true},
		{"person at 150 ms a key", func(w *scanner.Wedge) time.Time {
			return typeAt(w, ref, t0, 150*time.Millisecond).Add(300 * time.Millisecond)
		}, ref, false},
		{"fast person, one slow key", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, ref[:4], t0, 40*time.Millisecond)
			return typeAt(w, ref[4:], at.Add(120*time.Millisecond), 40*time.Millisecond).Add(40 * time.Millisecond)
		}, ref, false},
		{"scan after a person typed into the field", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, "hei", t0, 200*time.Millisecond)
			return typeAt(w, ref, at.Add(2*time.Second), 5*time.Millisecond).Add(5 * time.Millisecond)
		}, ref, true},
		{"scan held back by a slow frame after its first key", func(w *scanner.Wedge) time.Time {
			w.Key(rune(ref[0]), t0)
			return typeAt(w, ref[1:], t0.Add(90*time.Millisecond), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, ref, true},
		{"scan held back by a slow frame in its middle", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, ref[:2], t0, 8*time.Millisecond)
			return typeAt(w, ref[2:], at.Add(200*time.Millisecond), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, ref, true},
		{"scan a second after a person's key", func(w *scanner.Wedge) time.Time {
			w.Key('x', t0)
			return typeAt(w, ref, t0.Add(time.Second), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, ref, true},
		{"scan right after a person's slow typing", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, "hei", t0, 300*time.Millisecond)
			return typeAt(w, ref, at.Add(150*time.Millisecond), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, ref, true},
		{"scan with a slow frame after its first key, after a person's typing", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, "hei", t0, 300*time.Millisecond)
			w.Key(rune(ref[0]), at.Add(3*time.Second))
			return typeAt(w, ref[1:], at.Add(3*time.Second+120*time.Millisecond), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, ref, true},
		{"scan held back by a long frame after its first keys (loaded desk, new screen)", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, card[:8], t0, 8*time.Millisecond)
			return typeAt(w, card[8:], at.Add(900*time.Millisecond), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, card, true},
		{"scan held back by two frames", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, card[:5], t0, 8*time.Millisecond)
			at = typeAt(w, card[5:7], at.Add(200*time.Millisecond), 8*time.Millisecond)
			return typeAt(w, card[7:], at.Add(180*time.Millisecond), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, card, true},
		{"scan long after three quick keys of a person", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, "abc", t0, 30*time.Millisecond)
			return typeAt(w, ref, at.Add(600*time.Millisecond), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, ref, true},
		{"scan two seconds after a fast run", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, "abcdef", t0, 8*time.Millisecond)
			return typeAt(w, ref, at.Add(2*time.Second), 8*time.Millisecond).Add(8 * time.Millisecond)
		}, ref, true},
		{"too short for a scan", func(w *scanner.Wedge) time.Time {
			return typeAt(w, "123", t0, 5*time.Millisecond).Add(5 * time.Millisecond)
		}, "123", false},
		{"Enter pressed by a person long after a fast burst", func(w *scanner.Wedge) time.Time {
			return typeAt(w, ref, t0, 5*time.Millisecond).Add(time.Second)
		}, ref, false},
		{"backspace edits", func(w *scanner.Wedge) time.Time {
			at := typeAt(w, ref+"X", t0, 200*time.Millisecond)
			w.Key('\b', at.Add(200*time.Millisecond))
			return at.Add(400 * time.Millisecond)
		}, ref, false},
		{"nothing typed", func(w *scanner.Wedge) time.Time { return t0 }, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := scanner.NewWedge(scanner.WedgeOptions{})
			text, scanned := w.Enter(tt.feed(w))
			if text != tt.text || scanned != tt.scanned {
				t.Fatalf("Enter = %q, %v; want %q, %v", text, scanned, tt.text, tt.scanned)
			}
			if w.Len() != 0 {
				t.Fatalf("wedge holds %d keys after Enter", w.Len())
			}
		})
	}
}

func TestWedgeOptions(t *testing.T) {
	w := scanner.NewWedge(scanner.WedgeOptions{MaxGap: 200 * time.Millisecond, MinLen: 3})
	at := typeAt(w, "ABC", t0, 150*time.Millisecond)
	if text, scanned := w.Enter(at.Add(100 * time.Millisecond)); text != "ABC" || !scanned {
		t.Fatalf("MaxGap 200 ms, MinLen 3: Enter = %q, %v", text, scanned)
	}
	typeAt(w, "ABC", t0, time.Millisecond)
	w.Reset()
	if text, _ := w.Enter(t0); text != "" {
		t.Fatalf("after Reset Enter = %q", text)
	}
}

// TestWedgeToPipeline shows the app's path: a US scanner on a German
// computer swaps Y and Z and is repaired; a person typing the same code on
// the German keyboard is not "repaired".
func TestWedgeToPipeline(t *testing.T) {
	code := withCheck("YZ2Y5Z7")
	p := scanner.NewPipeline(scanner.Options{HostLayout: "de", ScannerLayout: "us", DedupWindow: -1})

	w := scanner.NewWedge(scanner.WedgeOptions{})
	at := typeAt(w, swapYZ(code), t0, 3*time.Millisecond)
	text, scanned := w.Enter(at.Add(3 * time.Millisecond))
	sc, err := p.Process(scanner.WedgeReading(text, scanned, at))
	if err != nil || sc.Code != code || sc.Source != scanner.SourceWedge {
		t.Fatalf("scanned: %+v, %v", sc, err)
	}

	at = typeAt(w, code, t0, 180*time.Millisecond)
	text, scanned = w.Enter(at.Add(200 * time.Millisecond))
	sc, err = p.Process(scanner.WedgeReading(text, scanned, at))
	if err != nil || sc.Code != code || sc.Source != scanner.SourceHand {
		t.Fatalf("typed by hand: %+v, %v", sc, err)
	}
}
