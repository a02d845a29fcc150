//go:build !windows

package printer

func openSpooler(name string) (link, error) {
	return nil, E("printer.openSpooler", KindUnsupported, "the print spooler target works on Windows only; use device:///dev/usb/lp0 or tcp://")
}

func spoolerTargets() []Target { return nil }
