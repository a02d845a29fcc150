package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
	"github.com/skranke/skranke/sync/internal/benchlat"
)

// BenchmarkMonthCards100k builds a month from a cache holding 100,000 gift
// cards (five years of a busy centre's: issued every day, a third of them
// spent or used in part with a remainder card issued) and no purchases, so
// that what it times is the month's gift-card part: the cards sold in the
// month and the liability at its end. The benchmark cache of
// BenchmarkMonth1M holds only a few cards.
func BenchmarkMonthCards100k(b *testing.B) {
	ctx := context.Background()
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: "http://127.0.0.1:1", DataDir: b.TempDir(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	rng := rand.New(rand.NewPCG(100, 0))
	start := time.Date(2021, 12, 1, 0, 0, 0, 0, skranke.ReportLocation())
	span := int64(5 * 365 * 24 * time.Hour)
	cards := make([]*skranke.Card, 0, 100_000)
	for i := range cap(cards) {
		c := &skranke.Card{Code: fmt.Sprintf("GC%08d", i), CentreID: "c1", InitialAmount: skranke.Money(10000 + rng.IntN(90000)),
			Status: skranke.CardActive, IssuedAt: start.Add(time.Duration(rng.Int64N(span))), Seq: int64(i + 1)}
		c.Balance, c.ExpiresAt = c.InitialAmount, c.IssuedAt.AddDate(3, 0, 0)
		if rng.IntN(3) == 0 {
			c.Status, c.Balance, c.ClosedAt = skranke.CardSpent, 0, c.IssuedAt.Add(time.Duration(rng.Int64N(int64(300*24*time.Hour))))
		}
		if i > 0 && rng.IntN(5) == 0 {
			c.ParentCode = cards[rng.IntN(len(cards))].Code
		}
		cards = append(cards, c)
	}
	if err := d.CacheForTest(ctx, nil, cards, nil); err != nil {
		b.Fatal(err)
	}
	m := skranke.Month{Year: 2024, Month: time.June}
	r, err := d.Month(ctx, m)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d cards sold for %s; %d cards owe %s at its end", m, r.Total.CardsSoldCount, r.Total.CardsSold, r.LiabilityCards, r.Liability)
	var lat benchlat.Sample
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		got, err := d.Month(ctx, m)
		lat.Since(t0)
		if err != nil || got.Total != r.Total || got.Liability != r.Liability {
			b.Fatalf("month %s: %+v, %v", m, got.Total, err)
		}
	}
	reportCPU(b, cpu0, len(lat))
	lat.Report(b, "")
}
