package benchlat_test

import (
	"testing"
	"time"

	"github.com/skranke/skranke/sync/internal/benchlat"
)

func TestQuantileIsNearestRank(t *testing.T) {
	var s benchlat.Sample
	for i := 100; i >= 1; i-- { // Out of order on purpose.
		s.Add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 50 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{0.001, 1 * time.Millisecond},
	} {
		if got := s.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if s[0] != 100*time.Millisecond {
		t.Error("Quantile sorted the caller's sample")
	}
	if got := (benchlat.Sample{}).Quantile(0.5); got != 0 {
		t.Errorf("empty sample: %v", got)
	}
}
