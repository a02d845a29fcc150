package sync_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

func TestOpenMigratesAndReopens(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: deadAddr(t), DataDir: dir})
	require.NoError(t, err)
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{testPurchase("AAAA1", 1)}, nil, nil))
	require.NoError(t, d.Close())

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile))
	require.NoError(t, err)
	var v int
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&v))
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, desksync.SchemaVersion(), v)
	require.Equal(t, "wal", mode)
	var pageSize int
	require.NoError(t, db.QueryRow("PRAGMA page_size").Scan(&pageSize))
	require.Equal(t, 8192, pageSize, "the page size asked for before WAL took effect")
	require.NoError(t, db.Close())

	d = MustOpenDir(t, dir, deadAddr(t), "")
	l, err := d.Cached(ctx, "AAAA1")
	require.NoError(t, err)
	require.Equal(t, "Kari Nordmann", l.Purchase.Buyer.Name)
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile))
	require.NoError(t, err)
	_, err = db.Exec("PRAGMA user_version = 999")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = desksync.Open(context.Background(), desksync.Config{DataDir: dir})
	require.Error(t, err)
	require.Contains(t, err.Error(), "newer")
	require.True(t, skranke.KindOf(err) == skranke.Internal)
}

func TestOfflineLookupAnswersFromCache(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "tok")
	p := testPurchase("ABCD2345", 7)
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{p}, nil, nil))

	l, err := d.Lookup(ctx, "abcd-2345")
	require.NoError(t, err)
	require.True(t, l.FromCache)
	require.False(t, l.CachedAt.IsZero())
	require.Equal(t, p.Lines, l.Purchase.Lines)
	require.False(t, d.Status().Online)

	_, err = d.Lookup(ctx, "ZZZZ9999")
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	require.Contains(t, err.Error(), "not on this desk")
}

func TestOfflineDeliveryIsQueuedAndShown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := MustOpenDir(t, dir, deadAddr(t), "tok")
	p := testPurchase("ABCD2345", 7)
	staff := skranke.Staff{ID: "s1", Name: "Ola", Role: skranke.RoleStaff}
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{p}, nil, nil))

	// Physical goods need a signature.
	_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: staff})
	require.True(t, skranke.KindOf(err) == skranke.Invalid, "%v", err)

	del, got, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: staff,
		Lines: []skranke.DeliveredLine{{LineID: "l2", Quantity: 1}}, Signature: signaturePNG(t)})
	require.NoError(t, err)
	require.NotEmpty(t, del.ID)
	require.NotEmpty(t, del.SignatureID)
	require.Equal(t, 1, got.Lines[1].Delivered)

	// Over-delivery is refused on the desk already.
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: staff,
		Lines: []skranke.DeliveredLine{{LineID: "l2", Quantity: 2}}, Signature: signaturePNG(t)})
	require.True(t, skranke.KindOf(err) == skranke.Conflict, "%v", err)

	l, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.True(t, l.FromCache)
	require.Len(t, l.Pending, 1)
	require.Equal(t, del.ID, l.Pending[0].ID)
	require.Equal(t, 1, l.Purchase.Lines[1].Delivered)
	require.Equal(t, 1, d.Status().Pending)

	sig, err := d.Signature(ctx, del.SignatureID)
	require.NoError(t, err)
	require.Equal(t, signaturePNG(t), sig)

	acts, err := d.Activities(ctx, del.At.Add(-time.Minute), del.At.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, acts, 1)
	require.Equal(t, "delivery", acts[0].Kind)
	require.False(t, acts[0].Synced)
	require.Equal(t, []string{"1 × Drikkeflaske"}, acts[0].Products)
	require.Equal(t, skranke.Money(14950), acts[0].Amount)
	require.Equal(t, "Kari Nordmann", acts[0].Buyer)

	// It survives a restart of the desk.
	require.NoError(t, d.Close())
	d = MustOpenDir(t, dir, deadAddr(t), "tok")
	require.Equal(t, 1, d.Status().Pending)
	l, err = d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.Len(t, l.Pending, 1)
}

func TestDeliverRefusesUnpaid(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "tok")
	p := testPurchase("PEND1234", 3)
	p.Status = skranke.Pending
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{p}, nil, nil))
	_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: skranke.Staff{ID: "s1"},
		Lines: []skranke.DeliveredLine{{LineID: "l1", Quantity: 1}}})
	require.True(t, skranke.KindOf(err) == skranke.NotPayable, "%v", err)
	require.Equal(t, 0, d.Status().Pending)
}

func TestFullDiskKeepsWhatWasStored(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "tok")
	p := testPurchase("FUZZ2345", 3)
	staff := skranke.Staff{ID: "s1", Name: "Ola"}
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{p}, nil, nil))
	_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: staff, Lines: []skranke.DeliveredLine{{LineID: "l1", Quantity: 1}}})
	require.NoError(t, err)

	require.NoError(t, d.FillDiskForTest(ctx))
	big := make([]*skranke.Purchase, 0, 200)
	for i := range 200 {
		big = append(big, testPurchase(code(i), int64(10+i)))
	}
	err = d.CacheForTest(ctx, big, nil, nil)
	require.Error(t, err)
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: staff,
		Lines: []skranke.DeliveredLine{{LineID: "l2", Quantity: 2}}, Signature: make([]byte, 0)})
	// A signature is missing: refused before touching the disk.
	require.True(t, skranke.KindOf(err) == skranke.Invalid, "%v", err)
	sig := signaturePNG(t)
	pad := make([]byte, 200<<10) // A large signature needs new pages.
	_, _, err = d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: staff,
		Lines: []skranke.DeliveredLine{{LineID: "l2", Quantity: 2}}, Signature: append(sig, pad...)})
	require.Error(t, err)
	require.True(t, skranke.KindOf(err) == skranke.Internal, "%v", err)
	require.Contains(t, err.Error(), "disk is full")

	// What was stored before is intact, and the failed delivery left nothing.
	l, err := d.Lookup(ctx, p.Code)
	require.NoError(t, err)
	require.Len(t, l.Pending, 1)
	require.Equal(t, 1, d.Status().Pending)
	require.Equal(t, 0, l.Purchase.Lines[1].Delivered)
}

