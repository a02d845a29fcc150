package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tarm/serial"
)

// Flow control bytes a printer sends back when its buffer fills and drains.
const (
	xon  = 0x11
	xoff = 0x13
)

// serialLink drives a printer on a serial line without hardware flow
// control: it paces bytes to the baud rate so the OS queue never runs far
// ahead of the wire, stops on XOFF and goes on at XON. Everything else the
// printer sends back is status.
type serialLink struct {
	port   *serial.Port
	baud   int
	buffer int // the printer's receive buffer, 0 when unknown
	status chan byte
	done   chan struct{} // closed when readLoop ends

	mu     sync.Mutex
	paused bool
	resume chan struct{} // closed on XON
	rerr   error         // why readLoop ended, nil after Close
	closed bool
}

func openSerial(name string, baud, buffer int) (link, error) {
	if baud <= 0 {
		baud = DefaultBaud
	}
	port, err := serial.OpenPort(&serial.Config{Name: name, Baud: baud, ReadTimeout: serialReadTimeout})
	if err != nil {
		return nil, wrapOp("printer.openSerial", fmt.Errorf("%s at %d baud: %w", name, baud, err))
	}
	l := &serialLink{port: port, baud: baud, buffer: buffer, status: make(chan byte, 16), done: make(chan struct{}), resume: make(chan struct{})}
	go l.readLoop()
	return l, nil
}

// serialReadTimeout is the port's read timeout: it keeps Close from hanging
// behind a blocked Read.
const serialReadTimeout = 50 * time.Millisecond

// hangupReads is how many empty reads in a row that return well before the
// read timeout mean the line hung up. A hung-up tty (a USB adapter pulled, a
// pty whose other end closed) reads as end of file at once, which tarm/serial
// reports as it reports a timeout; a real timeout cannot come early.
const hangupReads = 3

func (l *serialLink) readLoop() {
	defer close(l.done)
	buf := make([]byte, 64)
	early := 0
	for {
		start := time.Now()
		n, err := l.port.Read(buf)
		if n == 0 && isTimeout(err) && time.Since(start) < serialReadTimeout/4 {
			early++
		} else {
			early = 0
		}
		if early >= hangupReads {
			err = errors.New("the line hung up")
		}
		for _, b := range buf[:n] {
			switch b {
			case xoff:
				l.mu.Lock()
				if !l.paused {
					l.paused = true
					l.resume = make(chan struct{})
				}
				l.mu.Unlock()
			case xon:
				l.mu.Lock()
				if l.paused {
					l.paused = false
					close(l.resume)
				}
				l.mu.Unlock()
			default:
				select {
				case l.status <- b:
				default:
				}
			}
		}
		l.mu.Lock()
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return
		}
		if err != nil && n == 0 && (!isTimeout(err) || early >= hangupReads) {
			l.mu.Lock()
			l.rerr = err
			l.mu.Unlock()
			return
		}
	}
}

func isTimeout(err error) bool {
	// On Unix tarm/serial returns io.EOF when the read timeout passes with
	// no data; on Windows it returns no error at all.
	return errors.Is(err, io.EOF)
}

// lineErr is why the line stopped answering, once readLoop has ended: a
// port that went away (unplugged) sends neither XON nor status again.
func (l *serialLink) lineErr(op string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rerr == nil {
		return E(op, KindIO, "serial line closed")
	}
	return E(op, KindIO, fmt.Errorf("serial line: %w", l.rerr))
}

// chunk is the write size: about 20 ms of wire time, at least 16 bytes,
// and no more than an eighth of the printer's buffer, so that what is in
// flight when the printer sends XOFF (at its high-water mark, usually with
// a few hundred bytes to spare) still fits.
func (l *serialLink) chunk() int {
	c := max(16, l.baud/10/50)
	if l.buffer > 0 {
		c = min(c, max(16, l.buffer/8))
	}
	return c
}

// wireTime is how long n bytes take on the line at 10 bits a byte.
func wireTime(n, baud int) time.Duration {
	return time.Duration(int64(n) * 10 * int64(time.Second) / int64(baud))
}

// xoffProbe is how long the printer may hold XOFF before the desk asks it
// why; a printer out of paper holds it until the roll is changed.
const xoffProbe = 2 * time.Second

func (l *serialLink) waitXON(ctx context.Context) error {
	l.mu.Lock()
	paused, resume := l.paused, l.resume
	l.mu.Unlock()
	if !paused {
		return nil
	}
	probe := time.NewTimer(xoffProbe)
	defer probe.Stop()
	for {
		select {
		case <-resume:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("printer held the line with XOFF: %w", ctx.Err())
		case <-l.done:
			return l.lineErr("printer.serialLink.write")
		case <-probe.C:
			// Real-time status requests pass even while the buffer is full.
			qctx, cancel := context.WithTimeout(ctx, xoffProbe)
			b, err := l.query(qctx, []byte{0x10, 0x04, 2})
			cancel()
			if err == nil {
				var st Status
				if st.set(2, b) == nil {
					switch {
					case st.PaperOut:
						return E("printer.serialLink.write", KindPaperOut, "printer stopped with XOFF")
					case st.CoverOpen:
						return E("printer.serialLink.write", KindCoverOpen, "printer stopped with XOFF")
					}
				}
			}
			probe.Reset(5 * xoffProbe)
		}
	}
}

func (l *serialLink) write(ctx context.Context, data []byte) error {
	start := time.Now()
	sent := 0
	size := l.chunk()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for sent < len(data) {
		if err := l.waitXON(ctx); err != nil {
			return err
		}
		// Keep no more than one chunk queued ahead of the wire, so an XOFF
		// stops the flow within a chunk.
		ahead := wireTime(sent, l.baud) - time.Since(start)
		if ahead > wireTime(size, l.baud) {
			timer.Reset(ahead - wireTime(size, l.baud))
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		n := min(size, len(data)-sent)
		if _, err := l.port.Write(data[sent : sent+n]); err != nil {
			return err
		}
		if sent == 0 {
			start = time.Now()
		}
		sent += n
	}
	// Return when the last byte has left, not when it was queued.
	if rest := wireTime(sent, l.baud) - time.Since(start); rest > 0 {
		timer.Reset(rest)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (l *serialLink) query(ctx context.Context, req []byte) (byte, error) {
	// Drop answers to earlier questions that came too late.
	for len(l.status) > 0 {
		<-l.status
	}
	if _, err := l.port.Write(req); err != nil {
		return 0, err
	}
	select {
	case b := <-l.status:
		return b, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-l.done:
		return 0, l.lineErr("printer.serialLink.query")
	}
}

func (l *serialLink) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	<-l.done
	return l.port.Close()
}
