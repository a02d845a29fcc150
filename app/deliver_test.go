package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPartialDelivery(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("many-lines")
	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDeliverable, s.StateNow(), s.State.Text)

	f.key(fyne.KeyF6) // Choose quantities, from the keyboard.
	require.NotEmpty(t, s.Qty)
	assert.IsType(t, &entry{}, f.d.window.Canvas().Focused(), "the first quantity field has the focus")
	p := s.Purchase()
	var service string
	for _, l := range p.Lines {
		if s.Qty[l.ID] == nil {
			continue
		}
		if l.Kind == "service" && l.Remaining() >= 2 && service == "" {
			service = l.ID
			s.Qty[l.ID].SetText("1")
		} else {
			s.Qty[l.ID].SetText("0")
		}
	}
	require.NotEmpty(t, service, "the demo purchase has a service line with 2 left")
	before := f.shop.Purchase(code)

	// Too many is refused with a message.
	s.Qty[service].SetText("99")
	test.Tap(s.DeliverChosen)
	f.idle()
	assert.Contains(t, f.d.message.Text, "choose a quantity")
	assert.Len(t, f.shop.Deliveries(code), len(before.Deliveries))

	// Typing into a focused quantity field replaces the proposed quantity.
	s.Qty[service].SetText("2")
	f.d.window.Canvas().Focus(s.Qty[service])
	test.Type(s.Qty[service], "1")
	require.Equal(t, "1", s.Qty[service].Text)
	s.Qty[service].Submit() // Enter in a quantity field delivers the chosen quantities.
	f.idle()
	require.False(t, s.SignatureOpen(), "services need no signature")
	require.Equal(t, stateDelivered, s.StateNow(), "%q %q", s.State.Text, f.d.message.Text)
	assert.Regexp(t, `^DELIVERED 1 – \d+ REMAIN$`, s.State.Text, "a partial delivery says what remains")
	assert.Equal(t, colJustDone, s.banner.bg.FillColor, "just delivered is not the blue of already delivered")
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == len(before.Deliveries)+1 }, "partial delivery not at the shop")
	after := f.shop.Purchase(code)
	for i, l := range after.Lines {
		want := before.Lines[i].Delivered
		if l.ID == service {
			want++
		}
		assert.Equal(t, want, l.Delivered, "line %s", l.Name)
	}
	assert.True(t, after.Remaining(), "the rest is still to be handed over")
	// The screen shows what remains, and can deliver it once staff have
	// had the moment to see it.
	assert.True(t, s.DeliverAll.Disabled(), "the rest is handed over only once it was seen")
	f.look()
	assert.False(t, s.DeliverAll.Disabled())
}
