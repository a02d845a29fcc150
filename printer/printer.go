package printer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"path/filepath"
	"sync"
	"time"
)

// Options tune how a Printer runs jobs. The zero value means the defaults.
type Options struct {
	// JobTimeout bounds one attempt at sending a job (default 30 s).
	JobTimeout time.Duration
	// Retries is how many times a transient failure is retried (default 2;
	// negative for none).
	Retries int
	// RetryDelay is the pause before the first retry, doubled after each
	// (default 300 ms).
	RetryDelay time.Duration
	// StatusTimeout bounds one status question (default 1 s).
	StatusTimeout time.Duration
	// ConnectTimeout bounds opening the connection (default 5 s), so an
	// address with no printer behind it fails fast and is retried.
	ConnectTimeout time.Duration
	// SkipStatusCheck turns off asking the printer about paper and cover
	// before a job on transports that read back.
	SkipStatusCheck bool
	// Logger receives job failures; nil for slog.Default.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.JobTimeout <= 0 {
		o.JobTimeout = 30 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 2
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 300 * time.Millisecond
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Printer prints documents on one printer. It is safe for concurrent use;
// jobs go out one at a time.
type Printer struct {
	profile Profile
	target  Target
	opts    Options
	// busy serialises jobs; a channel so waiting honours ctx. A printer
	// that follows another (Follow) shares its channel.
	busy chan struct{}

	mu     sync.Mutex
	closed bool                    // Close was called: no new jobs.
	cut    context.CancelCauseFunc // Ends the job in flight, if any.
	ended  chan struct{}           // Closed when the job in flight has ended.
}

// ErrClosed is in the chain of the error of a job on a printer that was
// closed (Close), as when the desk's printer setting changed: either the
// job never started, and nothing of it went out, or it was cut short, and
// the error also matches ErrPartial.
var ErrClosed = errors.New("the printer was closed")

// ErrBusy is in the chain of the error of a job or status request that
// gave up waiting for a job in flight on the printer: nothing of it was
// sent, and the printer may well be printing.
var ErrBusy = errors.New("waiting for the printer, busy with another job")

// ErrPartial is in the chain of the error of a job that failed after some
// of it was sent: part of it may be on paper, so it is not sent again on
// its own; staff reprint it.
var ErrPartial = errors.New("the job may have printed in part")

// Follow makes p take its jobs after prev's, as one queue, when both are
// the same device: p's first job waits until prev's job in flight, if
// any, has ended. The desk calls it when its printer setting changes,
// before p is used, so that the old printer's job and the new printer's
// never write at once (the same serial port or USB device file with
// another profile, say, where the bytes would interleave). prev is then
// closed (Close). Another device does not wait: staff who switch away
// from a printer that hangs must get their prints on the new one.
func (p *Printer) Follow(prev *Printer) {
	if sameDevice(p.target, prev.target) {
		p.busy = prev.busy
	}
}

// sameDevice reports whether targets a and b may be one printer: the same
// address, or for the kinds that name a path, paths that lead to one file
// (/dev/serial/by-id/… and /dev/ttyUSB0).
func sameDevice(a, b Target) bool {
	if a.Address == b.Address {
		return true
	}
	local := func(t Target) bool { return t.Kind == "serial" || t.Kind == "device" || t.Kind == "file" }
	if !local(a) || !local(b) {
		return false
	}
	ra, erra := filepath.EvalSymlinks(a.Address)
	rb, errb := filepath.EvalSymlinks(b.Address)
	return erra == nil && errb == nil && ra == rb
}

// closeWait bounds how long Close waits for a job it cut short to end. A
// write the operating system blocks (a serial port whose printer takes
// nothing more) does not see the cut; the job ends when the write does.
const closeWait = 5 * time.Second

// Close stops the printer taking jobs: jobs that have not started fail
// with ErrClosed, nothing of them sent. A job in flight may finish until
// ctx ends; then it is cut short (its error matches ErrClosed and, when
// bytes went out, ErrPartial). Close returns once that job has ended and
// its connection is closed, or closeWait after the cut when its write
// does not return; a printer that follows p on the same device (Follow)
// starts only once the job has ended, so that it does not write alongside.
func (p *Printer) Close(ctx context.Context) {
	p.mu.Lock()
	p.closed = true
	cut, ended := p.cut, p.ended
	p.mu.Unlock()
	if ended == nil {
		return
	}
	select {
	case <-ended:
		return
	case <-ctx.Done():
	}
	cut(ErrClosed)
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-ended:
	case <-t.C:
		// Its device stays taken by the job until its write returns: a
		// printer that follows on the same device waits (Follow).
		p.opts.Logger.Warn("a printer job cut short has not ended; closing without it", "target", p.target.String(), "waited", closeWait)
	}
}

