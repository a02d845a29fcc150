package app

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// barChart is a bar chart drawn with canvas rectangles: one bar per label,
// each with its value written over it when it is not zero.
type barChart struct {
	widget.BaseWidget
	labels []string
	values []int
	// valueText writes a bar's value over it; nil writes nothing.
	valueText func(int) string
	// minHeight is the least height; 0 means 120.
	minHeight float32
}

// newBarChart returns an empty chart of bars with the given labels.
func newBarChart(labels []string, valueText func(int) string) *barChart {
	c := &barChart{labels: labels, values: make([]int, len(labels)), valueText: valueText}
	c.ExtendBaseWidget(c)
	return c
}

// hourChart is a bar chart of activities per hour of the day.
type hourChart = barChart

// newHourChart returns an empty chart of the 24 hours.
func newHourChart() *hourChart {
	labels := make([]string, 24)
	for i := range labels {
		labels[i] = strconv.Itoa(i)
	}
	return newBarChart(labels, strconv.Itoa)
}

// SetValues sets the bars' values, in the order of the labels.
func (c *barChart) SetValues(values []int) {
	c.values = make([]int, len(c.labels))
	copy(c.values, values)
	c.Refresh()
}

// Values returns the bars' values.
func (c *barChart) Values() []int { return c.values }

// SetCounts sets the number of activities in each hour.
func (c *barChart) SetCounts(counts [24]int) { c.SetValues(counts[:]) }

// Counts returns the number of activities in each hour.
func (c *barChart) Counts() (counts [24]int) {
	copy(counts[:], c.values)
	return counts
}

// CreateRenderer implements fyne.Widget.
func (c *barChart) CreateRenderer() fyne.WidgetRenderer {
	n := len(c.labels)
	r := &chartRenderer{c: c, bars: make([]*canvas.Rectangle, n), labels: make([]*canvas.Text, n), nums: make([]*canvas.Text, n)}
	for i := range r.bars {
		r.bars[i] = canvas.NewRectangle(colDone)
		r.labels[i] = canvas.NewText(c.labels[i], theme.Color(theme.ColorNameForeground))
		r.labels[i].TextSize = 10
		r.labels[i].Alignment = fyne.TextAlignCenter
		r.nums[i] = canvas.NewText("", theme.Color(theme.ColorNameForeground))
		r.nums[i].TextSize = 10
		r.nums[i].Alignment = fyne.TextAlignCenter
	}
	return r
}

type chartRenderer struct {
	c      *barChart
	bars   []*canvas.Rectangle
	labels []*canvas.Text
	nums   []*canvas.Text
}

func (r *chartRenderer) Layout(size fyne.Size) {
	most := 1
	for _, n := range r.c.values {
		most = max(most, n)
	}
	w := size.Width / float32(max(len(r.bars), 1))
	plot := size.Height - 28
	for i, n := range r.c.values {
		h := plot * float32(max(n, 0)) / float32(most)
		x := float32(i) * w
		r.bars[i].Move(fyne.NewPos(x+2, 14+plot-h))
		r.bars[i].Resize(fyne.NewSize(w-4, h))
		r.labels[i].Move(fyne.NewPos(x, size.Height-14))
		r.labels[i].Resize(fyne.NewSize(w, 14))
		r.nums[i].Text = ""
		if n != 0 && r.c.valueText != nil {
			r.nums[i].Text = r.c.valueText(n)
		}
		r.nums[i].Move(fyne.NewPos(x, plot-h))
		r.nums[i].Resize(fyne.NewSize(w, 14))
	}
}

func (r *chartRenderer) MinSize() fyne.Size {
	h := r.c.minHeight
	if h == 0 {
		h = 120
	}
	return fyne.NewSize(480, h)
}

func (r *chartRenderer) Refresh() {
	r.Layout(r.c.Size())
	for i := range r.bars {
		r.nums[i].Refresh()
		r.bars[i].Refresh()
	}
}

func (r *chartRenderer) Objects() []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 0, 3*len(r.bars))
	for i := range r.bars {
		objs = append(objs, r.bars[i], r.labels[i], r.nums[i])
	}
	return objs
}

func (r *chartRenderer) Destroy() {}
