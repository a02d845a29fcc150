package app

import (
	"runtime"
	"testing"

	"fyne.io/fyne/v2"
)

// waitIdle spins until the UI's background work is done, without the
// polling interval of require.Eventually, so that it measures latency.
func waitIdle(d *Desk) {
	for d.runPending() > 0 || d.isBusy() {
		runtime.Gosched()
	}
}

// BenchmarkScanToPurchaseShown measures what staff wait for: from Enter in
// the scan field to the purchase on screen, through the pipeline, the shop
// over loopback HTTP and the SQLite cache.
func BenchmarkScanToPurchaseShown(b *testing.B) {
	f := mustOpen(b)
	f.login("kari", "1234")
	code := f.shop.Code("many-lines")
	b.ResetTimer()
	for b.Loop() {
		f.d.submit(code, "serial:/dev/ttyUSB0")
		waitIdle(f.d)
		if f.d.scan.StateNow() != stateDeliverable {
			b.Fatalf("state %v: %s", f.d.scan.StateNow(), f.d.scan.State.Text)
		}
	}
}

// BenchmarkScanToPurchaseShownOffline is the same with the shop down: the
// answer comes from the cache.
func BenchmarkScanToPurchaseShownOffline(b *testing.B) {
	f := mustOpen(b)
	f.login("kari", "1234")
	code := f.shop.Code("many-lines")
	f.d.submit(code, "serial:/dev/ttyUSB0")
	waitIdle(f.d)
	f.shop.Stop()
	b.ResetTimer()
	for b.Loop() {
		f.d.submit(code, "serial:/dev/ttyUSB0")
		waitIdle(f.d)
		if f.d.scan.Cache.Text == "" {
			b.Fatalf("not from the cache: %s", f.d.scan.State.Text)
		}
	}
}

// BenchmarkSignaturePNG measures turning a drawn signature into the PNG that
// is stored and printed.
func BenchmarkSignaturePNG(b *testing.B) {
	p := newSignaturePad()
	p.Resize(fyne.NewSize(600, 200))
	sign(p)
	for b.Loop() {
		if _, err := p.PNG(); err != nil {
			b.Fatal(err)
		}
	}
}
