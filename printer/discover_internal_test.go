package printer

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGlobTargets finds printer device files the way Discover does, in a
// folder of real files.
func TestGlobTargets(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"lp1", "lp0", "other"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := globTargets(filepath.Join(dir, "lp*"), "device")
	if len(got) != 2 || got[0].Address != filepath.Join(dir, "lp0") || got[1].Kind != "device" {
		t.Errorf("got %+v", got)
	}
	ser := globTargets(filepath.Join(dir, "lp0"), "serial")
	if len(ser) != 1 || ser[0].Baud != DefaultBaud {
		t.Errorf("serial target %+v has no default baud", ser)
	}
	// Every target found must read back through ParseTarget, so that the
	// settings screen can store what it offers.
	for _, tg := range append(got, ser...) {
		back, err := ParseTarget(tg.String())
		if err != nil || back != tg {
			t.Errorf("%+v does not round-trip: %+v, %v", tg, back, err)
		}
	}
	if len(deviceGlobs("linux")) == 0 || deviceGlobs("plan9") != nil {
		t.Error("device globs per OS")
	}
}
