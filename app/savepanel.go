package app

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// savePanel asks where to save an exported file: a row with the path (a
// proposed one, which staff may change), Save and Cancel. It never writes
// over a file silently: the first Save on a file that is there already
// says so and turns Save into Replace, and only that replaces it. A screen
// puts in(bar) where its button bar was and calls open from its Export;
// while open, the panel takes the bar's place, so that the screen grows
// no taller.
type savePanel struct {
	// Path is where to save; Enter saves.
	Path *entry
	// Confirm is Save, or Replace once staff were told the file exists.
	Confirm *button
	// Cancel closes the panel and writes nothing.
	Cancel *button

	sh      shell
	write   func(io.Writer) error // Makes the file's content, when saving.
	closed  func()                // Runs when the panel closes, to give the focus back.
	replace string                // The path staff were told exists; Save again replaces it.
	obj     fyne.CanvasObject
	bar     fyne.CanvasObject // The screen's buttons, hidden while the panel is open.
}

// newSavePanel makes a hidden save panel whose Save writes what write
// makes; closed runs whenever the panel closes (saved or cancelled).
func newSavePanel(sh shell, write func(io.Writer) error, closed func()) *savePanel {
	p := &savePanel{sh: sh, write: write, closed: closed}
	p.Path = newEntry(sh, "")
	p.Path.OnSubmitted = func(string) { p.save() }
	p.Path.OnChanged = func(string) { p.forget() }
	p.Confirm = newButton(sh, label("report.save"), theme.DocumentSaveIcon(), p.save)
	p.Confirm.Importance = widget.HighImportance
	p.Cancel = newButton(sh, label("report.cancel_save"), theme.CancelIcon(), p.close)
	// As large as the button bar it stands in for: touch targets.
	p.obj = big(container.NewBorder(nil, nil, boldLabel(label("report.save_as")),
		container.NewHBox(p.Confirm, p.Cancel), p.Path), 16)
	p.obj.Hide()
	return p
}

// in returns the screen's button bar with the panel in its place while
// the panel is open.
func (p *savePanel) in(bar fyne.CanvasObject) fyne.CanvasObject {
	p.bar = bar
	return container.NewStack(bar, p.obj)
}

// Visible reports whether the panel is open.
func (p *savePanel) Visible() bool { return p.obj.Visible() }

// open shows the panel with path proposed and the focus in it; if it is
// open already (F6 again), what staff typed is kept.
func (p *savePanel) open(path string) {
	if p.Visible() {
		p.sh.focus(p.Path)
		return
	}
	p.Path.SetText(path)
	p.forget()
	if p.bar != nil {
		p.bar.Hide()
	}
	p.obj.Show()
	p.sh.focus(p.Path)
}

// close hides the panel without writing.
func (p *savePanel) close() {
	p.obj.Hide()
	if p.bar != nil {
		p.bar.Show()
	}
	p.forget()
	if p.closed != nil {
		p.closed()
	}
}

// escape closes the panel if it is open, and reports whether it was: Esc
// cancels the panel before it leaves the screen.
func (p *savePanel) escape() bool {
	if !p.Visible() {
		return false
	}
	p.close()
	return true
}

// forget turns Replace back into Save: a changed path has not been
// confirmed.
func (p *savePanel) forget() {
	p.replace = ""
	p.Confirm.SetText(label("report.save"))
}

// save writes the file where the panel says. A file that is there already
// is replaced only when Save is pressed again for it, after staff were
// told: never silently.
func (p *savePanel) save() {
	path := strings.TrimSpace(p.Path.Text)
	if path == "" || !p.Visible() {
		return
	}
	var buf strings.Builder
	if err := p.write(&buf); err != nil {
		p.sh.sayErr(label("report.export_failed", m{"Err": detail(err)}))
		return
	}
	data, replace := buf.String(), p.replace == path
	p.sh.async(func(context.Context) func() {
		err := writeNew(path, []byte(data), replace)
		return func() {
			switch {
			case errors.Is(err, fs.ErrExist):
				p.replace = path
				p.Confirm.SetText(label("report.replace"))
				p.sh.sayErr(label("report.export_exists", m{"Path": path}))
			case err != nil:
				p.sh.sayErr(label("report.export_failed", m{"Err": ioErrText(err)}))
			default:
				p.close()
				p.sh.sayOK(label("report.exported", m{"Path": path}))
			}
		}
	})
}

// writeNew writes data to path, creating its directory; unless replace, a
// file already there is left alone and the error is fs.ErrExist.
func writeNew(path string, data []byte, replace bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if replace {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ioErrText says in staff's words why a file could not be written.
func ioErrText(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return label("err.file_permission")
	case errors.Is(err, fs.ErrNotExist):
		return label("err.file_no_dir")
	case diskFull(err):
		return label("err.disk_full")
	}
	return detail(err)
}
