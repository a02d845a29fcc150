package sync_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// A gift card used in part whose answer was lost (kind Unknown) is settled
// by the sync loop, and only a screen waiting in memory heard of it: a
// desk restarted before the settling settled it silently, and nothing told
// staff of the remainder card the shop had issued for the rest, so it was
// never shown or printed and the customer's money was lost to them. The
// desk now keeps such outcomes until staff have been told (LateOutcomes),
// across restarts.
func TestLateRedemptionOutcomeSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	dir := f.desk.DataDirForTest()

	// One used while all is well: staff were told at once.
	told := f.srv.IssueCard(10000)
	_, err := f.desk.Redeem(ctx, told.Code, 1000, kari)
	require.NoError(t, err)

	card := f.srv.IssueCard(10000)
	_, err = f.desk.Card(ctx, card.Code)
	require.NoError(t, err)
	f.proxy.set(func(r *http.Request) fault {
		switch {
		case isRedemptionPost(r):
			return drop // The shop commits; the answer is lost.
		case strings.HasSuffix(r.URL.Path, "/resolve"):
			return reset
		}
		return pass
	})
	lost, err := f.desk.Redeem(ctx, card.Code, 4000, kari)
	require.True(t, skranke.KindOf(err) == skranke.Unknown, "%v", err)
	late, err := f.desk.LateOutcomes(ctx)
	require.NoError(t, err)
	require.Len(t, late, 1, "the desk does not know that staff wait for an outcome")
	require.False(t, late[0].Outcome.Settled)

	// The desk restarts before the loop settled it.
	require.NoError(t, f.desk.Close())
	f.proxy.set(nil)
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: f.proxy.URL(), Token: f.srv.DeskToken, DataDir: dir,
		SyncInterval: 200 * time.Millisecond, Timeout: time.Second})
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Sync(ctx))

	late, err = d.LateOutcomes(ctx)
	require.NoError(t, err)
	require.Len(t, late, 1, "after the restart nothing tells staff what became of the redemption")
	lo := late[0]
	require.Equal(t, lost.Redemption.ID, lo.ID)
	require.Equal(t, "redemption", lo.Kind)
	require.Equal(t, card.Code, lo.Code)
	require.Equal(t, kari.ID, lo.Staff.ID)
	require.Equal(t, kari.Name, lo.Staff.Name)
	require.Equal(t, skranke.Money(4000), lo.Amount)
	require.True(t, lo.Outcome.Settled && lo.Outcome.Done, "%+v", lo.Outcome)
	require.NotNil(t, lo.Outcome.Redemption.Remainder, "no remainder card to show and print")
	rem := *lo.Outcome.Redemption.Remainder
	require.Equal(t, skranke.Money(6000), rem.Balance)

	// The shop has exactly that one remainder card.
	shopCard := f.srv.Card(card.Code)
	require.Equal(t, skranke.CardVoided, shopCard.Status)
	require.Equal(t, rem.Code, shopCard.RemainderCode)
	require.Equal(t, skranke.Money(6000), f.srv.Card(rem.Code).Balance)
	require.Equal(t, skranke.CardActive, f.srv.Card(rem.Code).Status)
	require.Empty(t, f.srv.Card(rem.Code).RemainderCode)

	// Offline too, the desk shows the remainder card from its cache.
	f.srv.Stop()
	cl, err := d.Card(ctx, rem.Code)
	require.NoError(t, err)
	require.Equal(t, skranke.Money(6000), cl.Card.Balance)

	// Once staff are told (Outcome), it is not told again, even after
	// another restart.
	o, err := d.Outcome(ctx, lo.ID)
	require.NoError(t, err)
	require.True(t, o.Settled && o.Done)
	late, err = d.LateOutcomes(ctx)
	require.NoError(t, err)
	require.Empty(t, late)
	require.NoError(t, d.Close())
	again := MustOpenDir(t, dir, f.proxy.URL(), f.srv.DeskToken)
	late, err = again.LateOutcomes(ctx)
	require.NoError(t, err)
	require.Empty(t, late)
}
