package scanner_test

// Failing tests from the rev-scan review: each shows a defect on the scan path.

import (
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

// docs/scanners.md: "a code mangled by a layout mix-up is rejected ('check
// character does not match'), never taken for another purchase". A US
// scanner on a German desk (layouts not set) swaps every Y and Z; with three
// or more of them the check character cannot see it (Y^Z = 1, and three
// powers of alpha can sum to 0). These codes are ones NewReference and
// NewGiftCardCode issue (about 1 gift card in 230, 1 reference in 1850).
func TestRevScanYZSwapTakenForAnotherCode(t *testing.T) {
	for _, code := range []string{"J9YFNZMZ", "FJPZCVR53Y53RYD9M37N"} {
		if !skranke.ValidCheck(code) {
			t.Fatalf("fixture %s invalid", code)
		}
		typed := mustType(t, code, scanner.LayoutUS, scanner.LayoutDE)
		p := scanner.NewPipeline(scanner.Options{})
		sc, err := p.Process(scanner.Reading{Data: typed, Source: scanner.SourceWedge, At: t0})
		if err == nil && sc.Class != scanner.Unknown && sc.Code != code {
			t.Errorf("%s typed by a US scanner on a German desk as %q: accepted as another valid code %s (%v)", code, typed, sc.Code, sc.Class)
		}
	}
}