// start begins a job on p once p is free: it returns the job's context,
// which Close ends, and end, which the job calls when it is over.
func (p *Printer) start(ctx context.Context, op string) (context.Context, func(), error) {
	select {
	case p.busy <- struct{}{}:
	case <-ctx.Done():
		// Waiting behind an earlier job (a printer that takes nothing
		// holds each for the job timeout): nothing of this one went out.
		kind := KindCanceled
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			kind = KindTimeout
		}
		return nil, nil, E(op, kind, fmt.Errorf("%s: %w: %w", p.target, ErrBusy, ctx.Err()))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		<-p.busy
		return nil, nil, E(op, KindCanceled, fmt.Errorf("%s: %w", p.target, ErrClosed))
	}
	jctx, cut := context.WithCancelCause(ctx)
	ended := make(chan struct{})
	p.cut, p.ended = cut, ended
	return jctx, func() {
		p.mu.Lock()
		p.cut, p.ended = nil, nil
		p.mu.Unlock()
		cut(nil)
		close(ended)
		<-p.busy
	}, nil
}

// ctxCause is why ctx ended: ErrClosed when Close cut the job short.
func ctxCause(ctx context.Context) error {
	if c := context.Cause(ctx); errors.Is(c, ErrClosed) {
		return c
	}
	return ctx.Err()
}

// New returns a Printer for profile p at target t with default options.
func New(p Profile, t Target) *Printer { return NewWithOptions(p, t, Options{}) }

// NewWithOptions returns a Printer with the given options.
func NewWithOptions(p Profile, t Target, o Options) *Printer {
	return &Printer{profile: p, target: t, opts: o.withDefaults(), busy: make(chan struct{}, 1)}
}

// Profile returns the printer's profile.
func (p *Printer) Profile() Profile { return p.profile }

// Target returns where the printer is.
func (p *Printer) Target() Target { return p.target }

// Preview encodes doc for p and renders what the printer would print.
func Preview(doc *Document, p Profile) (image.Image, error) {
	data, err := Encode(doc, p)
	if err != nil {
		return nil, wrapOp("printer.Preview", err)
	}
	img, err := Render(data, p)
	if err != nil {
		return nil, wrapOp("printer.Preview", err)
	}
	return img, nil
}

// Print encodes doc for the printer's profile and sends it as one job.
// What printed in a simpler form than asked (a code as text) is logged; a
// caller that shows it to staff uses EncodeDetailed and PrintRaw instead.
func (p *Printer) Print(ctx context.Context, doc *Document) error {
	enc, err := EncodeDetailed(doc, p.profile)
	if err != nil {
		return E("printer.Printer.Print", KindInvalid, err)
	}
	for _, w := range enc.Warnings {
		p.opts.Logger.Warn("printed a code as text", "symbol", w.Symbol, "code", w.Data, "reason", w.Err)
	}
	return p.PrintRaw(ctx, enc.Bytes)
}

// PrintRaw sends ESC/POS bytes as one job, as Send does, for a caller that
// need not know whether the printer reported its state first.
func (p *Printer) PrintRaw(ctx context.Context, data []byte) error {
	_, err := p.Send(ctx, data)
	return err
}

// Sent is what the desk knows about the printer when a job went out.
type Sent struct {
	// Checked is set when the printer answered the question about paper
	// and cover before the job; Status holds its answer.
	Checked bool
	Status  Status
	// Unchecked is set when the printer was asked and gave no usable
	// answer (none in time, or not a status byte), so the job went out
	// without knowing whether there is paper. It is about this job only:
	// the next job asks again. A transport that cannot read back, or
	// Options.SkipStatusCheck, sets neither Checked nor Unchecked.
	Unchecked bool
	// Why says why the answer is missing, when Unchecked.
	Why error
}

