package app

import (
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// paintProbe tells when the window paints its next frame, for the scan's
// timing: what staff see is the frame painted after a purchase is put on
// the widgets, and Fyne paints on a tick of its own, so the time a widget
// was set says little. It is a raster of one transparent pixel, last in
// the window, whose image the painter asks for again in the first frame
// after each Refresh.
type paintProbe struct {
	raster  *canvas.Raster
	img     image.Image
	waiting []func(at time.Time)
}

func newPaintProbe() *paintProbe {
	p := &paintProbe{img: image.NewNRGBA(image.Rect(0, 0, 1, 1))}
	p.raster = canvas.NewRaster(p.generate)
	p.raster.SetMinSize(fyne.NewSize(1, 1))
	return p
}

// obj is the probe as placed in the window: a pixel in its top left
// corner, over everything, taking no room.
func (p *paintProbe) obj() fyne.CanvasObject {
	c := container.NewWithoutLayout(p.raster)
	p.raster.Resize(fyne.NewSize(1, 1))
	return c
}

// next has fn called, on the UI goroutine, when the next frame is
// painted, with the time it was. fn must only take note: the window is
// being painted.
func (p *paintProbe) next(fn func(at time.Time)) {
	p.waiting = append(p.waiting, fn)
	p.raster.Refresh()
}

// generate is the raster's image, asked for while a frame is painted.
func (p *paintProbe) generate(_, _ int) image.Image {
	if len(p.waiting) > 0 {
		at := time.Now()
		fns := p.waiting
		p.waiting = nil
		for _, fn := range fns {
			fn(at)
		}
	}
	return p.img
}
