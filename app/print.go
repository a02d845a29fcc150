package app

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
)

// printing is how a screen puts paper in staff's hands: it builds the
// documents from the letterhead and hands them to print, which prints in
// the background and says how it went.
type printing interface {
	print(what string, docs ...*printer.Document)
	// printThen is print, and then, when the documents did not all
	// print, failed with why, on the UI goroutine after the message.
	printThen(what string, failed func(err error), docs ...*printer.Document)
	letterhead() letterhead
	// printerInUse returns the printer in use, or nil.
	printerInUse() *printer.Printer
}

func (d *Desk) printerInUse() *printer.Printer {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.printer
}

// printerGrace is how long the job in flight on a printer being replaced
// (settings, F5) may take to finish before it is cut short: a note takes a
// second or two on a printer that prints, and one that takes nothing (out
// of paper, or the reason staff change the printer) holds the new printer's
// first job no longer than this.
const printerGrace = 5 * time.Second

// applyPrinter replaces the printer with the one cfg describes. It is safe
// to call off the UI goroutine. The same printer (profile and target) is
// kept, its jobs going on in order. Another printer takes its jobs after
// the old printer's job in flight, which gets printerGrace to finish (the
// same device under another profile must not get two jobs' bytes at once);
// jobs waiting for the old printer go to the new one (printThen).
func (d *Desk) applyPrinter(cfg config.Config) error {
	next, err := cfg.OpenPrinter()
	d.mu.Lock()
	old := d.printer
	if old != nil && next != nil && old.Profile().ID == next.Profile().ID && old.Target() == next.Target() {
		d.mu.Unlock()
		return nil
	}
	// The printer before, or the last one removed (the settings may go
	// from a printer to none and back to the same device within its
	// job's grace): a new printer waits for its job in flight.
	prev := old
	if prev == nil {
		prev = d.retired
	}
	if prev != nil && next != nil {
		next.Follow(prev)
	}
	if old != nil {
		d.retired = old
	}
	d.printer = next
	d.mu.Unlock()
	if old != nil {
		ctx, cancel := context.WithCancel(d.ctx)
		d.after(printerGrace, cancel)
		go func() {
			defer cancel()
			old.Close(ctx)
			slog.Info("printer replaced", "old", old.Target().String(), "profile", old.Profile().ID)
		}()
	}
	return err
}

// printFailure is the error printThen hands its failed callback: why the
// print failed, and how many of its documents went out whole before it.
type printFailure struct {
	err     error
	printed int
}

func (e *printFailure) Error() string { return e.err.Error() }
func (e *printFailure) Unwrap() error { return e.err }

// printedBefore is how many documents of a print that failed with err went
// out whole before it failed (printThen): none when err does not say.
func printedBefore(err error) int {
	var pf *printFailure
	if errors.As(err, &pf) {
		return pf.printed
	}
	return 0
}

// print sends docs to the printer in the background, one after the other,
// and says how it went. what names them for staff ("delivery note").
func (d *Desk) print(what string, docs ...*printer.Document) { d.printThen(what, nil, docs...) }

// errNoPrinter is why nothing printed when no printer is set up.
var errNoPrinter = printer.E("app.print", printer.KindInvalid, "no printer is set up")

// neverPrinted reports whether a print that failed with err put nothing on
// paper: the printer said it cannot print (paper, cover, offline) before
// the job, or could not be reached or opened. A job that failed while it
// was sent may have printed in part.
func neverPrinted(err error) bool {
	if errors.Is(err, printer.ErrPartial) {
		// Bytes went out whatever the printer said after them: a roll
		// that ran out or a cable pulled in the middle of the job leaves
		// part of it on paper.
		return false
	}
	if errors.Is(err, printer.ErrClosed) {
		return true // The printer was replaced before the job started.
	}
	switch printer.KindOf(err) {
	case printer.KindPaperOut, printer.KindCoverOpen, printer.KindOffline, printer.KindUnreachable,
		printer.KindPermission, printer.KindInvalid,
		// Timed out before a byte went out: waiting behind an earlier
		// job on a printer that takes nothing, or for it to answer.
		printer.KindTimeout:
		return true
	}
	return false
}

