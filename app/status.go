package app

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/printer"
	"github.com/skranke/skranke/scanner"
	desksync "github.com/skranke/skranke/sync"
)

// statusScreen shows the connection, the outbox, the conflicts the shop
// refused (managers resolve them), and the scanner and printer.
type statusScreen struct {
	Online   *fitText
	LastSync *widget.Label
	Outbox   *widget.Label
	SyncNow  *button
	// Conflicts has a row per refused action, by ID (managers only).
	Conflicts     map[int64]*conflictRow
	conflictBox   *fyne.Container
	Scanner       *widget.Label
	Printer       *widget.Label
	CheckPrinter  *button
	TestPrint     *button
	scannerStates map[string]scanner.DeviceStatus

	sh    shell
	svc   statusService
	paper printing
	last  desksync.Status // The sync status last shown.
	// toScan shows the scan screen and returns its scan field.
	toScan func() fyne.Focusable
	obj    fyne.CanvasObject
}

// conflictRow is one refused action with the buttons that resolve it.
type conflictRow struct {
	Conflict desksync.OutboxConflict
	Retry    *button
	Reason   *entry // Why it is discarded; required.
	Discard  *button
}

// statusService is what the status screen asks of the desk's sync.
type statusService interface {
	SyncNow()
	Conflicts(ctx context.Context) ([]desksync.OutboxConflict, error)
	Retry(ctx context.Context, id int64) error
	Discard(ctx context.Context, id int64, reason string, staff skranke.Staff) error
}

func newStatusScreen(sh shell, svc statusService, paper printing, toScan func() fyne.Focusable) *statusScreen {
	s := &statusScreen{sh: sh, svc: svc, paper: paper, toScan: toScan, Conflicts: map[int64]*conflictRow{}, scannerStates: map[string]scanner.DeviceStatus{}}
	s.Online = bigText(40, true)
	s.LastSync = rowLabel("")
	s.Outbox = widget.NewLabel("")
	s.Outbox.Wrapping = fyne.TextWrapWord
	s.SyncNow = newButton(sh, label("status.sync_now"), theme.ViewRefreshIcon(), func() {
		svc.SyncNow()
		sh.say(label("status.syncing"))
	})
	s.conflictBox = container.NewVBox()
	s.Scanner = widget.NewLabel("")
	s.Scanner.Wrapping = fyne.TextWrapWord
	s.Printer = widget.NewLabel("")
	s.Printer.Wrapping = fyne.TextWrapWord
	s.CheckPrinter = newButton(sh, label("status.check_printer"), theme.ViewRefreshIcon(), s.checkPrinter)
	s.TestPrint = newButton(sh, label("status.test_print"), theme.DocumentPrintIcon(), s.testPrint)
	s.showScanner()
	conn := widget.NewCard(label("status.connection"), "",
		container.NewBorder(nil, nil, nil, container.NewCenter(big(s.SyncNow, 16)), container.NewVBox(s.Online, s.LastSync, s.Outbox)))
	hw := widget.NewCard(label("status.hardware"), "",
		container.NewVBox(s.Scanner, s.Printer, big(container.NewGridWithColumns(2, s.CheckPrinter, s.TestPrint), 16)))
	// Refused actions may pile up while a desk is offline: their list
	// scrolls below the connection and the hardware, whose buttons stay put.
	conf := widget.NewCard(label("status.conflicts"), "",
		minHeight(container.NewVScroll(s.conflictBox), linesMinHeight))
	s.obj = container.NewBorder(container.NewGridWithColumns(2, conn, hw), nil, nil, nil, conf)
	return s
}

// show updates the connection part from st.
func (s *statusScreen) show(st desksync.Status) {
	s.last = st
	if !s.obj.Visible() {
		// load shows it when the screen opens. The sync loop reports every
		// few seconds, and a refresh of a hidden text repaints the window
		// all the same.
		return
	}
	text, col := label("status.offline_big"), colBad
	switch {
	case !st.BusyUntil.IsZero():
		text, col = label("status.busy_big", m{"When": fmtTime(st.BusyUntil)}), colWarn
	case st.Online:
		text, col = label("status.online_big"), colOK
	}
	if s.Online.Text != text || s.Online.Color != col {
		s.Online.Text, s.Online.Color = text, col
		s.Online.Refresh()
	}
	last := label("status.never")
	if !st.LastSync.IsZero() {
		last = fmtDateTime(st.LastSync) + " (" + fmtAge(s.sh.now(), st.LastSync) + ")"
	}
	relabel(s.LastSync, label("status.last_sync", m{"When": last}))
	out := label("status.outbox", m{"N": st.Pending, "C": st.Conflicts})
	if st.LastErr != nil {
		out += "\n" + label("status.last_error", m{"Err": syncErrText(st.LastErr)})
	}
	if !st.FeedRestarted.IsZero() {
		out += "\n" + label("status.feed_restarted", m{"When": fmtDateTime(st.FeedRestarted)})
	}
	relabel(s.Outbox, out)
}

