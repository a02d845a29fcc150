package app

import (
	"bytes"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReprintEarlierDelivery(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("delivered-physical") // Handed over by Jonas nine days ago, signed.
	f.scan(code)
	s := f.d.scan
	require.Equal(t, stateDelivered, s.StateNow())
	assert.Contains(t, s.Detail.Text, "Jonas")
	require.False(t, s.Reprint.Disabled())
	f.key(fyne.KeyF8)
	f.eventually(func() bool { return len(f.printed()) > 0 && !f.d.isBusy() }, "reprint not printed: %s", f.d.message.Text)
	out := f.printed()
	assert.True(t, bytes.Contains(out, []byte("COPY")), "a reprint is marked as a copy")
	assert.True(t, bytes.Contains(out, []byte("Jonas")), "with who handed it over")
	images, ink := rasterInk(out)
	assert.GreaterOrEqual(t, images, 1, "with the signature taken then")
	assert.Greater(t, ink, 50)
}
