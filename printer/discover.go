package printer

import (
	"path/filepath"
	"runtime"
	"sort"
)

// Discover lists printer targets this machine can see without asking the
// network: USB printer device files, serial ports and, on Windows, the
// spooler's printers. It serves the settings screen; a TCP printer's
// address has to be typed in.
func Discover() []Target {
	var out []Target
	for _, g := range deviceGlobs(runtime.GOOS) {
		out = append(out, globTargets(g.pattern, g.kind)...)
	}
	out = append(out, spoolerTargets()...)
	return out
}

type deviceGlob struct{ pattern, kind string }

func deviceGlobs(goos string) []deviceGlob {
	switch goos {
	case "linux":
		return []deviceGlob{
			{"/dev/usb/lp*", "device"},
			{"/dev/ttyUSB*", "serial"},
			{"/dev/ttyACM*", "serial"},
		}
	case "darwin":
		return []deviceGlob{
			{"/dev/cu.usbserial*", "serial"},
			{"/dev/cu.usbmodem*", "serial"},
		}
	case "freebsd", "openbsd", "netbsd":
		return []deviceGlob{{"/dev/ulpt*", "device"}, {"/dev/cuaU*", "serial"}}
	}
	return nil
}

func globTargets(pattern, kind string) []Target {
	paths, _ := filepath.Glob(pattern)
	sort.Strings(paths)
	out := make([]Target, 0, len(paths))
	for _, p := range paths {
		t := Target{Kind: kind, Address: p}
		if kind == "serial" {
			t.Baud = DefaultBaud
		}
		out = append(out, t)
	}
	return out
}