// load refreshes the conflicts and the printer state.
func (s *statusScreen) load() {
	s.show(s.last)
	s.showPrinter("")
	s.conflictBox.RemoveAll()
	s.Conflicts = map[int64]*conflictRow{}
	if !isManager(s.sh.currentStaff()) {
		s.conflictBox.Add(rowLabel(label("status.conflicts_manager")))
		return
	}
	s.sh.async(func(ctx context.Context) func() {
		cs, err := s.svc.Conflicts(ctx)
		return func() {
			if err != nil {
				s.conflictBox.Add(rowLabel(errText(err)))
				return
			}
			s.setConflicts(cs)
		}
	})
}

func (s *statusScreen) setConflicts(cs []desksync.OutboxConflict) {
	s.conflictBox.RemoveAll()
	s.Conflicts = map[int64]*conflictRow{}
	if len(cs) == 0 {
		s.conflictBox.Add(rowLabel(label("status.no_conflicts")))
		return
	}
	for _, c := range cs {
		row := &conflictRow{Conflict: c}
		row.Retry = newButton(s.sh, label("status.retry"), theme.ViewRefreshIcon(), func() { s.retry(row) })
		row.Reason = newEntry(s.sh, label("status.discard_reason"))
		row.Reason.OnSubmitted = func(string) { s.discard(row) }
		row.Discard = newButton(s.sh, label("status.discard"), theme.DeleteIcon(), func() { s.discard(row) })
		row.Discard.Importance = widget.DangerImportance
		s.Conflicts[c.ID] = row
		text := fmtDateTime(c.At) + " · " + c.Kind + " · " + c.Summary + "\n" + label("status.reason", m{"Reason": c.Reason})
		lbl := widget.NewLabel(text)
		lbl.Wrapping = fyne.TextWrapWord
		s.conflictBox.Add(container.NewVBox(lbl, container.NewBorder(nil, nil, row.Retry, row.Discard, row.Reason), widget.NewSeparator()))
	}
}

func (s *statusScreen) retry(row *conflictRow) {
	if !isManager(s.sh.currentStaff()) {
		return
	}
	id, by := row.Conflict.ID, s.sh.currentStaff().ID
	s.sh.async(func(ctx context.Context) func() {
		err := s.svc.Retry(ctx, id)
		return func() {
			if err != nil {
				s.sh.sayErr(errText(err))
				return
			}
			slog.Info("conflict retried", "id", id, "staff", by)
			s.svc.SyncNow()
			s.sh.sayOK(label("status.retried"))
			s.load()
		}
	})
}

func (s *statusScreen) discard(row *conflictRow) {
	reason := strings.TrimSpace(row.Reason.Text)
	if reason == "" {
		s.sh.sayErr(label("status.need_reason"))
		s.sh.focus(row.Reason)
		return
	}
	if !isManager(s.sh.currentStaff()) {
		return
	}
	id, staff := row.Conflict.ID, *s.sh.currentStaff()
	s.sh.async(func(ctx context.Context) func() {
		err := s.svc.Discard(ctx, id, reason, staff)
		return func() {
			if err != nil {
				s.sh.sayErr(errText(err))
				return
			}
			slog.Info("conflict discarded", "id", id, "staff", staff.ID)
			s.sh.sayOK(label("status.discarded"))
			s.load()
		}
	})
}

// scannerStatus records a hardware scanner's state change.
func (s *statusScreen) scannerStatus(st scanner.DeviceStatus) {
	s.scannerStates[st.Source] = st
	slog.Info("scanner status", "source", st.Source, "state", st.State.String(), "err", st.Err)
	if st.State != scanner.Connected && s.sh.currentStaff() != nil {
		s.sh.sayErr(label("status.scanner_lost", m{"Source": st.Source}))
	}
	s.showScanner()
}

