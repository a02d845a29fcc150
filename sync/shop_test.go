package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

var (
	kari   = skranke.Staff{ID: shop.DemoStaffID, Name: "Kari Nordmann", Role: skranke.RoleStaff}
	ingrid = skranke.Staff{ID: shop.DemoManagerID, Name: "Ingrid Solbakken", Role: skranke.RoleManager}
)

// newPurchase creates a paid purchase of a course and two shakers in the web shop.
func newPurchase(srv *shoptest.Server) *skranke.Purchase {
	return newPurchaseWith(srv, skranke.Captured)
}

func newPurchaseWith(srv *shoptest.Server, status skranke.PaymentStatus) *skranke.Purchase {
	return srv.CreatePurchase(skranke.Purchase{
		Buyer:  skranke.Buyer{Name: "Nora Fjeld", Email: "nora@example.no"},
		Status: status, Acquirer: "nets",
		Lines: []skranke.Line{{ProductID: "kurs-spinning-10", Quantity: 1}, {ProductID: "shaker", Quantity: 2}},
	})
}

func runLoop(t *testing.T, d *desksync.Desk) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func TestOnlineLookupDeliverAndReport(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	p := newPurchase(srv)

	l, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.False(t, l.FromCache)
	require.Equal(t, "Nora Fjeld", l.Purchase.Buyer.Name)
	require.True(t, d.Status().Online)

	sig := signaturePNG(t)
	del, got, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Signature: sig})
	require.NoError(t, err)
	require.True(t, got.FullyDelivered())
	require.Equal(t, 0, d.Status().Pending)

	onServer := srv.Deliveries(p.Code)
	require.Len(t, onServer, 1)
	require.Equal(t, del.ID, onServer[0].ID)
	require.Equal(t, del.SignatureID, onServer[0].SignatureID)
	png, err := d.Client().Signature(ctx, del.SignatureID, srv.OpenSession("", ingrid.ID))
	require.NoError(t, err)
	require.Equal(t, sig, png)

	acts, err := d.Activities(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	acts = actsFor(acts, p.Code)
	require.Len(t, acts, 1)
	require.True(t, acts[0].Synced)
	require.Equal(t, "Kari Nordmann", acts[0].StaffName)
	require.Equal(t, skranke.Money(149000+2*14900), acts[0].Amount)

	// Everything is handed over now: the desk says so without asking.
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari})
	require.True(t, skranke.KindOf(err) == skranke.Conflict, "%v", err)
}

func TestServerRefusalsReachStaff(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	other := desksync.NewClient(srv.URL, shop.DemoDesk2Token, desksync.ClientOptions{})

	// Another desk hands over the course after this desk looked the purchase up.
	p := newPurchase(srv)
	_, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	_, err = other.Deliver(ctx, p.Code, srv.OpenSession(shop.DemoDesk2Token, shop.DemoStaff2ID), desksync.DeliveryBody{ID: newID(), Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err)
	_, cur, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.True(t, skranke.KindOf(err) == skranke.Conflict, "%v", err)
	require.Equal(t, 1, cur.Lines[0].Delivered, "the refusal carries the shop's state")
	require.Equal(t, 0, d.Status().Pending)
	conflicts, err := d.Conflicts(ctx)
	require.NoError(t, err)
	require.Empty(t, conflicts, "staff heard of it at once; no manager needed")

	// The acquirer cancels a purchase this desk still thinks is paid.
	p2 := newPurchaseWith(srv, skranke.Authorized)
	_, err = d.Lookup(ctx, p2.Code)
	require.NoError(t, err)
	srv.Notify(p2.Code, skranke.Cancelled)
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p2.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.True(t, skranke.KindOf(err) == skranke.NotPayable, "%v", err)
	require.Empty(t, srv.Deliveries(p2.Code))
	acts, err := d.Activities(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	for _, a := range acts {
		require.NotEqual(t, p2.Code, a.Code, "a refused delivery is not in the report")
	}
}

func TestOfflineDeliveriesSyncWhenShopReturns(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	interval := 200 * time.Millisecond
	p := newPurchase(srv)
	runLoop(t, d)
	eventually(t, 5*time.Second, "first sync", func() bool {
		_, err := d.Cached(ctx, p.Code)
		return err == nil && !d.Status().LastSync.IsZero()
	})

	srv.Stop()
	l, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.True(t, l.FromCache)
	del, got, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari,
		Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}, Signature: signaturePNG(t)})
	require.NoError(t, err)
	require.Equal(t, 1, got.Lines[1].Delivered)
	l, err = d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.Len(t, l.Pending, 1)
	eventually(t, 5*time.Second, "desk notices it is offline", func() bool {
		s := d.Status()
		return !s.Online && s.Pending == 1 && s.LastError != ""
	})

	srv.Restart()
	back := time.Now()
	p2 := newPurchase(srv) // Sold online while the desk was cut off.
	eventually(t, 2*interval+time.Second, "sync after the shop returned", func() bool {
		s := d.Status()
		_, err := d.Cached(ctx, p2.Code)
		return s.Pending == 0 && err == nil
	})
	t.Logf("synced %v after the shop returned", time.Since(back))
	onServer := srv.Deliveries(p.Code)
	require.Len(t, onServer, 1)
	require.Equal(t, del.ID, onServer[0].ID)
	require.NotEmpty(t, onServer[0].SignatureID)
	l, err = d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.Empty(t, l.Pending)
	require.Equal(t, 1, l.Purchase.Lines[1].Delivered, "not counted twice")
	acts, err := d.Activities(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	acts = actsFor(acts, p.Code)
	require.Len(t, acts, 1)
	require.True(t, acts[0].Synced)
}

