package app

import (
	"runtime"
	"testing"

	"fyne.io/fyne/v2"
)

// waitIdle spins until the UI's background work is done, without the
// polling interval of require.Eventually, so that it measures latency.
func waitIdle(d *Desk) {
	for d.RunPending() > 0 || d.Busy() {
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
		f.d.Submit(code, "serial:/dev/ttyUSB0")
		waitIdle(f.d)
		if f.d.Scan.StateNow() != StateDeliverable {
			b.Fatalf("state %v: %s", f.d.Scan.StateNow(), f.d.Scan.State.Text)
		}
	}
}

// BenchmarkScanToPurchaseShownOffline is the same with the shop down: the
// answer comes from the cache.
func BenchmarkScanToPurchaseShownOffline(b *testing.B) {
	f := mustOpen(b)
	f.login("kari", "1234")
	code := f.shop.Code("many-lines")
	f.d.Submit(code, "serial:/dev/ttyUSB0")
	waitIdle(f.d)
	f.shop.Stop()
	b.ResetTimer()
	for b.Loop() {
		f.d.Submit(code, "serial:/dev/ttyUSB0")
		waitIdle(f.d)
		if f.d.Scan.Cache.Text == "" {
			b.Fatalf("not from the cache: %s", f.d.Scan.State.Text)
		}
	}
}

// BenchmarkSignaturePNG measures turning a drawn signature into the PNG that
// is stored and printed.
func BenchmarkSignaturePNG(b *testing.B) {
	p := NewSignaturePad()
	p.Resize(fyne.NewSize(600, 200))
	sign(p)
	for b.Loop() {
		if _, err := p.PNG(); err != nil {
			b.Fatal(err)
		}
	}
}