// resetScanners forgets the states of scanners that were replaced.
func (s *statusScreen) resetScanners() {
	s.scannerStates = map[string]scanner.DeviceStatus{}
	s.showScanner()
}

func (s *statusScreen) showScanner() {
	lines := []string{label("status.wedge")}
	keys := make([]string, 0, len(s.scannerStates))
	for k := range s.scannerStates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		st := s.scannerStates[k]
		state := label("status.sc_connected")
		switch st.State {
		case scanner.Disconnected:
			state = label("status.sc_disconnected")
		case scanner.Failed:
			state = label("status.sc_failed")
		}
		line := k + ": " + state + " (" + fmtTime(st.At) + ")"
		if st.Err != nil {
			line += " – " + detail(st.Err)
		}
		lines = append(lines, line)
	}
	s.Scanner.SetText(strings.Join(lines, "\n"))
}

// showPrinter shows the printer's settings and, if known, its state.
func (s *statusScreen) showPrinter(state string) {
	p := s.paper.printerInUse()
	if p == nil {
		s.Printer.SetText(label("status.no_printer"))
		return
	}
	text := label("status.printer", m{"Name": p.Profile().Name, "Target": p.Target().String()})
	if state != "" {
		text += "\n" + state
	}
	s.Printer.SetText(text)
}

func (s *statusScreen) checkPrinter() {
	p := s.paper.printerInUse()
	if p == nil {
		s.showPrinter("")
		return
	}
	s.showPrinter(label("status.checking"))
	s.sh.async(func(ctx context.Context) func() {
		st, err := p.Status(ctx)
		return func() {
			if err != nil {
				switch {
				case printer.KindOf(err) == printer.KindUnsupported:
					s.showPrinter(label("status.no_status"))
				case errors.Is(err, printer.ErrBusy):
					// A long job (a card with its logo at 9600 baud takes
					// seconds) holds the printer: it answers after it.
					s.showPrinter(label("status.printer_busy"))
				default:
					s.showPrinter(label("status.printer_err", m{"Err": printerErrText(err)}))
				}
				return
			}
			var parts []string
			if st.Online {
				parts = append(parts, label("status.p_online"))
			} else {
				parts = append(parts, label("status.p_offline"))
			}
			if st.CoverOpen {
				parts = append(parts, label("status.p_cover"))
			}
			if st.PaperOut {
				parts = append(parts, label("status.p_paper_out"))
			} else if st.PaperNearEnd {
				parts = append(parts, label("status.p_paper_low"))
			}
			s.showPrinter(strings.Join(parts, ", "))
		}
	})
}

// testPrint prints the printer's test page.
func (s *statusScreen) testPrint() {
	p := s.paper.printerInUse()
	if p == nil {
		s.sh.sayErr(label("print.none_test"))
		return
	}
	s.paper.print(label("print.test"), printer.TestPage(p.Profile()))
}

func (s *statusScreen) content() fyne.CanvasObject { return s.obj }

// focusTarget is nil: nothing on the status screen takes text.
func (s *statusScreen) focusTarget() fyne.Focusable { return nil }

// runeTarget is the scan screen's field: a scan means the next customer.
func (s *statusScreen) runeTarget() fyne.Focusable { return s.toScan() }

func (s *statusScreen) actionKeys() map[fyne.KeyName]*button {
	return map[fyne.KeyName]*button{fyne.KeyF6: s.SyncNow, fyne.KeyF8: s.TestPrint}
}

func (s *statusScreen) escape() bool { return true }

func (s *statusScreen) lock() {}

// syncErrText is errText for the sync loop's last failure: a desk that
// cannot save says so in words about the desk, not about an action.
func syncErrText(err error) string {
	if se := storageErr(err); se != nil {
		if se.Full {
			return label("status.storage_full")
		}
		return label("status.storage_failed")
	}
	return errText(err)
}

// storageErr returns the StorageError of a failure of kind Internal, or
// nil: the desk could not save to its disk.
func storageErr(err error) *desksync.StorageError {
	var se *desksync.StorageError
	if skranke.KindOf(err) == skranke.Internal && errors.As(err, &se) {
		return se
	}
	return nil
}
