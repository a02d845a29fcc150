// Package benchlat reports latency percentiles from Go benchmarks honestly:
// nearest-rank percentiles of every sample taken, never a high percentile
// from too few samples to have one, and always the sample count.
package benchlat

import (
	"math"
	"slices"
	"testing"
	"time"
)

// MinSamples is the fewest samples from which a p99 is reported: with
// fewer, the 99th percentile is the largest sample or close to it, and a
// single hiccup reads as the desk's p99.
const MinSamples = 1000

// Sample is a set of measured latencies.
type Sample []time.Duration

// Add records one latency.
func (s *Sample) Add(d time.Duration) { *s = append(*s, d) }

// Since records the time since start.
func (s *Sample) Since(start time.Time) { s.Add(time.Since(start)) }

// Quantile returns the nearest-rank q-quantile (0 < q <= 1) of the sample:
// the smallest latency that at least q of the samples do not exceed.
func (s Sample) Quantile(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Report adds the sample's percentiles to b's results, in microseconds
// and with prefix before each unit ("scan-" gives "scan-p50-µs"): p50 and
// the maximum and the count always, p99 from MinSamples samples on.
func (s Sample) Report(b *testing.B, prefix string) {
	if len(s) == 0 {
		return
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	b.ReportMetric(us(s.Quantile(0.50)), prefix+"p50-µs")
	if len(s) >= MinSamples {
		b.ReportMetric(us(s.Quantile(0.99)), prefix+"p99-µs")
	}
	b.ReportMetric(us(s.Quantile(1)), prefix+"max-µs")
	b.ReportMetric(float64(len(s)), prefix+"samples")
}
