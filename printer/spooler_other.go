//go:build !windows

package printer

import "errors"

func openSpooler(name string) (link, error) {
	return nil, &Error{Kind: KindUnsupported, Err: errors.New("the print spooler target works on Windows only; use device:///dev/usb/lp0 or tcp://")}
}

func spoolerTargets() []Target { return nil }
