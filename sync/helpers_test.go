package sync_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// deadAddr returns a loopback URL where nothing listens.
func deadAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// MustOpen opens a desk on a fresh data directory, talking to baseURL.
func MustOpen(tb testing.TB, baseURL, token string) *desksync.Desk {
	tb.Helper()
	return MustOpenDir(tb, tb.TempDir(), baseURL, token)
}

// MustOpenDir opens a desk on dir, closed when the test ends.
func MustOpenDir(tb testing.TB, dir, baseURL, token string) *desksync.Desk {
	tb.Helper()
	d, err := desksync.Open(context.Background(), desksync.Config{
		BaseURL: baseURL, Token: token, DataDir: dir,
		SyncInterval: 200 * time.Millisecond, Timeout: 1500 * time.Millisecond,
	})
	require.NoError(tb, err)
	tb.Cleanup(func() { d.Close() })
	return d
}

// MustOpenShop opens a desk on a fresh data directory, talking to srv, and
// logs Kari (staff) and Ingrid (manager) in there, so that their actions
// carry staff sessions.
func MustOpenShop(tb testing.TB, srv *shoptest.Server) *desksync.Desk {
	tb.Helper()
	d := MustOpen(tb, srv.URL, srv.DeskToken)
	mustLogin(tb, d, kari.ID)
	mustLogin(tb, d, ingrid.ID)
	return d
}

// testPurchase is a paid purchase with a service line and a physical line.
func testPurchase(code string, seq int64) *skranke.Purchase {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	return &skranke.Purchase{
		Code: code, CentreID: "c1", Buyer: skranke.Buyer{Name: "Kari Nordmann", Email: "kari@example.no"},
		Status: skranke.Captured, Acquirer: "nets",
		Lines: []skranke.Line{
			{ID: "l1", ProductID: "p1", Name: "10-klippekort", Kind: skranke.Service, Quantity: 1, UnitPrice: 99000, VATRate: 25},
			{ID: "l2", ProductID: "p2", Name: "Drikkeflaske", Kind: skranke.Physical, Quantity: 2, UnitPrice: 14950, VATRate: 25},
		},
		CreatedAt: now, UpdatedAt: now, Seq: seq,
	}
}

// signaturePNG draws a small signature-like PNG.
func signaturePNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 120, 40))
	for x := 10; x < 110; x++ {
		img.SetGray(x, 20+(x%7)-3, color.Gray{})
	}
	var buf bytes.Buffer
	require.NoError(tb, png.Encode(&buf, img))
	return buf.Bytes()
}

// eventually polls cond until it holds or the deadline passes.
func eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func code(i int) string { return fmt.Sprintf("T%07d", i) }

func newID() string { return uuid.NewString() }

// actsFor keeps the activities on the given codes: the demo shop has
// activity of its own.
func actsFor(acts []desksync.Activity, codes ...string) []desksync.Activity {
	var out []desksync.Activity
	for _, a := range acts {
		for _, c := range codes {
			if a.Code == c {
				out = append(out, a)
			}
		}
	}
	return out
}
