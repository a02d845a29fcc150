package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

func TestPickupList(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "token")
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	mk := func(i int, status skranke.PaymentStatus, hoursAgo int, delivered int) *skranke.Purchase {
		p := testPurchase(code(i), int64(i))
		p.Status = status
		p.CreatedAt = at.Add(-time.Duration(hoursAgo) * time.Hour)
		p.Lines[1].Delivered = delivered // Of 2 bottles.
		return p
	}
	old := mk(1, skranke.Captured, 48, 0)
	partly := mk(2, skranke.Captured, 5, 1)
	authorized := mk(3, skranke.Authorized, 1, 0)
	full := mk(4, skranke.Captured, 2, 2)
	full.Lines[0].Delivered = 1
	pending := mk(5, skranke.Pending, 0, 0)
	credited := mk(6, skranke.Credited, 0, 0)
	serviceOnly := mk(7, skranke.Captured, 3, 0)
	serviceOnly.Lines = serviceOnly.Lines[:1]
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{old, partly, authorized, full, pending, credited, serviceOnly}, nil, nil))

	list := func(f desksync.PickupFilter) ([]string, int) {
		t.Helper()
		l, err := d.Pickup(ctx, f)
		require.NoError(t, err)
		return codesOf(l.Purchases), l.Total
	}
	got, n := list(desksync.PickupFilter{})
	require.Equal(t, []string{authorized.Code, serviceOnly.Code, partly.Code, old.Code}, got, "paid, not fully delivered, newest first")
	require.Equal(t, 4, n)
	count, err := d.PickupCount(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, count)

	got, n = list(desksync.PickupFilter{Status: skranke.Authorized})
	require.Equal(t, []string{authorized.Code}, got)
	require.Equal(t, 1, n)
	got, _ = list(desksync.PickupFilter{Status: skranke.Pending})
	require.Empty(t, got, "an unpaid purchase never waits for pickup")
	got, n = list(desksync.PickupFilter{Product: "Drikkeflaske"})
	require.Equal(t, []string{authorized.Code, partly.Code, old.Code}, got)
	require.Equal(t, 3, n)
	got, _ = list(desksync.PickupFilter{Product: "Drikke"})
	require.Empty(t, got, "a product is matched by its whole name")
	got, n = list(desksync.PickupFilter{Limit: 2})
	require.Equal(t, []string{authorized.Code, serviceOnly.Code}, got)
	require.Equal(t, 4, n, "the total counts beyond the limit")

	l, err := d.Pickup(ctx, desksync.PickupFilter{})
	require.NoError(t, err)
	require.Equal(t, 2, l.Purchases[2].Remaining, "the card and 1 of 2 bottles remain")
	require.Equal(t, partly.CreatedAt, l.Purchases[2].CreatedAt.UTC())

	// Offline hand-overs count at once: in part, the purchase stays; in full, it goes.
	staff := skranke.Staff{ID: "s1", Name: "Kari"}
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: old.Code, Staff: staff, Lines: []skranke.DeliveredLine{{LineID: "l1", Quantity: 1}}})
	require.NoError(t, err)
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: partly.Code, Staff: staff, Signature: signaturePNG(t)})
	require.NoError(t, err)
	got, n = list(desksync.PickupFilter{})
	require.Equal(t, []string{authorized.Code, serviceOnly.Code, old.Code}, got)
	require.Equal(t, 3, n)
	l, err = d.Pickup(ctx, desksync.PickupFilter{})
	require.NoError(t, err)
	require.Equal(t, 2, l.Purchases[2].Remaining, "2 bottles of the old purchase remain")

	// Undone, the hand-over in full hands over nothing: the purchase waits again.
	lk, err := d.Cached(ctx, partly.Code)
	require.NoError(t, err)
	last, _ := lk.Purchase.LastDelivery()
	_, _, err = d.Undo(ctx, desksync.UndoRequest{Code: partly.Code, DeliveryID: last.ID, Staff: staff})
	require.NoError(t, err)
	got, _ = list(desksync.PickupFilter{})
	require.Contains(t, got, partly.Code)
}

// TestPickupWithOneReaderFree: the pickup list and count need one read
// connection at a time. Each once held one with its rows open and asked for
// a second, for the outbox's pending deliveries: with as many connections
// as cores, the scan screen's count and the pickup list at once (two cores)
// took them both and waited for each other, and the sync loop's reads with
// them, until their contexts ended (the app's TestPickupList, "UI still
// busy after 15 s" on a loaded machine).
func TestPickupWithOneReaderFree(t *testing.T) {
	d := MustOpen(t, deadAddr(t), "token")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waiting := testPurchase(code(1), 1)
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{waiting, testPurchase(code(2), 2)}, nil, nil))
	// A hand-over in the outbox: the list reads it for every purchase.
	_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: waiting.Code, Staff: skranke.Staff{ID: "s1", Name: "Kari"},
		Lines: []skranke.DeliveredLine{{LineID: "l1", Quantity: 1}}})
	require.NoError(t, err)

	release, err := d.HoldReadersForTest(ctx, 1)
	require.NoError(t, err)
	defer release()
	l, err := d.Pickup(ctx, desksync.PickupFilter{})
	require.NoError(t, err, "the pickup list with one read connection free")
	require.Equal(t, []string{code(2), code(1)}, codesOf(l.Purchases))
	require.Equal(t, 2, l.Purchases[1].Remaining, "the bottles remain; the card was handed over")
	n, err := d.PickupCount(ctx)
	require.NoError(t, err, "the pickup count with one read connection free")
	require.Equal(t, 2, n)
}