// Send sends ESC/POS bytes as one job: each attempt has the job timeout,
// transient faults (unreachable, timeout, broken connection) before the
// first byte went out are retried, and the call returns when ctx ends
// whatever the printer does. A job that failed while sending is not sent
// again, since part of it may be on paper. Failures are *Error values with a
// Kind the app can show. On success Sent says whether the printer reported
// paper and cover before the job, for the app to tell staff when it did
// not.
func (p *Printer) Send(ctx context.Context, data []byte) (Sent, error) {
	const op = "printer.Printer.Send"
	ctx, end, err := p.start(ctx, op)
	if err != nil {
		return Sent{}, err
	}
	defer end()
	delay := p.opts.RetryDelay
	for attempt := 0; ; attempt++ {
		var sending bool
		var sent Sent
		sent, sending, err = p.attempt(ctx, data)
		if err == nil {
			if sent.Unchecked {
				p.opts.Logger.Warn("printed without knowing the printer's state", "target", p.target.String(), "why", sent.Why)
			}
			return sent, nil
		}
		if sending {
			// Bytes may have reached the paper: sending the job again
			// could print it twice, so staff decide (and reprint as KOPI).
			err = E(op, KindOf(err), fmt.Errorf("%s: %w: %w", p.target, ErrPartial, err))
		} else {
			err = E(op, KindOf(err), fmt.Errorf("%s: %w", p.target, err))
		}
		if sending {
			if ctx.Err() == nil {
				break
			}
		}
		if ctx.Err() != nil {
			kind := KindCanceled
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				kind = KindTimeout
			}
			if sending {
				err = E(op, kind, fmt.Errorf("%s: %w: %w", p.target, ErrPartial, ctxCause(ctx)))
			} else {
				err = E(op, kind, fmt.Errorf("%s: %w", p.target, ctxCause(ctx)))
			}
			break
		}
		if !KindOf(err).Transient() || attempt >= p.opts.Retries {
			break
		}
		p.opts.Logger.Warn("printer job failed, retrying", "target", p.target.String(), "attempt", attempt+1, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		delay *= 2
	}
	p.opts.Logger.Error("printer job failed", "target", p.target.String(), "bytes", len(data), "err", err)
	return Sent{}, err
}

// attempt sends data once; sending reports that the failure came after
// the first bytes went out.
func (p *Printer) attempt(ctx context.Context, data []byte) (sent Sent, sending bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.JobTimeout)
	defer cancel()
	l, err := p.open(ctx)
	if err != nil {
		return Sent{}, false, err
	}
	defer l.Close()
	// Ask about paper and cover first where the line reads back without
	// risk: a device file that does not answer would have to be closed to
	// stop waiting, so it is only asked through Status. Every job asks: a
	// printer busy with the last job may miss one question and answer the
	// next, and an answer missed once must not hide an empty roll later.
	if !p.opts.SkipStatusCheck && (p.target.Kind == "tcp" || p.target.Kind == "serial") {
		st, err := p.status(ctx, l)
		switch {
		case err == nil:
			if perr := st.Problem(); perr != nil {
				return Sent{}, false, perr
			}
			sent = Sent{Checked: true, Status: st}
		case KindOf(err) == KindTimeout && ctx.Err() == nil,
			KindOf(err) == KindUnsupported, errors.Is(err, errNotStatus):
			// No usable answer: print anyway, and say so.
			sent = Sent{Unchecked: true, Why: err}
		default:
			return Sent{}, false, err
		}
	}
	return sent, true, l.write(ctx, data)
}

// Status asks the printer about itself with DLE EOT 1 to 4. It fails
// with KindTimeout when the printer does not answer within the status
// timeout, and KindUnsupported on transports that cannot read back.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	const op = "printer.Printer.Status"
	// The bound covers waiting for a job in flight too: behind a job the
	// printer does not take, staff asking about it hear within seconds,
	// not once that job times out.
	ctx, cancel := context.WithTimeout(ctx, p.opts.StatusTimeout*4)
	defer cancel()
	ctx, end, err := p.start(ctx, op)
	if err != nil {
		return Status{}, err
	}
	defer end()
	l, err := p.open(ctx)
	if err != nil {
		return Status{}, wrapOp(op, fmt.Errorf("%s: %w", p.target, err))
	}
	defer l.Close()
	st, err := p.status(ctx, l)
	if err != nil {
		return Status{}, wrapOp(op, fmt.Errorf("%s: %w", p.target, err))
	}
	return st, nil
}

