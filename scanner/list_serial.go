//go:build !windows

package scanner

import (
	"path/filepath"
	"runtime"
	"sort"
)

// ListSerial returns the serial ports a scanner may be on, stable names
// first: /dev/serial/by-id/* (Linux), then /dev/ttyUSB* and /dev/ttyACM*
// not already listed under a by-id name; on macOS /dev/cu.usb*.
func ListSerial() ([]string, error) {
	if runtime.GOOS == "darwin" {
		return globs("/dev/cu.usbserial*", "/dev/cu.usbmodem*", "/dev/cu.SLAB*", "/dev/cu.wchusbserial*")
	}
	return listSerialUnder("/dev")
}

// listSerialUnder lists ports under a /dev-like root, for tests.
func listSerialUnder(dev string) ([]string, error) {
	ids, err := globs(filepath.Join(dev, "serial/by-id/*"))
	if err != nil {
		return nil, err
	}
	covered := make(map[string]bool)
	for _, id := range ids {
		if t, err := filepath.EvalSymlinks(id); err == nil {
			covered[t] = true
		}
	}
	ttys, err := globs(filepath.Join(dev, "ttyUSB*"), filepath.Join(dev, "ttyACM*"))
	if err != nil {
		return nil, err
	}
	out := ids
	for _, t := range ttys {
		if !covered[t] {
			out = append(out, t)
		}
	}
	return out, nil
}

func globs(patterns ...string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, err
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}