// printThen: see printing.
func (d *Desk) printThen(what string, failed func(err error), docs ...*printer.Document) {
	p := d.printerInUse()
	if p == nil {
		d.sayErr(label("print.none", m{"What": what}))
		if failed != nil {
			failed(errNoPrinter)
		}
		return
	}
	preview := d.cfg.Preview
	d.async(func(ctx context.Context) func() {
		var err error
		var jobs []previewJob
		var asText []string // Codes printed as text: no barcode could show them.
		// unchecked: a document went out while the printer did not say
		// whether it has paper; low: it said the roll is nearly empty.
		var unchecked, low bool
		printed := 0 // Documents that went out whole.
		for _, doc := range docs {
			var data []byte
			var sent printer.Sent
			var warnings []printer.Warning
			for {
				enc, eerr := printer.EncodeDetailed(doc, p.Profile())
				if eerr != nil {
					err = eerr // a printer error of KindInvalid
					break
				}
				data, warnings = enc.Bytes, enc.Warnings
				sent, err = p.Send(ctx, data)
				// The printer was replaced (settings) before this job
				// started on it: nothing of it went out, and the new
				// printer prints it.
				if errors.Is(err, printer.ErrClosed) && !errors.Is(err, printer.ErrPartial) {
					if now := d.printerInUse(); now != nil && now != p {
						p = now
						continue
					}
				}
				break
			}
			if err != nil {
				break
			}
			printed++
			for _, w := range warnings {
				asText = append(asText, w.Data)
			}
			unchecked = unchecked || sent.Unchecked
			low = low || sent.Checked && sent.Status.PaperNearEnd
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
				switch {
				case errors.Is(err, printer.ErrPartial) && errors.Is(err, printer.ErrClosed):
					// Cut short by a printer change: say so, not "fix the printer".
					d.sayErr(label("print.cut_short", m{"What": what}))
				case errors.Is(err, printer.ErrClosed):
					// The printer was removed in the settings before it began.
					d.sayErr(label("print.none", m{"What": what}))
				default:
					d.sayErr(label("print.failed", m{"What": what, "Err": printerErrText(err)}))
				}
				if failed != nil {
					failed(&printFailure{err: err, printed: printed})
				}
				return
			}
			slog.Info("printed", "what", what, "documents", len(docs), "codes_as_text", len(asText), "unchecked", unchecked, "paper_low", low)
			msg := d.message.Text
			done := label("print.done", m{"What": what})
			codes := strings.Join(asText, ", ")
			switch {
			case unchecked:
				// Sent, but whether it is on paper is not known: staff
				// look before the customer leaves.
				done = label("print.sent_unchecked", m{"What": what})
				if len(asText) > 0 {
					done += " " + label("print.codes_as_text", m{"Codes": codes})
				}
			case len(asText) > 0:
				// It printed, but a scanner cannot read the code from it.
				done = label("print.code_as_text", m{"What": what, "Codes": codes})
			}
			if low {
				done += " " + label("print.paper_low")
			}
			if msg != "" && !strings.Contains(msg, done) {
				d.message.SetText(msg + " " + done)
			} else {
				d.message.SetText(done)
			}
		}
	})
}

// printerErrText turns a printer error into words for staff: every kind of
// printer failure has its own text, in the staff's language; only the
// detail of a bad setting or an unclassified failure is the printer
// package's own.
func printerErrText(err error) string {
	switch {
	case errors.Is(err, printer.ErrClosed):
		return label("print.replaced")
	case diskFull(err):
		return label("print.disk_full")
	}
	switch printer.KindOf(err) {
	case printer.KindUnreachable:
		return label("print.unreachable")
	case printer.KindTimeout:
		return label("print.timeout")
	case printer.KindPaperOut:
		return label("print.paper_out")
	case printer.KindCoverOpen:
		return label("print.cover_open")
	case printer.KindOffline:
		return label("print.offline")
	case printer.KindUnsupported:
		return label("print.unsupported")
	case printer.KindInvalid:
		if errors.Is(err, fs.ErrNotExist) {
			return label("print.no_device")
		}
		return label("print.invalid", m{"Msg": detail(err)})
	case printer.KindIO:
		return label("print.io")
	case printer.KindCanceled:
		return label("print.canceled")
	case printer.KindPermission:
		return label("print.permission")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return label("print.no_device")
	}
	return label("print.other", m{"Msg": detail(err)})
}
