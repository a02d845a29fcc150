package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

// TestMonthCardsAreEveryCards compares the gift card part of the desk's
// months (cards sold, the liability at the month's end), which reads only
// the month's cards and a sum per day, with the same figures made from
// every card (skranke.CardFacts, skranke.Liability), over two years of
// cards issued, closed and expiring at odd times and on the stroke of a
// month's end, cards closed before the shop kept when, cards updated after
// they were cached, and cards cached before migration 0010.
func TestMonthCardsAreEveryCards(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "token")
	rng := rand.New(rand.NewPCG(20, 26))
	first := skranke.Month{Year: 2025, Month: time.January}
	// at is a time in the two years: often the first instant of a month,
	// or the last nanosecond before it.
	at := func() time.Time {
		m := first
		for range rng.IntN(24) {
			m = m.Next()
		}
		from, _ := m.Bounds()
		switch rng.IntN(4) {
		case 0:
			return from
		case 1:
			return from.Add(-time.Nanosecond)
		}
		return from.Add(time.Duration(rng.Int64N(int64(28 * 24 * time.Hour))))
	}
	all := map[string]*skranke.Card{}
	var issued, later []*skranke.Card
	for i := range 300 {
		c := &skranke.Card{Code: fmt.Sprintf("GC%06d", i), CentreID: "c1", InitialAmount: skranke.Money(1000 + rng.IntN(100000)),
			Status: skranke.CardActive, IssuedAt: at(), Seq: int64(i + 1)}
		c.Balance = c.InitialAmount
		switch rng.IntN(5) {
		case 0:
			c.ExpiresAt = at() // Perhaps before it was issued.
		case 1:
			// ExpiresAt zero: never owed.
		default:
			c.ExpiresAt = c.IssuedAt.AddDate(1, 0, 0)
		}
		if rng.IntN(4) == 0 {
			c.ParentCode = fmt.Sprintf("GC%06d", rng.IntN(300))
		}
		issued = append(issued, c)
		all[c.Code] = c
		// Closed later: spent, voided, or closed before the shop kept when.
		switch rng.IntN(4) {
		case 0:
			u := *c
			u.Status, u.ClosedAt, u.Seq = skranke.CardSpent, at(), c.Seq+1000
			later, all[c.Code] = append(later, &u), &u
		case 1:
			u := *c
			u.Status, u.Seq = skranke.CardVoided, c.Seq+1000
			later, all[c.Code] = append(later, &u), &u
		}
	}
	require.NoError(t, d.CacheForTest(ctx, nil, issued[:150], nil))
	require.NoError(t, d.UnfileCardsForTest(ctx))
	require.NoError(t, d.CacheForTest(ctx, nil, issued[150:], nil))
	require.NoError(t, d.CacheForTest(ctx, nil, later, nil))

	for m := first.Prev(); m != (skranke.Month{Year: 2027, Month: time.March}); m = m.Next() {
		want := skranke.NewMonthReport("", m, skranke.CardFacts(m, all, nil), all)
		got, err := d.Month(ctx, m)
		require.NoError(t, err, m)
		require.Equal(t, want.Liability, got.Liability, "the liability at the end of %s", m)
		require.Equal(t, want.LiabilityCards, got.LiabilityCards, "the cards owed at the end of %s", m)
		require.Equal(t, want.Total, got.Total, "the cards of %s", m)
		if m.Month == time.June {
			require.NotZero(t, got.Liability, m)
		}
	}
}
