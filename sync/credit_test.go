package sync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// Staff credit lines of a purchase with a manager's approval, checked by
// the shop; the cache then knows, offline, what was credited, by whom and
// with whose approval, and hands no credited unit over.
func TestCreditByLineWithApproval(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	p := newPurchase(srv) // Line 1: a course; line 2: two shakers.
	shakers := map[string]int{"2": 1}

	_, err := d.Credit(ctx, p.Code, desksync.CreditOrder{Units: shakers, Reason: "Knust"}, kari)
	require.True(t, skranke.KindOf(err) == skranke.Forbidden, "%v", err)
	_, err = d.Approve(ctx, ingrid.ID, "000000")
	require.True(t, skranke.KindOf(err) == skranke.Unauthorized, "wrong PIN: %v", err)
	_, err = d.Approve(ctx, kari.ID, shoptest.DemoPIN(kari.ID))
	require.True(t, skranke.KindOf(err) == skranke.Forbidden, "staff cannot approve: %v", err)
	require.Empty(t, srv.Purchase(p.Code).Credits)

	a, err := d.Approve(ctx, ingrid.ID, shoptest.DemoPIN(ingrid.ID))
	require.NoError(t, err)
	require.Equal(t, ingrid.ID, a.Manager.ID)
	c, err := d.Credit(ctx, p.Code, desksync.CreditOrder{Units: shakers, Reason: "Knust", Approval: a}, kari)
	require.NoError(t, err)
	shaker := srv.Purchase(p.Code).Lines[1]
	require.Equal(t, shaker.UnitPrice, c.Amount, "one shaker, priced by the shop")
	require.Equal(t, kari.ID, c.StaffID)
	require.Equal(t, ingrid.ID, c.ApprovedBy)
	require.Equal(t, 1, srv.Purchase(p.Code).Lines[1].Credited)

	// An approval serves one credit.
	_, err = d.Credit(ctx, p.Code, desksync.CreditOrder{Units: shakers, Reason: "Igjen", Approval: a}, kari)
	require.True(t, skranke.KindOf(err) == skranke.Forbidden, "%v", err)
	require.Len(t, srv.Purchase(p.Code).Credits, 1)

	srv.Stop()
	lk, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.True(t, lk.FromCache)
	require.Equal(t, 1, lk.Purchase.Lines[1].Credited)
	require.Equal(t, 1, lk.Purchase.Lines[1].Remaining(), "offline, the credited shaker is not handed over")
	require.Equal(t, "Ingrid Solbakken", lk.Purchase.Credits[0].ApproverName)
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Signature: signaturePNG(t),
		Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 2}}})
	require.True(t, skranke.KindOf(err) == skranke.Conflict, "%v", err)
	acts, err := d.Activities(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	acts = actsFor(acts, p.Code)
	require.Len(t, acts, 1)
	require.Equal(t, "Ingrid Solbakken", acts[0].ApproverName)
	require.Contains(t, strings.Join(acts[0].Products, "; "), "1 × "+shaker.Name)
	_, err = d.Approve(ctx, ingrid.ID, shoptest.DemoPIN(ingrid.ID))
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "offline: %v", err)
}

// Wrong manager PINs count like wrong PINs at login: the name is locked.
func TestApprovalLockout(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	for i := 0; i < shop.MaxPINFailures; i++ {
		_, err := d.Approve(ctx, ingrid.ID, "000000")
		require.Error(t, err, "wrong PIN %d", i+1)
	}
	_, err := d.Approve(ctx, ingrid.ID, shoptest.DemoPIN(ingrid.ID))
	require.True(t, skranke.KindOf(err) == skranke.Locked, "the right PIN after %d wrong ones: %v", shop.MaxPINFailures, err)
}
