//go:build !windows

package scanner

// ListSerialUnder lists serial ports under a /dev-like directory.
var ListSerialUnder = listSerialUnder
