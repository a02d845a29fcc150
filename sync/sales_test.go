package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

func TestSalesOverview(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "token")
	day := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	mk := func(i int, status skranke.PaymentStatus, at time.Time) *skranke.Purchase {
		p := testPurchase(code(i), int64(i))
		p.Status, p.CreatedAt = status, at
		return p
	}
	promo := mk(1, skranke.Captured, day.Add(9*time.Hour))
	promo.PromoCode = "HOST20"
	promo.Lines[0].Discount = 19800
	partly := mk(2, skranke.Captured, day.Add(10*time.Hour))
	partly.Lines[1].Delivered = 1
	pending := mk(3, skranke.Pending, day.Add(11*time.Hour))
	credited := mk(4, skranke.Credited, day.Add(12*time.Hour))
	credited.Credits = []skranke.Credit{{ID: "c1", PurchaseCode: credited.Code, Amount: credited.Total(), At: day.Add(13 * time.Hour)}}
	before := mk(5, skranke.Captured, day.Add(-time.Minute))
	after := mk(6, skranke.Captured, day.AddDate(0, 0, 1))
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{promo, partly, pending, credited, before, after}, nil, nil))

	ov, err := d.Sales(ctx, day, day.AddDate(0, 0, 1))
	require.NoError(t, err)
	var codes []string
	for _, s := range ov.Sales {
		codes = append(codes, s.Code)
	}
	require.Equal(t, []string{promo.Code, partly.Code, pending.Code, credited.Code}, codes, "the period's sales, oldest first")
	require.Equal(t, "HOST20", ov.Sales[0].PromoCode)
	require.Equal(t, skranke.Money(19800), ov.Sales[0].Discount)
	require.Equal(t, promo.Total(), ov.Sales[0].Total)
	require.Equal(t, "none", ov.Sales[0].DeliveryState())
	require.Equal(t, "partly", ov.Sales[1].DeliveryState())
	require.Equal(t, credited.Total(), ov.Sales[3].Credited)
	require.Equal(t, desksync.SalesTotal{Count: 2, Amount: promo.Total() + partly.Total(), Discount: 19800}, ov.ByStatus[skranke.Captured])
	require.Equal(t, 1, ov.ByStatus[skranke.Pending].Count)
	require.Equal(t, credited.Total(), ov.ByStatus[skranke.Credited].Credited)

	// A hand-over waiting in the outbox counts.
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: promo.Code, Staff: skranke.Staff{ID: "s1"}, Signature: signaturePNG(t)})
	require.NoError(t, err)
	ov, err = d.Sales(ctx, day, day.AddDate(0, 0, 1))
	require.NoError(t, err)
	require.Equal(t, "all", ov.Sales[0].DeliveryState())
}
