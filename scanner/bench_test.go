package scanner_test

import (
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

// BenchmarkProcess measures the pipeline per scan, for the shapes of
// reading the desk sees.
func BenchmarkProcess(b *testing.B) {
	ref, gift := withCheck("K7RM4QX"), withCheck("7T2V9QBX4K0MZP3HWN8")
	cases := []struct {
		name string
		opts scanner.Options
		r    scanner.Reading
	}{
		{"reference", scanner.Options{}, scanner.Reading{Data: ref + "\r", Source: "serial:/dev/ttyACM0"}},
		{"gift_grouped_aim", scanner.Options{}, scanner.Reading{Data: "]Q1" + skranke.GroupCode(gift), Source: "hid:0c2e:0b61"}},
		{"gift_us_scanner_on_no", scanner.Options{HostLayout: "no", ScannerLayout: "us"},
			scanner.Reading{Data: "¨Q1" + "7T2V+9QBX+4K0M+ZP3H+WN81", Source: scanner.SourceWedge}},
		{"ean13", scanner.Options{}, scanner.Reading{Data: "]E05901234123457", Source: "hid:0c2e:0b61"}},
		{"invalid", scanner.Options{}, scanner.Reading{Data: ref[:7] + "0", Source: "serial:/dev/ttyACM0"}},
		{"unknown_url", scanner.Options{}, scanner.Reading{Data: "]Q1https://example.com/some/path?q=1", Source: "hid:0c2e:0b61"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Dedup on, as in the app; the clock moves 3 s a scan so
			// every scan is new.
			p := scanner.NewPipeline(c.opts)
			r := c.r
			at := t0
			b.ReportAllocs()
			for b.Loop() {
				at = at.Add(3 * time.Second)
				r.At = at
				p.Process(r)
			}
		})
	}
}

// BenchmarkKeyboardDecoder measures decoding a reference typed in keyboard
// mode (18 reports).
func BenchmarkKeyboardDecoder(b *testing.B) {
	reports, _ := loadReports(b, "kbd_us_repeats.hex")
	d := scanner.NewKeyboardDecoder("us")
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range reports {
			d.Feed(r)
		}
	}
}