func TestOfflineCardAndRedeem(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "tok")
	now := time.Now().UTC()
	parent := &skranke.Card{Code: "GPARENT1", InitialAmount: 50000, Balance: 0, Status: skranke.CardVoided,
		RemainderCode: "GCHXPD01", IssuedAt: now, ExpiresAt: now.AddDate(1, 0, 0), Seq: 1}
	child := &skranke.Card{Code: "GCHXPD01", InitialAmount: 20000, Balance: 20000, Status: skranke.CardActive,
		ParentCode: "GPARENT1", IssuedAt: now, ExpiresAt: now.AddDate(1, 0, 0), Seq: 2}
	require.NoError(t, d.CacheForTest(ctx, nil, []*skranke.Card{parent, child}, nil))

	cl, err := d.Card(ctx, "GCHXPD01")
	require.NoError(t, err)
	require.True(t, cl.FromCache)
	require.Equal(t, skranke.Money(20000), cl.Card.Balance)
	require.Len(t, cl.Chain, 2)
	require.Equal(t, "GPARENT1", cl.Chain[0].Code)

	_, err = d.Redeem(ctx, "GCHXPD01", 5000, skranke.Staff{ID: "s1"})
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	require.Contains(t, err.Error(), "only be used while the shop is reachable")

	_, err = d.Credit(ctx, "ABCD", desksync.CreditOrder{Amount: 100, Reason: "damaged"}, skranke.Staff{ID: "s1", Role: skranke.RoleStaff})
	require.True(t, skranke.KindOf(err) == skranke.Forbidden, "%v", err)
	_, err = d.Credit(ctx, "ABCD", desksync.CreditOrder{Amount: 100, Reason: "damaged"}, skranke.Staff{ID: "m1", Role: skranke.RoleManager})
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
	require.Equal(t, 0, d.Status().Pending)
}

// An older shop sent PIN digests and older desks cached them: they must not
// let anyone log in offline, and the cache no longer keeps them.
func TestOfflineLoginIgnoresShopDigests(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "tok")
	salt := "00112233445566778899aabbccddeeff"
	hash, err := skranke.HashPIN("4711", salt)
	require.NoError(t, err)
	require.NoError(t, d.CacheForTest(ctx, nil, nil, []skranke.Staff{{ID: "s1", Name: "Ola", Role: skranke.RoleManager, PINSalt: salt, PINHash: hash}}))

	_, err = d.Login(ctx, "s1", "4711")
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "no offline login from the shop's digest: %v", err)
	require.Contains(t, err.Error(), "has not logged in at this desk")
	_, err = d.Login(ctx, "nobody", "4711")
	require.True(t, skranke.KindOf(err) == skranke.Unavailable, "%v", err)
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	limit := 2 * time.Second
	seen := map[time.Duration]bool{}
	for n := 1; n <= 20; n++ {
		for range 20 {
			b := desksync.Backoff(n, limit)
			require.LessOrEqual(t, b, limit)
			require.Greater(t, b, time.Duration(0))
			seen[b] = true
		}
	}
	require.Greater(t, len(seen), 20, "backoff has no jitter")
	require.Less(t, desksync.Backoff(1, limit), 300*time.Millisecond)
	require.GreaterOrEqual(t, desksync.Backoff(10, limit), limit/2)
}

// mustNewCacheDB opens, as a plain database, the cache file of a new desk
// (all migrations run, no rows), for checking query plans.
func mustNewCacheDB(t *testing.T) *sql.DB {
	t.Helper()
	dir := t.TempDir()
	d := MustOpenDir(t, dir, deadAddr(t), "")
	require.NoError(t, d.Close())
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, desksync.CacheFile))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestLookupByCodeUsesTheKeyIndex(t *testing.T) {
	db := mustNewCacheDB(t)
	for _, q := range desksync.LookupQueries {
		var id, parent, notused int
		var detail string
		require.NoError(t, db.QueryRow("EXPLAIN QUERY PLAN "+q, "X").Scan(&id, &parent, &notused, &detail))
		require.Contains(t, detail, "USING INDEX sqlite_autoindex_", q)
		require.Contains(t, detail, "(code=?)", q)
	}
}

func TestConcurrentDeliveriesNeverOverDeliver(t *testing.T) {
	ctx := context.Background()
	d := MustOpen(t, deadAddr(t), "tok")
	p := testPurchase("RACE2345", 3)
	require.NoError(t, d.CacheForTest(ctx, []*skranke.Purchase{p}, nil, nil))
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: skranke.Staff{ID: "s1"},
				Lines: []skranke.DeliveredLine{{LineID: "l1", Quantity: 1}}})
			errs <- err
		}()
	}
	ok := 0
	for range 4 {
		if err := <-errs; err == nil {
			ok++
		} else {
			require.True(t, skranke.KindOf(err) == skranke.Conflict, "%v", err)
		}
	}
	require.Equal(t, 1, ok, "one course, handed over once")
	require.Equal(t, 1, d.Status().Pending)
}
