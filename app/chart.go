package app

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// hourChart is a bar chart of activities per hour of the day, drawn with
// canvas rectangles.
type hourChart struct {
	widget.BaseWidget
	counts [24]int
}

// newHourChart returns an empty chart.
func newHourChart() *hourChart {
	c := &hourChart{}
	c.ExtendBaseWidget(c)
	return c
}

// SetCounts sets the number of activities in each hour.
func (c *hourChart) SetCounts(counts [24]int) {
	c.counts = counts
	c.Refresh()
}

// Counts returns the number of activities in each hour.
func (c *hourChart) Counts() [24]int { return c.counts }

// CreateRenderer implements fyne.Widget.
func (c *hourChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	for i := range r.bars {
		r.bars[i] = canvas.NewRectangle(colDone)
		r.labels[i] = canvas.NewText(strconv.Itoa(i), theme.Color(theme.ColorNameForeground))
		r.labels[i].TextSize = 10
		r.labels[i].Alignment = fyne.TextAlignCenter
		r.nums[i] = canvas.NewText("", theme.Color(theme.ColorNameForeground))
		r.nums[i].TextSize = 10
		r.nums[i].Alignment = fyne.TextAlignCenter
	}
	return r
}

type chartRenderer struct {
	c      *hourChart
	bars   [24]*canvas.Rectangle
	labels [24]*canvas.Text
	nums   [24]*canvas.Text
}

func (r *chartRenderer) Layout(size fyne.Size) {
	most := 1
	for _, n := range r.c.counts {
		most = max(most, n)
	}
	w := size.Width / 24
	plot := size.Height - 28
	for i, n := range r.c.counts {
		h := plot * float32(n) / float32(most)
		x := float32(i) * w
		r.bars[i].Move(fyne.NewPos(x+2, 14+plot-h))
		r.bars[i].Resize(fyne.NewSize(w-4, h))
		r.labels[i].Move(fyne.NewPos(x, size.Height-14))
		r.labels[i].Resize(fyne.NewSize(w, 14))
		r.nums[i].Text = ""
		if n > 0 {
			r.nums[i].Text = strconv.Itoa(n)
		}
		r.nums[i].Move(fyne.NewPos(x, plot-h))
		r.nums[i].Resize(fyne.NewSize(w, 14))
	}
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(480, 120) }

func (r *chartRenderer) Refresh() {
	r.Layout(r.c.Size())
	for i := range r.bars {
		r.nums[i].Refresh()
		r.bars[i].Refresh()
	}
}

func (r *chartRenderer) Objects() []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 0, 72)
	for i := range r.bars {
		objs = append(objs, r.bars[i], r.labels[i], r.nums[i])
	}
	return objs
}

func (r *chartRenderer) Destroy() {}
