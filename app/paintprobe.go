package app

import (
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// paintProbe tells when the window has painted its next frame, for the
// scan's timing: what staff see is the frame painted after a purchase is
// put on the widgets, and Fyne paints on a tick of its own, so the time a
// widget was set says little. It is a raster of one transparent pixel,
// last in the window, whose image the painter asks for again in the first
// frame after each Refresh. The painter only records the frame then; a
// software renderer (Mesa's under Xvfb) draws it when the frame is
// swapped onto the screen, which often takes longer. So the probe hands
// its news to the UI goroutine's queue (post), which runs it after the
// frame, swap included.
type paintProbe struct {
	raster  *canvas.Raster
	img     image.Image
	post    func(func())
	waiting []func(painted, shown time.Time)
}

// newPaintProbe returns a probe that reports through post, which runs a
// func on the UI goroutine when it is free.
func newPaintProbe(post func(func())) *paintProbe {
	p := &paintProbe{img: image.NewNRGBA(image.Rect(0, 0, 1, 1)), post: post}
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

// next has fn called, on the UI goroutine, once the next frame is
// painted, with the time the painter got to the probe (the frame
// recorded, its texts drawn) and the time the frame was on screen.
func (p *paintProbe) next(fn func(painted, shown time.Time)) {
	p.waiting = append(p.waiting, fn)
	p.raster.Refresh()
}

// generate is the raster's image, asked for while a frame is painted.
func (p *paintProbe) generate(_, _ int) image.Image {
	if len(p.waiting) > 0 {
		painted := time.Now()
		fns := p.waiting
		p.waiting = nil
		p.post(func() {
			at := time.Now()
			for _, fn := range fns {
				fn(painted, at)
			}
		})
	}
	return p.img
}