func TestRefusedAfterSyncGoesToManager(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	p := newPurchase(srv)
	_, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)

	srv.Stop()
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err)
	srv.Restart()
	other := desksync.NewClient(srv.URL, shop.DemoDesk2Token, desksync.ClientOptions{})
	_, err = other.Deliver(ctx, p.Code, srv.OpenSession(shop.DemoDesk2Token, shop.DemoStaff2ID), desksync.DeliveryBody{ID: newID(), Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err)

	require.NoError(t, d.Sync(ctx), "a refusal is not a sync failure")
	s := d.Status()
	require.Equal(t, 0, s.Pending)
	require.Equal(t, 1, s.Conflicts)
	cs, err := d.Conflicts(ctx)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, "delivery", cs[0].Kind)
	require.Contains(t, cs[0].Summary, p.Code)
	require.Contains(t, cs[0].Reason, "remain")
	require.Equal(t, kari.ID, cs[0].StaffID)

	// Retrying does not help while the course is handed over already.
	require.NoError(t, d.Retry(ctx, cs[0].ID))
	require.NoError(t, d.Sync(ctx))
	require.Equal(t, 1, d.Status().Conflicts)

	require.True(t, skranke.KindOf(d.Discard(ctx, cs[0].ID, "given twice by mistake", kari)) == skranke.Forbidden)
	require.NoError(t, d.Discard(ctx, cs[0].ID, "given twice by mistake", ingrid))
	require.Equal(t, 0, d.Status().Conflicts)
	require.Len(t, srv.Deliveries(p.Code), 1)
}

