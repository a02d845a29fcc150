package scanner

import (
	"errors"
	"fmt"
	"time"
)

// Class is what a scanned code turned out to be.
type Class int

// The classes of scanned codes.
const (
	Unknown      Class = iota // Not a code Skranke issues or knows; Scan.Code holds the cleaned text.
	Reference                 // A purchase reference code (skranke.ReferenceLen symbols, valid check).
	GiftCardCode              // A gift card code (skranke.GiftCardLen symbols, valid check).
	EAN13                     // An EAN-13 (or UPC-A, widened to 13 digits) with a valid check digit.
)

// String returns the class name in English, for logs.
func (c Class) String() string {
	switch c {
	case Unknown:
		return "unknown"
	case Reference:
		return "reference"
	case GiftCardCode:
		return "gift card code"
	case EAN13:
		return "EAN-13"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Reading is one code as a device delivered it, before any cleaning.
type Reading struct {
	Data      string    // The bytes read, suffix already split off by the source.
	Symbology string    // The symbology when the device told it (HID POS), else "".
	Source    string    // Which device: "serial:/dev/ttyUSB0", "hid:0c2e:0b61", "wedge".
	At        time.Time // When the reading was complete.
	// Held is what a keyboard-wedge scanner may have typed before Data
	// and a busy app held apart from it (see Wedge.End): the pipeline
	// puts it in front of Data when Data alone is no valid code and the
	// two together are. Empty for every other source.
	Held string
}

// Scan is a reading that went through the Pipeline.
type Scan struct {
	Code      string    // The bare, normalised code: "K7RM4QX2", 13 digits for EAN13.
	Raw       string    // The reading as it came from the device.
	Symbology string    // "QR Code", "Code 128", "EAN-13", ... when known.
	Class     Class     // What the code is.
	Source    string    // Copied from the reading.
	At        time.Time // Copied from the reading.
}

// Errors of Pipeline.Process that callers branch on with errors.Is. A code
// that fails validation comes back as an error of kind skranke.Invalid that
// wraps an *InvalidError.
var (
	// ErrEmpty means the reading held nothing but whitespace, prefix and suffix.
	ErrEmpty = errors.New("scanner: empty reading")
	// ErrDuplicate means the same code was read again within the dedup window;
	// the scan was dropped on purpose and the UI should stay quiet.
	ErrDuplicate = errors.New("scanner: same code read again")
)

// InvalidError reports a reading that looks like one of Skranke's codes (or
// an EAN-13) but fails validation. Raw is what was read, for the UI to show
// ("what was read"), Reason a short English explanation for logs; Kind lets
// the UI pick a translated message.
type InvalidError struct {
	Raw    string
	Reason string
	Kind   InvalidKind
	// For Kind WrongLayout: the layouts that would explain what was read,
	// a scanner set to ScannerLayout typing into a computer set to
	// HostLayout, and the code it would then be. The code is not accepted:
	// staff fix the setting (or the scanner) and scan again.
	HostLayout, ScannerLayout Layout
	Suggested                 string
}

// InvalidKind tells the UI why a code was rejected, so it can show a
// translated message.
type InvalidKind int

// The reasons a code is rejected.
const (
	BadCheck      InvalidKind = iota // Right shape, wrong check character or digit.
	BadLength                        // Our symbols, but a symbol too many or too few.
	BadCharacters                    // Characters that cannot be in our codes (often a layout mix-up).
	WrongLayout                      // A scanner set to another keyboard layout than the one configured.
)

// Error returns the reading and the reason, for logs.
func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid code %q: %s", e.Raw, e.Reason)
}
