package sync_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOutcomeForACallerThatGaveUpStaysUntold holds that a gift card use
// whose answer came after the caller gave up (the app closing while the
// shop was slow) is kept for LateOutcomes: the app shows nothing once its
// context is done, so staff would never see, nor print, the remainder card.
func TestOutcomeForACallerThatGaveUpStaysUntold(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	card := f.srv.IssueCard(10000)
	_, err := f.desk.Card(ctx, card.Code)
	require.NoError(t, err)
	f.proxy.setDelay(time.Second)
	f.proxy.set(func(r *http.Request) fault {
		if isRedemptionPost(r) {
			return slow // The shop commits; the answer comes late.
		}
		return pass
	})
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	res, err := f.desk.Redeem(cctx, card.Code, 4000, kari)
	t.Logf("Redeem returned err=%v, remainder card %v, caller's context %v", err, res.Remainder != nil, cctx.Err())
	late, err := f.desk.LateOutcomes(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, late, "the outcome went to a caller that had given up, and is not kept for staff")
}
