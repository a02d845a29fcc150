package sync_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// shopWait bounds the wait for the shop to have what the desk sent.
const shopWait = 15 * time.Second

// requireStorageFull checks that err says the desk's disk is full, as a
// failure of kind Internal that carries a *desksync.StorageError.
func requireStorageFull(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.True(t, skranke.KindOf(err) == skranke.Internal, "kind %v: %v", skranke.KindOf(err), err)
	var se *desksync.StorageError
	require.True(t, errors.As(err, &se), "no StorageError in %v", err)
	require.True(t, se.Full, "%v", err)
	require.Contains(t, err.Error(), "disk is full")
}

// Every desk action on a full disk fails as StorageError, having stored
// nothing and sent nothing to the shop; once there is room again it works.
func TestEveryActionOnAFullDisk(t *testing.T) {
	ctx := context.Background()
	// state is what the desk stored and the shop holds.
	type state struct {
		outbox                         map[string]int
		deliveries, credits, reversals int
		balance                        skranke.Money // Of the card used, if any.
	}
	var card *skranke.Card // Issued by the gift card case.
	for _, tc := range []struct {
		name string
		// prepare runs before the disk fills; the action it returns
		// fails on the full disk and works after.
		prepare func(t *testing.T, srv *shoptest.Server, d *desksync.Desk, p *skranke.Purchase) func() error
	}{
		{"delivery", func(t *testing.T, srv *shoptest.Server, d *desksync.Desk, p *skranke.Purchase) func() error {
			return func() error {
				_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
				return err
			}
		}},
		{"delivery with signature", func(t *testing.T, srv *shoptest.Server, d *desksync.Desk, p *skranke.Purchase) func() error {
			return func() error {
				_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Signature: signaturePNG(t),
					Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}})
				return err
			}
		}},
		{"gift card use", func(t *testing.T, srv *shoptest.Server, d *desksync.Desk, p *skranke.Purchase) func() error {
			card = srv.IssueCard(50000)
			return func() error {
				_, err := d.Redeem(ctx, card.Code, 15000, kari)
				return err
			}
		}},
		{"credit", func(t *testing.T, srv *shoptest.Server, d *desksync.Desk, p *skranke.Purchase) func() error {
			return func() error {
				_, err := d.Credit(ctx, p.Code, desksync.CreditOrder{Amount: 10000, Reason: "Knust"}, ingrid)
				return err
			}
		}},
		{"undo", func(t *testing.T, srv *shoptest.Server, d *desksync.Desk, p *skranke.Purchase) func() error {
			del, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
			require.NoError(t, err)
			eventually(t, shopWait, "the delivery reached the shop", func() bool { return len(srv.Deliveries(p.Code)) == 1 })
			return func() error {
				_, _, err := d.Undo(ctx, desksync.UndoRequest{Code: p.Code, DeliveryID: del.ID, Staff: kari})
				return err
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := shoptest.Start(t)
			d := MustOpenShop(t, srv)
			p := newPurchase(srv)
			_, err := d.Lookup(ctx, p.Code)
			require.NoError(t, err)
			card = nil
			act := tc.prepare(t, srv, d, p)
			now := func() state {
				sp := srv.Purchase(p.Code)
				s := state{deliveries: len(sp.Deliveries), credits: len(sp.Credits), reversals: len(sp.Reversals)}
				if card != nil {
					s.balance = srv.Card(card.Code).Balance
				}
				s.outbox, err = d.OutboxStatesForTest(ctx)
				require.NoError(t, err)
				return s
			}
			before := now()
			pending := d.Status().Pending

			require.NoError(t, d.FillStoreForTest(ctx))
			requireStorageFull(t, act())
			require.Equal(t, before, now(), "nothing stored on the desk, nothing sent to the shop")
			require.Equal(t, pending, d.Status().Pending)

			require.NoError(t, d.FreeStoreForTest(ctx))
			require.NoError(t, act(), "with room again, the action works")
			after := now()
			require.NotEqual(t, before, after, "the action was done")
		})
	}
}

// A real file system that is full (a small tmpfs; needs root): a delivery
// fails as StorageError, stores nothing and sends nothing, and goes
// through once space is freed.
func TestDeliveryOnARealFullDisk(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "full")
	require.NoError(t, os.Mkdir(dir, 0o700))
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	srv := shoptest.Start(t)
	d, err := desksync.Open(ctx, desksync.Config{BaseURL: srv.URL, Token: srv.DeskToken, DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() }) // Before the unmount.
	p := newPurchase(srv)
	_, err = d.Lookup(ctx, p.Code)
	require.NoError(t, err)

	// Empty the WAL, as after a restart: SQLite writes into a WAL's old
	// space again, so only a desk whose WAL must grow sees the full disk
	// at once.
	require.NoError(t, d.TruncateWALForTest(ctx))
	filler := filepath.Join(dir, "filler")
	fill(t, filler)

	deliver := func() error {
		_, _, err := d.Deliver(ctx, desksync.DeliverRequest{Code: p.Code, Staff: kari, Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}})
		return err
	}
	requireStorageFull(t, deliver())
	states, err := d.OutboxStatesForTest(ctx)
	require.NoError(t, err)
	require.Empty(t, states, "nothing queued")
	require.Empty(t, srv.Deliveries(p.Code), "nothing sent")

	require.NoError(t, os.Remove(filler))
	require.NoError(t, deliver())
	eventually(t, shopWait, "the delivery reached the shop", func() bool { return len(srv.Deliveries(p.Code)) == 1 })
}

// fill writes path until the file system has no room left.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	for _, size := range []int{1 << 20, 4096, 1} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				require.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
				break
			}
		}
	}
}
