package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// link is one open connection to a printer for the length of a job.
type link interface {
	// write sends data, returning early with an error when ctx ends.
	write(ctx context.Context, data []byte) error
	// query sends a real-time request and returns the printer's one-byte
	// answer; transports that cannot read back return KindUnsupported.
	query(ctx context.Context, req []byte) (byte, error)
	Close() error
}

func openLink(ctx context.Context, t Target, bufBytes int) (link, error) {
	switch t.Kind {
	case "tcp":
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", t.Address)
		if err != nil {
			return nil, wrapOp("printer.openLink", err)
		}
		return &tcpLink{c: c}, nil
	case "file":
		f, err := os.OpenFile(t.Address, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, E("printer.openLink", KindInvalid, err)
			}
			return nil, wrapOp("printer.openLink", err)
		}
		return &fileLink{f: f}, nil
	case "device":
		return openDevice(t.Address)
	case "serial":
		return openSerial(t.Address, t.Baud, bufBytes)
	case "spooler":
		return openSpooler(t.Address)
	}
	return nil, E("printer.openLink", KindInvalid, fmt.Sprintf("unknown target kind %q", t.Kind))
}

// tcpLink is a raw socket to port 9100.
type tcpLink struct{ c net.Conn }

// watch sets the connection deadline from ctx and cuts it short when ctx is
// canceled, so a stalled printer never holds the caller.
func watch(ctx context.Context, c net.Conn) func() bool {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	return context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
}

func (l *tcpLink) write(ctx context.Context, data []byte) error {
	defer watch(ctx, l.c)()
	_, err := l.c.Write(data)
	return ctxErr(ctx, err)
}

func (l *tcpLink) query(ctx context.Context, req []byte) (byte, error) {
	defer watch(ctx, l.c)()
	if _, err := l.c.Write(req); err != nil {
		return 0, ctxErr(ctx, err)
	}
	var b [1]byte
	if _, err := io.ReadFull(l.c, b[:]); err != nil {
		return 0, ctxErr(ctx, err)
	}
	return b[0], nil
}

func (l *tcpLink) Close() error { return l.c.Close() }

// ctxErr prefers the context's reason over the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ce := ctx.Err(); ce != nil {
		return fmt.Errorf("%w (%v)", ce, err)
	}
	return err
}

// fileLink appends jobs to a file, one after the other. The file may be a
// network share (file:///Z:/… on Windows) or a FIFO, where a write and a
// sync can block for as long as the other end stalls, so they run aside
// and the caller leaves when ctx ends, as with a device.
type fileLink struct{ f *os.File }

func (l *fileLink) write(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return aside(ctx, func() error {
		if _, err := l.f.Write(data); err != nil {
			return err
		}
		// A FIFO or a character device cannot be synced (EINVAL): the
		// bytes went to the reader, which is all a sync would ask for.
		if err := l.f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
			return err
		}
		return nil
	}, func() { l.f.Close() })
}

func (l *fileLink) query(context.Context, []byte) (byte, error) {
	return 0, E("printer.fileLink.query", KindUnsupported, "a file cannot report printer status")
}

// Close closes the file; it is not an error when an abandoned write closed
// it already.
func (l *fileLink) Close() error {
	err := l.f.Close()
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// deviceLink is the OS printer device (/dev/usb/lp0). Reads and writes on it
// can block for as long as the printer stalls, so they run aside and the
// caller leaves when ctx ends.
type deviceLink struct {
	f        *os.File
	readable bool
}

func openDevice(path string) (link, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	readable := true
	if err != nil {
		f, err = os.OpenFile(path, os.O_WRONLY, 0)
		readable = false
	}
	if err != nil {
		return nil, wrapOp("printer.openDevice", err)
	}
	return &deviceLink{f: f, readable: readable}, nil
}

func aside(ctx context.Context, fn func() error, abort func()) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		abort()
		return ctx.Err()
	}
}

func (l *deviceLink) write(ctx context.Context, data []byte) error {
	return aside(ctx, func() error {
		_, err := l.f.Write(data)
		return err
	}, func() { l.f.Close() })
}

func (l *deviceLink) query(ctx context.Context, req []byte) (byte, error) {
	if !l.readable {
		return 0, E("printer.deviceLink.query", KindUnsupported, "device opened write-only")
	}
	var b [1]byte
	err := aside(ctx, func() error {
		if _, err := l.f.Write(req); err != nil {
			return err
		}
		_, err := io.ReadFull(l.f, b[:])
		return err
	}, func() { l.f.Close() })
	return b[0], err
}

// Close closes the device; it is not an error when an abandoned write or
// query closed it already.
func (l *deviceLink) Close() error {
	err := l.f.Close()
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