func TestGiftCardRedeemAndCredit(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	card := srv.IssueCard(50000)

	cl, err := d.Card(ctx, card.Code)
	require.NoError(t, err)
	require.False(t, cl.FromCache)
	require.Equal(t, skranke.Money(50000), cl.Card.Balance)

	// The first answer is lost after the shop committed: the resend must not use the card twice.
	srv.DropResponses(1)
	res, err := d.Redeem(ctx, card.Code, 20000, kari)
	require.NoError(t, err)
	require.NotNil(t, res.Remainder)
	require.Equal(t, skranke.Money(30000), res.Remainder.Balance)
	require.Equal(t, skranke.CardVoided, srv.Card(card.Code).Status)
	require.Equal(t, skranke.Money(30000), srv.Card(res.Remainder.Code).Balance)

	srv.Stop()
	cl, err = d.Card(ctx, res.Remainder.Code)
	require.NoError(t, err)
	require.True(t, cl.FromCache)
	require.Equal(t, skranke.Money(30000), cl.Card.Balance)
	require.Len(t, cl.Chain, 2)
	require.Len(t, cl.Redemptions, 1)
	_, err = d.Redeem(ctx, res.Remainder.Code, 100, kari)
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	srv.Restart()

	p := newPurchase(srv)
	_, err = d.Credit(ctx, p.Code, desksync.CreditOrder{Amount: 14900, Reason: "shaker was broken"}, ingrid)
	require.NoError(t, err)
	require.Len(t, srv.Purchase(p.Code).Credits, 1)
	_, err = d.Credit(ctx, p.Code, desksync.CreditOrder{Amount: 1_000_000, Reason: "too much"}, ingrid)
	require.Error(t, err)
	require.False(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)

	acts, err := d.Activities(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, a := range actsFor(acts, card.Code, p.Code) {
		kinds[a.Kind]++
		require.True(t, a.Synced)
	}
	require.Equal(t, map[string]int{"redemption": 1, "credit": 1}, kinds)
}

func TestStaffAndLogin(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	staff, err := d.Staff(ctx)
	require.NoError(t, err)
	require.Len(t, staff, 4, "only the desk's own centre")
	info, centre, err := d.DeskInfo(ctx)
	require.NoError(t, err)
	require.Equal(t, shop.DemoDeskID, info.ID)
	require.Equal(t, shop.DemoCentreID, centre.ID)

	for _, s := range staff {
		require.Empty(t, s.PINHash+s.PINSalt, "nothing derived from a PIN reaches the desk")
	}
	_, err = d.Login(ctx, shop.DemoManagerID, "123456")
	require.True(t, skranke.KindOf(err) == skranke.Unauthorized, "the shop checks the PIN: %v", err)

	srv.Stop()
	s, err := d.Login(ctx, shop.DemoManagerID, shop.DemoManagerPIN)
	require.NoError(t, err, "logged in online at this desk before (MustOpenShop)")
	require.Equal(t, skranke.RoleManager, s.Role)
	_, err = d.Login(ctx, shop.DemoManagerID, "123456")
	require.True(t, skranke.KindOf(err) == skranke.Unauthorized, "%v", err)
	info, _, err = d.DeskInfo(ctx)
	require.NoError(t, err, "desk info is cached")
	require.Equal(t, shop.DemoDeskID, info.ID)
}

func TestChangesFeedPagesAndResumes(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t, shoptest.WithBulk(2500))
	d := MustOpenShop(t, srv)
	require.NoError(t, d.Sync(ctx))
	cur, err := d.Cursor(ctx)
	require.NoError(t, err)
	require.Positive(t, cur)

	p := newPurchaseWith(srv, skranke.Authorized)
	srv.Notify(p.Code, skranke.Cancelled)
	require.NoError(t, d.Sync(ctx))
	l, err := d.Cached(ctx, p.Code)
	require.NoError(t, err)
	require.Equal(t, skranke.Cancelled, l.Purchase.Status, "the newest state wins")
	next, err := d.Cursor(ctx)
	require.NoError(t, err)
	require.Greater(t, next, cur)

	// The other centre's purchases never reach this desk.
	otherDesk := MustOpen(t, srv.URL, shop.DemoOtherDeskToken)
	require.NoError(t, otherDesk.Sync(ctx))
	_, err = otherDesk.Cached(ctx, p.Code)
	require.True(t, skranke.KindOf(err) == skranke.NotFound, "%v", err)
}

