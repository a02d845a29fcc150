package app

import (
	"bytes"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignaturePad(t *testing.T) {
	test.NewTempApp(t)
	p := newSignaturePad()
	p.Resize(fyne.NewSize(600, 200))
	assert.True(t, p.Empty(), "a new pad is blank")

	p.Tapped(&fyne.PointEvent{Position: fyne.NewPos(100, 100)})
	assert.True(t, p.Empty(), "a dot is not a signature")
	assert.Equal(t, 1, p.Strokes())

	// A short scribble is still too little ink.
	p.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(110, 100)}, Dragged: fyne.NewDelta(5, 0)})
	p.DragEnd()
	assert.True(t, p.Empty())

	sign(p)
	assert.False(t, p.Empty())
	b, err := p.PNG()
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	// Cropped to the ink: the strokes span x 0..400 of a 600 wide pad.
	assert.Less(t, img.Bounds().Dx(), signatureWidth)
	dark := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			}
		}
	}
	assert.Greater(t, dark, 500, "the strokes are drawn")

	p.Clear()
	assert.True(t, p.Empty())
	assert.Zero(t, p.Strokes())
}
