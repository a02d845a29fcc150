// Package scanner turns bytes from barcode scanners into validated scans.
//
// Sources deliver Readings: a serial port (OpenSerial), a USB HID scanner
// in HID POS or keyboard mode (OpenHID), or the app's scan field fed by a
// keyboard-wedge scanner, where a Wedge tells a scan from typing. All of
// them go through one Pipeline, which trims, strips prefixes, suffixes and
// AIM identifiers, repairs what a keyboard layout mix-up did to a code,
// classifies (purchase reference, gift card code, EAN-13, unknown),
// validates check characters and drops repeats:
//
//	p := scanner.NewPipeline(scanner.Options{HostLayout: "no", ScannerLayout: "us"})
//	ser, err := scanner.OpenSerial(ctx, scanner.SerialConfig{Port: "/dev/serial/by-id/usb-..."})
//	...
//	for ev := range p.Serve(ctx, ser) { ... }
//
// The code format itself (Alphabet, the check character, NormalizeCode) is
// the root package skranke's, shared with the shop server; ParseCode reads a
// code a person typed through the same Pipeline. The package knows nothing of
// shops or screens, and imports no other package of Skranke but the root.
package scanner
