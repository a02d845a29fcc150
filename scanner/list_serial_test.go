//go:build !windows

package scanner_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/skranke/skranke/scanner"
)

func TestListSerial(t *testing.T) {
	dev := t.TempDir()
	for _, n := range []string{"ttyACM0", "ttyUSB1", "ttyUSB0", "ttyS0"} {
		if err := os.WriteFile(filepath.Join(dev, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dev, "serial", "by-id"), 0o755)
	link := filepath.Join(dev, "serial", "by-id", "usb-Honeywell_Xenon-if00")
	if err := os.Symlink(filepath.Join(dev, "ttyACM0"), link); err != nil {
		t.Fatal(err)
	}
	got, err := scanner.ListSerialUnder(dev)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{link, filepath.Join(dev, "ttyUSB0"), filepath.Join(dev, "ttyUSB1")}
	if len(got) != len(want) {
		t.Fatalf("ListSerial = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ListSerial = %q, want %q", got, want)
		}
	}
	if _, err := scanner.ListSerial(); err != nil {
		t.Fatalf("ListSerial on this machine: %v", err)
	}
}
