package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"

	"github.com/skranke/skranke"
)

// Every refusal sounds the refusal tone once; what can be handed over,
// and handing it over, is silent.
func TestRefusalsSoundTheTone(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	tones := func() int { return int(f.tones.n.Load()) }
	steps := []struct {
		name string
		do   func()
		want int // Tones added.
	}{
		{"paid", func() { f.scan(f.shop.Code("paid-course")) }, 0},
		{"delivered now", func() { f.key(fyne.KeyReturn) }, 0},
		{"not paid", func() { f.scan(f.shop.Code("pending")) }, 1},
		{"unknown code", func() { f.scan(skranke.NewReference()) }, 1},
		{"not a code", func() { f.scan("HELLO-WORLD!") }, 1},
		{"another centre's", func() { f.scan(f.shop.Code("other-centre")) }, 1},
		{"already delivered", func() { f.scan(f.shop.Code("delivered")) }, 0},
		// Staff credit with a manager's PIN in place: F7 asks, it refuses nothing.
		{"credit asks for a manager", func() { f.key(fyne.KeyF7) }, 0},
	}
	for _, st := range steps {
		before := tones()
		st.do()
		assert.Equal(t, st.want, tones()-before, st.name)
	}
	// Refused twice in a moment (the banner and the message bar): one tone.
	f.clock.advance(time.Second)
	before := tones()
	f.d.scan.sh.sayErr("one")
	f.d.scan.sh.sayErr("two")
	assert.Equal(t, 1, tones()-before, "two refusals in one moment sound once")
}