func (p *Printer) status(ctx context.Context, l link) (Status, error) {
	var st Status
	for _, n := range []byte{1, 2, 3, 4} {
		qctx, cancel := context.WithTimeout(ctx, p.opts.StatusTimeout)
		b, err := l.query(qctx, []byte{0x10, 0x04, n})
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				return Status{}, E("printer.Printer.status", KindTimeout, fmt.Sprintf("no answer to DLE EOT %d within %v", n, p.opts.StatusTimeout))
			}
			return Status{}, wrapOp("printer.Printer.status", err)
		}
		if err := st.set(n, b); err != nil {
			return Status{}, err
		}
	}
	return st, nil
}

// errNotStatus marks an answer that is not an ESC/POS status byte: the
// printer speaks some other dialect, so its status is unknown.
var errNotStatus = errors.New("not a status byte")

// Status is what a printer reports about itself.
type Status struct {
	Online       bool
	CoverOpen    bool
	PaperNearEnd bool
	PaperOut     bool
	// FeedButton is set while the feed button is held.
	FeedButton bool
	// Error is set when the printer stopped on an error (cutter jam,
	// overheating).
	Error bool
	// CutterError is set when the autocutter jammed.
	CutterError bool
	// Raw holds the answers to DLE EOT 1, 2, 3 and 4.
	Raw [4]byte
}

// set reads the answer b to DLE EOT n. Every valid answer has bits 1 and 4
// set and bits 0 and 7 clear.
func (s *Status) set(n, b byte) error {
	if b&0x93 != 0x12 {
		return E("printer.Status.set", KindIO, fmt.Errorf("%w: %#02x in answer to DLE EOT %d", errNotStatus, b, n))
	}
	switch n {
	case 1:
		s.Raw[0] = b
		s.Online = b&0x08 == 0
	case 2:
		s.Raw[1] = b
		s.CoverOpen = b&0x04 != 0
		s.FeedButton = b&0x08 != 0
		s.PaperOut = s.PaperOut || b&0x20 != 0
		s.Error = b&0x40 != 0
	case 3:
		s.Raw[2] = b
		s.CutterError = b&0x08 != 0
		s.Error = s.Error || b&0x60 != 0
	case 4:
		s.Raw[3] = b
		s.PaperNearEnd = b&0x0c != 0
		s.PaperOut = s.PaperOut || b&0x60 != 0
	}
	return nil
}

// Problem returns the condition that stops printing as an *Error, the most
// pressing first, or nil when the printer can print.
func (s Status) Problem() error {
	switch {
	case s.PaperOut:
		return E("printer.Status.Problem", KindPaperOut, nil)
	case s.CoverOpen:
		return E("printer.Status.Problem", KindCoverOpen, nil)
	case !s.Online || s.Error:
		return E("printer.Status.Problem", KindOffline, nil)
	}
	return nil
}

// String describes the status in English, for logs.
func (s Status) String() string {
	if err := s.Problem(); err != nil {
		return KindOf(err).String()
	}
	if s.PaperNearEnd {
		return "online, paper near end"
	}
	return "online"
}

// open connects to the printer within the connect timeout.
func (p *Printer) open(ctx context.Context) (link, error) {
	cctx, cancel := context.WithTimeout(ctx, p.opts.ConnectTimeout)
	defer cancel()
	l, err := openAside(cctx, p.target, p.profile.BufferBytes)
	if err != nil && cctx.Err() != nil && ctx.Err() == nil {
		return nil, E("printer.Printer.open", KindUnreachable, fmt.Sprintf("no connection within %v", p.opts.ConnectTimeout))
	}
	return l, wrapOp("printer.Printer.open", err)
}

// openAside opens the target, giving up when ctx ends; a link that opens
// after that is closed.
func openAside(ctx context.Context, t Target, bufBytes int) (link, error) {
	type result struct {
		l   link
		err error
	}
	ch := make(chan result, 1)
	go func() {
		l, err := openLink(ctx, t, bufBytes)
		ch <- result{l, err}
	}()
	select {
	case r := <-ch:
		return r.l, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.l != nil {
				r.l.Close()
			}
		}()
		return nil, ctx.Err()
	}
}
