package app

import (
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke/printer"
)

// previewWindow shows printed jobs as the printer put them on paper, at one
// screen pixel per printer dot, for demos and for checking a layout without
// walking to the printer. Config.Preview turns it on.
type previewWindow struct {
	Window fyne.Window
	// Images are the jobs of the last print, top to bottom.
	Images []*canvas.Image
	// Close closes the window; Esc does too.
	Close *widget.Button
	// Files are the PNGs written for the last print, if the printer is a file.
	Files []string

	list   *fyne.Container
	scroll *container.Scroll
	open   bool
}

// Open reports whether the window is showing.
func (pw *previewWindow) Open() bool { return pw.open }

// previewJob is one printed job, rendered.
type previewJob struct {
	img  image.Image
	file string
}

// renderPreview renders a printed job and, for a file printer, writes it as
// PNG beside the file: printer.bin gets printer-0001.png, printer-0002.png…
// It runs off the UI goroutine.
func (d *Desk) renderPreview(data []byte, p *printer.Printer) (previewJob, error) {
	img, err := printer.Render(data, p.Profile())
	if err != nil {
		return previewJob{}, fmt.Errorf("render the print preview: %w", err)
	}
	job := previewJob{img: img}
	t := p.Target()
	if t.Kind != "file" || t.Address == "" {
		return job, nil
	}
	d.previewMu.Lock()
	defer d.previewMu.Unlock()
	base := strings.TrimSuffix(t.Address, filepath.Ext(t.Address))
	for {
		d.previewSeq++
		name := fmt.Sprintf("%s-%04d.png", base, d.previewSeq)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if os.IsExist(err) {
			continue // Left by an earlier run: keep it, number on.
		}
		if err != nil {
			return job, fmt.Errorf("save the print preview: %w", err)
		}
		// The image rendered above, not a second rendering of the job.
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		err = enc.Encode(f, img)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(name)
			return job, fmt.Errorf("save the print preview %s: %w", name, err)
		}
		job.file = name
		return job, nil
	}
}

// showPreview shows the jobs of one print in the preview window, opening it
// if needed. It runs on the UI goroutine.
func (d *Desk) showPreview(what string, jobs []previewJob) {
	if len(jobs) == 0 {
		return
	}
	pw := d.preview
	if pw == nil || !pw.open {
		pw = &previewWindow{Window: d.app.NewWindow(label("preview.title"))}
		pw.list = container.NewVBox()
		pw.scroll = container.NewScroll(pw.list)
		pw.Close = widget.NewButtonWithIcon(label("preview.close"), theme.CancelIcon(), pw.Window.Close)
		pw.Window.SetContent(container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), pw.Close), nil, nil, pw.scroll))
		pw.Window.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
			if ev.Name == fyne.KeyEscape {
				pw.Window.Close()
				return
			}
			d.deskKey(ev)
		})
		pw.Window.Canvas().SetOnTypedRune(d.deskRune)
		pw.Window.SetOnClosed(func() { pw.open = false })
		pw.open = true
		d.preview = pw
	}
	pw.Window.SetTitle(label("preview.title_what", m{"What": what}))
	pw.list.RemoveAll()
	pw.Images, pw.Files = nil, nil
	width := float32(0)
	for _, j := range jobs {
		b := j.img.Bounds()
		img := canvas.NewImageFromImage(j.img)
		// 1:1: one printer dot per pixel of the screen, unscaled.
		img.FillMode = canvas.ImageFillOriginal
		img.ScaleMode = canvas.ImageScalePixels
		img.SetMinSize(fyne.NewSize(float32(b.Dx()), float32(b.Dy())))
		width = max(width, float32(b.Dx()))
		pw.list.Add(img)
		pw.Images = append(pw.Images, img)
		if j.file != "" {
			pw.Files = append(pw.Files, j.file)
		}
	}
	pw.list.Refresh()
	pw.scroll.ScrollToTop()
	pw.Window.Resize(fyne.NewSize(width+40, 700))
	pw.Window.Show()
	// The desk keeps the keyboard, so that the next scan reaches the scan
	// field; keys that reach the preview anyway are handed on above.
	d.window.RequestFocus()
	slog.Info("print preview", "what", what, "jobs", len(jobs), "files", pw.Files)
}
