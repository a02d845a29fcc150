package app

import (
	"context"
	"log/slog"
	"strings"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
)

// printing is how a screen puts paper in staff's hands: it builds the
// documents from the letterhead and hands them to print, which prints in
// the background and says how it went.
type printing interface {
	print(what string, docs ...*printer.Document)
	letterhead() letterhead
	// printerInUse returns the printer in use, or nil.
	printerInUse() *printer.Printer
}

func (d *Desk) printerInUse() *printer.Printer {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.printer
}

// applyPrinter replaces the printer with the one cfg describes. It is safe
// to call off the UI goroutine.
func (d *Desk) applyPrinter(cfg config.Config) error {
	p, err := cfg.OpenPrinter()
	d.mu.Lock()
	d.printer = p
	d.mu.Unlock()
	return err
}

// print sends docs to the printer in the background, one after the other,
// and says how it went. what names them for staff ("delivery note").
func (d *Desk) print(what string, docs ...*printer.Document) {
	p := d.printerInUse()
	if p == nil {
		d.sayErr(tr("print.none", "No printer is set up, so the {{.What}} was not printed. A manager chooses one in Settings (F5).", m{"What": what}))
		return
	}
	preview := d.cfg.Preview
	d.async(func(ctx context.Context) func() {
		var err error
		var jobs []previewJob
		for _, doc := range docs {
			data, eerr := printer.Encode(doc, p.Profile())
			if eerr != nil {
				err = &printer.Error{Op: "print", Kind: printer.KindInvalid, Err: eerr}
				break
			}
			if err = p.PrintRaw(ctx, data); err != nil {
				break
			}
			if preview {
				job, perr := d.renderPreview(data, p)
				if perr != nil {
					slog.Warn("print preview", "what", what, "err", perr)
				}
				if job.img != nil {
					jobs = append(jobs, job)
				}
			}
		}
		return func() {
			d.showPreview(what, jobs)
			if err != nil {
				d.sayErr(tr("print.failed", "The {{.What}} was not printed: {{.Err}}. Fix the printer and reprint.", m{"What": what, "Err": printerErrText(err)}))
				return
			}
			slog.Info("printed", "what", what, "documents", len(docs))
			msg := d.message.Text
			done := tr("print.done", "Printed the {{.What}}.", m{"What": what})
			if msg != "" && !strings.Contains(msg, done) {
				d.message.SetText(msg + " " + done)
			} else {
				d.message.SetText(done)
			}
		}
	})
}

func printerErrText(err error) string {
	switch printer.KindOf(err) {
	case printer.KindUnreachable:
		return tr("print.unreachable", "the printer cannot be reached – is it on and connected?")
	case printer.KindTimeout:
		return tr("print.timeout", "the printer did not answer in time")
	case printer.KindPaperOut:
		return tr("print.paper_out", "the printer is out of paper")
	case printer.KindCoverOpen:
		return tr("print.cover_open", "the printer cover is open")
	case printer.KindOffline:
		return tr("print.offline", "the printer is offline")
	}
	return err.Error()
}
