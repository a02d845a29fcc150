// Package scanner turns bytes from barcode scanners into validated scans.
//
// Sources (serial ports, USB HID scanners, the keyboard wedge of the app's scan
// field) all feed one Pipeline, which trims, strips prefixes, suffixes and AIM
// identifiers, repairs what keyboard layouts do to codes, classifies and
// validates. The package knows nothing of shops or screens.
package scanner
