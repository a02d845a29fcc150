package sync_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
)

// lostRedemptionAnswer is a desk whose use of kr 40 of a kr 100 gift card
// reached the shop but whose answer was lost (and the resolve too): its
// outcome waits for the next sync.
func lostRedemptionAnswer(t *testing.T) faultDesk {
	t.Helper()
	ctx := context.Background()
	f := startFaultDesk(t)
	card := f.srv.IssueCard(10000)
	_, err := f.desk.Card(ctx, card.Code)
	require.NoError(t, err)
	f.proxy.set(func(r *http.Request) fault {
		switch {
		case isRedemptionPost(r):
			return drop
		case strings.HasSuffix(r.URL.Path, "/resolve"):
			return reset
		}
		return pass
	})
	_, err = f.desk.Redeem(ctx, card.Code, 4000, kari)
	require.Equal(t, skranke.Unknown, skranke.KindOf(err), "%v", err)
	f.proxy.set(nil)
	return f
}

// A gift card use whose answer was lost, settled as done by the shop but
// not yet shown to staff, is still shown after the desk starts over (a
// restore of the shop, a 410): its remainder card is not lost with the
// cache's redemptions.
func TestLateOutcomeSurvivesStartOver(t *testing.T) {
	ctx := context.Background()
	f := lostRedemptionAnswer(t)
	require.NoError(t, f.desk.Sync(ctx))
	late, err := f.desk.LateOutcomes(ctx)
	require.NoError(t, err)
	require.Len(t, late, 1)
	require.True(t, late[0].Outcome.Settled && late[0].Outcome.Done, "%+v", late[0].Outcome)
	before := late[0].Outcome.Redemption
	require.NotNil(t, before)
	require.NotNil(t, before.Remainder, "the shop's answer has a remainder card")

	require.NoError(t, f.desk.StartOverForTest(ctx))
	require.NoError(t, f.desk.Sync(ctx))
	late, err = f.desk.LateOutcomes(ctx)
	require.NoError(t, err, "staff are never told of the remainder card")
	require.Len(t, late, 1)
	o := late[0].Outcome
	require.True(t, o.Settled && o.Done, "%+v", o)
	require.NotNil(t, o.Redemption)
	require.Equal(t, before.Redemption.ID, o.Redemption.Redemption.ID)
	require.Equal(t, before.Redemption.Amount, o.Redemption.Redemption.Amount)
	require.NotNil(t, o.Redemption.Remainder, "the remainder card is not shown after the start-over")
	require.Equal(t, before.Remainder.Code, o.Redemption.Remainder.Code)
}

// A gift card use settled as done, not yet told, and the cache starting
// over (a restore of the shop), with the shop away before the full pull
// files the cards again: the outcome is not reported done without the
// remainder card, nor staff taken as told, or the app would print a void
// slip only, say the card was used in whole, and never show the remainder
// card's code.
func TestLateOutcomeAfterStartOverKeepsTheRemainderCard(t *testing.T) {
	ctx := context.Background()
	f := lostRedemptionAnswer(t)
	require.NoError(t, f.desk.Sync(ctx)) // Settles it: done, untold.
	late, err := f.desk.LateOutcomes(ctx)
	require.NoError(t, err)
	require.Len(t, late, 1)
	require.NotNil(t, late[0].Outcome.Redemption.Remainder)

	// The desk starts over (a 410, or checkRestored); the shop is away
	// before the full pull files the cards again.
	require.NoError(t, f.desk.StartOverForTest(ctx))
	o, err := f.desk.Outcome(ctx, late[0].ID)
	require.NoError(t, err)
	if o.Settled && o.Done {
		require.NotNil(t, o.Redemption.Remainder, "Outcome says done without the remainder card the shop issued")
	}
	late2, err := f.desk.LateOutcomes(ctx)
	require.NoError(t, err)
	require.Len(t, late2, 1, "staff are recorded as told, yet were never given the remainder card")
}

// One late outcome the cache cannot read (its redemption gone) does not
// hide the others from staff: it is left out, and the rest are listed.
func TestLateOutcomesSkipsAnUnreadableOne(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	a, b := f.srv.IssueCard(10000), f.srv.IssueCard(20000)
	for _, c := range []string{a.Code, b.Code} {
		_, err := f.desk.Card(ctx, c)
		require.NoError(t, err)
	}
	f.proxy.set(func(r *http.Request) fault {
		switch {
		case isRedemptionPost(r):
			return drop
		case strings.HasSuffix(r.URL.Path, "/resolve"):
			return reset
		}
		return pass
	})
	for _, c := range []string{a.Code, b.Code} {
		_, err := f.desk.Redeem(ctx, c, 4000, kari)
		require.Equal(t, skranke.Unknown, skranke.KindOf(err), "%v", err)
	}
	f.proxy.set(nil)
	require.NoError(t, f.desk.Sync(ctx))
	late, err := f.desk.LateOutcomes(ctx)
	require.NoError(t, err)
	require.Len(t, late, 2)
	require.NotNil(t, late[1].Outcome.Redemption)

	require.NoError(t, f.desk.ForgetRedemptionForTest(ctx, late[0].ID))
	late2, err := f.desk.LateOutcomes(ctx)
	require.NoError(t, err, "one unreadable outcome hid the others")
	require.Len(t, late2, 1)
	require.Equal(t, late[1].ID, late2[0].ID)
	require.NotNil(t, late2[0].Outcome.Redemption)
	require.Equal(t, b.Code, late2[0].Outcome.Redemption.Redemption.CardCode)
}
