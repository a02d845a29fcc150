package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A scan is told from typing by its pace, even when a busy desk handles its
// keys in bunches; a person's pace never is one.
func TestBurst(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	cases := []struct {
		name    string
		at      []int // When each key of "A6MAECGN"[:len(at)] came, in ms.
		enter   int
		scanned bool
	}{
		{"scanner, 8 ms apart", []int{0, 8, 16, 24, 32, 40, 48, 56}, 70, true},
		{"scanner, handled in two bunches", []int{0, 0, 0, 0, 120, 120, 120, 120}, 121, true},
		{"scanner, Enter sent apart", []int{0, 8, 16, 24, 32, 40, 48, 56}, 300, true},
		{"person, 150 ms apart", []int{0, 150, 300, 450, 600, 750, 900, 1050}, 1200, false},
		{"too short", []int{0, 8, 16, 24}, 30, false},
		{"Enter much later", []int{0, 8, 16, 24, 32, 40, 48, 56}, 900, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b burst
			for i, at := range tc.at {
				b.key(rune("A6MAECGN"[i]), ms(at))
			}
			e := b.end(ms(tc.enter))
			assert.Equal(t, tc.scanned, e.Scanned)
			assert.Equal(t, "A6MAECGN"[:len(tc.at)], e.Text)
			assert.Empty(t, e.Held)
			assert.Zero(t, b.len(), "forgotten after Enter")
		})
	}
}

// A busy desk that handles a scan's first key and then holds the rest back
// for seconds while it draws: the burst keeps the first key apart, as held,
// for the pipeline to take back (see scanner.Entry).
func TestBurstHeldApart(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var b burst
	b.key('E', t0)
	at := t0.Add(2700 * time.Millisecond)
	for _, r := range "5ZRR2DR" {
		b.key(r, at)
		at = at.Add(8 * time.Millisecond)
	}
	e := b.end(at)
	assert.True(t, e.Scanned)
	assert.Equal(t, "5ZRR2DR", e.Text)
	assert.Equal(t, "E", e.Held)
}
