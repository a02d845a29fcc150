package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
	"github.com/skranke/skranke/sync/internal/benchlat"
)

// BenchmarkMonth1M builds the month from a cache of a million purchases
// (a year of the bulk shop's sales: about 85,000 in the month asked for,
// the last whole one), offline, as a manager opens it. The first build
// after the cache was made files every purchase's facts; it is done, and
// logged, before the timing starts.
func BenchmarkMonth1M(b *testing.B) {
	dir := bigCacheDir(b)
	ctx := context.Background()
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	m := skranke.MonthOf(time.Now()).Prev()
	start := time.Now()
	r, err := d.Month(ctx, m)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first build of %s (files the facts of purchases not filed yet): %v; %d purchases sold for %s",
		m, time.Since(start).Round(time.Millisecond), r.Total.SalesCount, r.Total.Sales)
	if r.Total.SalesCount < 50000 {
		b.Fatalf("%s holds %d purchases; the benchmark wants a month of the bulk cache", m, r.Total.SalesCount)
	}
	var lat benchlat.Sample
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		got, err := d.Month(ctx, m)
		lat.Since(t0)
		if err != nil || got.Total != r.Total {
			b.Fatalf("month %s: %+v, %v", m, got.Total, err)
		}
	}
	reportCPU(b, cpu0, len(lat))
	lat.Report(b, "")
}
