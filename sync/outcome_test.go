package sync_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
	"github.com/stretchr/testify/require"
)

// A credit whose answer is lost is settled at once by the shop's resolve:
// the credit as the shop made it.
func TestUnansweredCreditIsSettled(t *testing.T) {
	ctx := context.Background()
	f := startFaultDesk(t)
	f.proxy.set(func(r *http.Request) fault {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/credits") {
			return drop
		}
		return pass
	})
	c, err := f.desk.Credit(ctx, f.p.Code, desksync.CreditOrder{Amount: 10000, Reason: "Kunden angret"}, ingrid)
	require.NoError(t, err, "applied, and said so")
	require.NotEmpty(t, c.ID)
	require.Equal(t, skranke.Money(10000), c.Amount)
	require.Equal(t, "Kunden angret", c.Reason)
	require.Len(t, f.srv.Purchase(f.p.Code).Credits, 1, "the shop did credit, once")
	o, err := f.desk.Outcome(ctx, c.ID)
	require.NoError(t, err)
	require.True(t, o.Settled && o.Done, "%+v", o)
	require.Equal(t, skranke.Money(10000), o.Credit.Amount)

	_, err = f.desk.Outcome(ctx, "no-such-action")
	require.True(t, skranke.KindOf(err) == skranke.NotFound, "%v", err)
}

// A shop that is not there at all certainly did not charge the card: that
// stays a plain Unavailable, "not charged".
func TestRedeemWithNoShopIsNotUnknown(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "token")
	_, err := d.Redeem(ctx, "GC2345678", 1000, kari)
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	require.Contains(t, err.Error(), "not charged")
}
