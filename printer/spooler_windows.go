//go:build windows

package printer

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

var (
	winspool             = syscall.NewLazyDLL("winspool.drv")
	procOpenPrinterW     = winspool.NewProc("OpenPrinterW")
	procClosePrinter     = winspool.NewProc("ClosePrinter")
	procStartDocPrinterW = winspool.NewProc("StartDocPrinterW")
	procEndDocPrinter    = winspool.NewProc("EndDocPrinter")
	procStartPagePrinter = winspool.NewProc("StartPagePrinter")
	procEndPagePrinter   = winspool.NewProc("EndPagePrinter")
	procWritePrinter     = winspool.NewProc("WritePrinter")
)

// docInfo1 is DOC_INFO_1.
type docInfo1 struct {
	docName    *uint16
	outputFile *uint16
	datatype   *uint16
}

// spoolerLink sends a job as RAW data through the Windows spooler, which
// hands the bytes to the printer's port untouched.
type spoolerLink struct {
	h    syscall.Handle
	name string
}

func openSpooler(name string) (link, error) {
	if err := winspool.Load(); err != nil {
		return nil, E("printer.openSpooler", KindUnsupported, fmt.Errorf("load winspool.drv: %w", err))
	}
	p, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return nil, E("printer.openSpooler", KindInvalid, err)
	}
	var h syscall.Handle
	r, _, e := procOpenPrinterW.Call(uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&h)), 0)
	if r == 0 {
		return nil, E("printer.openSpooler", KindUnreachable, fmt.Errorf("open printer %q: %v", name, e))
	}
	return &spoolerLink{h: h, name: name}, nil
}

func (l *spoolerLink) write(ctx context.Context, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	// The spooler takes the job into its queue and returns; it runs aside
	// so a hung driver cannot hold the caller past ctx.
	return aside(ctx, func() error { return l.send(data) }, func() {})
}

func (l *spoolerLink) send(data []byte) error {
	docName, _ := syscall.UTF16PtrFromString("Skranke")
	raw, _ := syscall.UTF16PtrFromString("RAW")
	di := docInfo1{docName: docName, datatype: raw}
	r, _, e := procStartDocPrinterW.Call(uintptr(l.h), 1, uintptr(unsafe.Pointer(&di)))
	if r == 0 {
		return fmt.Errorf("start document on %q: %v", l.name, e)
	}
	defer procEndDocPrinter.Call(uintptr(l.h))
	if r, _, e := procStartPagePrinter.Call(uintptr(l.h)); r == 0 {
		return fmt.Errorf("start page on %q: %v", l.name, e)
	}
	defer procEndPagePrinter.Call(uintptr(l.h))
	for len(data) > 0 {
		var written uint32
		r, _, e := procWritePrinter.Call(uintptr(l.h), uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), uintptr(unsafe.Pointer(&written)))
		if r == 0 {
			return fmt.Errorf("write to %q: %v", l.name, e)
		}
		if written == 0 {
			return errors.New("spooler accepted no bytes")
		}
		data = data[written:]
	}
	return nil
}

func (l *spoolerLink) query(context.Context, []byte) (byte, error) {
	return 0, E("printer.spoolerLink.query", KindUnsupported, "the spooler does not pass printer status back")
}

func (l *spoolerLink) Close() error {
	procClosePrinter.Call(uintptr(l.h))
	return nil
}

var procEnumPrintersW = winspool.NewProc("EnumPrintersW")

// printerInfo4 is PRINTER_INFO_4W.
type printerInfo4 struct {
	printerName *uint16
	serverName  *uint16
	attributes  uint32
}

// spoolerTargets lists local and connected printers by name.
func spoolerTargets() []Target {
	if winspool.Load() != nil {
		return nil
	}
	const flags = 0x2 | 0x4 // PRINTER_ENUM_LOCAL | PRINTER_ENUM_CONNECTIONS
	var needed, returned uint32
	procEnumPrintersW.Call(flags, 0, 4, 0, 0, uintptr(unsafe.Pointer(&needed)), uintptr(unsafe.Pointer(&returned)))
	if needed == 0 {
		return nil
	}
	buf := make([]byte, needed)
	r, _, _ := procEnumPrintersW.Call(flags, 0, 4, uintptr(unsafe.Pointer(&buf[0])), uintptr(needed),
		uintptr(unsafe.Pointer(&needed)), uintptr(unsafe.Pointer(&returned)))
	if r == 0 {
		return nil
	}
	infos := unsafe.Slice((*printerInfo4)(unsafe.Pointer(&buf[0])), returned)
	out := make([]Target, 0, len(infos))
	for _, info := range infos {
		if info.printerName == nil {
			continue
		}
		out = append(out, Target{Kind: "spooler", Address: utf16PtrToString(info.printerName)})
	}
	return out
}

func utf16PtrToString(p *uint16) string {
	var s []uint16
	for ptr := unsafe.Pointer(p); ; ptr = unsafe.Add(ptr, 2) {
		c := *(*uint16)(ptr)
		if c == 0 {
			break
		}
		s = append(s, c)
	}
	return syscall.UTF16ToString(s)
}
