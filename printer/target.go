package printer

import (
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
)

// Target says where a printer is: Kind is "file", "tcp", "serial", "device"
// or "spooler"; Address is the path, host:port, port name, device file or
// spooler printer name; Baud is the serial speed.
type Target struct {
	Kind    string
	Address string
	Baud    int
}

// DefaultBaud is the serial speed when a target names none; it is what
// most receipt printers ship with.
const DefaultBaud = 9600

// filePath turns the path of a file URL into the OS's: on Windows
// file:///C:/out.bin names C:/out.bin, not /C:/out.bin.
func filePath(addr, goos string) string {
	if goos == "windows" && len(addr) >= 3 && addr[0] == '/' && addr[2] == ':' &&
		('A' <= addr[1] && addr[1] <= 'Z' || 'a' <= addr[1] && addr[1] <= 'z') {
		return addr[1:]
	}
	return addr
}

// ParseTarget reads a target written as a URL: "tcp://10.0.0.5:9100",
// "tcp://10.0.0.5" (port 9100), "file:///tmp/out.bin",
// "serial:///dev/ttyUSB0?baud=9600", "serial://COM3?baud=115200",
// "device:///dev/usb/lp0" or "spooler://EPSON TM-T20III".
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		// "file:out.bin" and bare paths are files.
		if f, ok := strings.CutPrefix(s, "file:"); ok && f != "" {
			return Target{Kind: "file", Address: f}, nil
		}
		return Target{}, E("printer.ParseTarget", KindInvalid, fmt.Errorf("%q: want kind://address, e.g. tcp://192.168.1.50:9100", s))
	}
	bad := func(why string) (Target, error) {
		return Target{}, E("printer.ParseTarget", KindInvalid, fmt.Errorf("%q: %s", s, why))
	}
	t := Target{Kind: strings.ToLower(scheme)}
	addr, query, _ := strings.Cut(rest, "?")
	if u, err := url.PathUnescape(addr); err == nil {
		addr = u
	}
	switch t.Kind {
	case "tcp":
		if addr == "" {
			return bad("no host")
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			host, port = strings.Trim(addr, "[]"), "9100"
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return bad("bad port " + port)
		}
		t.Address = net.JoinHostPort(host, port)
	case "file", "device":
		if addr == "" {
			return bad("no path")
		}
		t.Address = filePath(addr, runtime.GOOS)
	case "serial":
		if addr == "" {
			return bad("no port name")
		}
		t.Address = addr
		t.Baud = DefaultBaud
		if query != "" {
			q, err := url.ParseQuery(query)
			if err != nil {
				return bad("bad options: " + err.Error())
			}
			if b := q.Get("baud"); b != "" {
				n, err := strconv.Atoi(b)
				if err != nil || n < 300 || n > 4000000 {
					return bad("bad baud rate " + b)
				}
				t.Baud = n
			}
		}
	case "spooler":
		if strings.TrimSpace(addr) == "" {
			return bad("no printer name")
		}
		t.Address = addr
	default:
		return bad("unknown kind " + scheme + " (want file, tcp, serial, device or spooler)")
	}
	return t, nil
}

// String writes the target back as a URL ParseTarget reads.
func (t Target) String() string {
	switch t.Kind {
	case "serial":
		baud := t.Baud
		if baud == 0 {
			baud = DefaultBaud
		}
		return fmt.Sprintf("serial://%s?baud=%d", t.Address, baud)
	default:
		return t.Kind + "://" + t.Address
	}
}