func TestClientErrorKinds(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	cl := desksync.NewClient(srv.URL, srv.DeskToken, desksync.ClientOptions{Timeout: time.Second})

	_, _, err := cl.Purchase(ctx, skranke.NewReference())
	require.True(t, skranke.KindOf(err) == skranke.NotFound, "%v", err)
	_, _, err = cl.Purchase(ctx, "NOSUCHCODE")
	require.True(t, skranke.KindOf(err) == skranke.Invalid, "%v", err)
	bad := desksync.NewClient(srv.URL, "wrong-token", desksync.ClientOptions{})
	_, _, err = bad.Purchase(ctx, "NOSUCHCODE")
	require.True(t, skranke.KindOf(err) == skranke.Unauthorized, "%v", err)

	p := newPurchaseWith(srv, skranke.Authorized)
	id := newID()
	ks := srv.OpenSession("", kari.ID)
	_, err = cl.Deliver(ctx, p.Code, ks, desksync.DeliveryBody{ID: id, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err)
	// The same key with another body is a conflict, not a second delivery.
	_, err = cl.Deliver(ctx, p.Code, ks, desksync.DeliveryBody{ID: id, Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}})
	require.True(t, skranke.KindOf(err) == skranke.Conflict, "%v", err)
	_, err = cl.Deliver(ctx, p.Code, ks, desksync.DeliveryBody{ID: newID(), Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.True(t, skranke.KindOf(err) == skranke.Conflict, "%v", err)
	var se *desksync.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 409, se.Status)
	require.NotNil(t, se.Purchase)

	srv.Notify(p.Code, skranke.Cancelled)
	_, err = cl.Deliver(ctx, p.Code, ks, desksync.DeliveryBody{ID: newID(), Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}})
	require.True(t, skranke.KindOf(err) == skranke.NotPayable, "%v", err)
	require.Len(t, srv.Deliveries(p.Code), 1)

	srv.Stop()
	_, _, err = cl.Purchase(ctx, p.Code)
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	require.Contains(t, err.Error(), "refused")
}

func TestActivitiesIncludeOtherDesksAndWorkOffline(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	other := desksync.NewClient(srv.URL, shop.DemoDesk2Token, desksync.ClientOptions{})
	card := srv.IssueCard(30000)
	p := newPurchase(srv)
	_, err := other.Redeem(ctx, card.Code, srv.OpenSession(shop.DemoDesk2Token, shop.DemoStaff2ID), desksync.RedemptionBody{ID: newID(), Amount: 30000})
	require.NoError(t, err)
	sigID := newID()
	require.NoError(t, other.PutSignature(ctx, sigID, "", signaturePNG(t)))
	_, err = other.Deliver(ctx, p.Code, srv.OpenSession(shop.DemoDesk2Token, shop.DemoStaff2ID), desksync.DeliveryBody{ID: newID(), SignatureID: sigID})
	require.NoError(t, err)
	require.NoError(t, d.Sync(ctx))

	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	acts, err := d.Activities(ctx, from, to)
	require.NoError(t, err)
	acts = actsFor(acts, card.Code, p.Code)
	require.Len(t, acts, 2)
	for _, a := range acts {
		require.True(t, a.Synced)
		require.Equal(t, "Jonas Brække", a.StaffName)
	}

	srv.Stop()
	offline, err := d.Activities(ctx, from, to)
	require.NoError(t, err)
	require.Equal(t, acts, actsFor(offline, card.Code, p.Code))
}

func TestSubscribeSyncNowAndClose(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: t.TempDir(),
		SyncInterval: time.Hour, Timeout: time.Second})
	require.NoError(t, err)
	ch, cancel := d.Subscribe()
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- d.Run(ctx) }()

	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after the first sync")
	}
	eventually(t, 5*time.Second, "first sync", func() bool { return !d.Status().LastSync.IsZero() })

	// With an hour between syncs, only SyncNow brings a new purchase.
	p := newPurchase(srv)
	d.SyncNow()
	eventually(t, 5*time.Second, "SyncNow pulls", func() bool {
		_, err := d.Cached(ctx, p.Code)
		return err == nil
	})

	// A delivery notifies subscribers.
	for len(ch) > 0 {
		<-ch
	}
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err)
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after a delivery")
	}

	require.NoError(t, d.Close())
	select {
	case err := <-runDone:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when the desk closed")
	}
}

func TestPruneKeepsWhatIsNotSettled(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpenShop(t, srv)
	p := newPurchase(srv)
	_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
	require.NoError(t, err)
	srv.Stop()
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}, Signature: signaturePNG(t)})
	require.NoError(t, err)

	n, err := d.PruneForTest(ctx, time.Now().Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "only the delivery the shop accepted")
	states, err := d.OutboxStatesForTest(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"pending": 2}, states, "the offline delivery and its signature stay")
}
