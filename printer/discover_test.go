package printer_test

import (
	"testing"

	"github.com/skranke/skranke/printer"
)

// TestDiscover lists what this machine has; every entry must read back
// through ParseTarget so the settings screen can store it.
func TestDiscover(t *testing.T) {
	for _, tg := range printer.Discover() {
		back, err := printer.ParseTarget(tg.String())
		if err != nil || back != tg {
			t.Errorf("%+v does not round-trip: %+v, %v", tg, back, err)
		}
	}
}
