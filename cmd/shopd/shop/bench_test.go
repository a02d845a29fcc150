package shop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

const benchPurchases = 100_000

// BenchmarkChangesFullSync measures a desk's first sync: all 100,000
// purchases of a centre through GET /changes over loopback, in pages of
// 1000, decoded into skranke.Purchase as a desk does; gzip-compressed, as
// Go clients ask by default, and uncompressed.
func BenchmarkChangesFullSync(b *testing.B) {
	srv := shoptest.Start(b, shoptest.WithBulk(benchPurchases))
	for _, gz := range []bool{true, false} {
		b.Run(map[bool]string{true: "gzip", false: "identity"}[gz], func(b *testing.B) {
			var wire atomic.Int64
			dialer := &net.Dialer{}
			hc := &http.Client{Transport: &http.Transport{DisableCompression: !gz,
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					c, err := dialer.DialContext(ctx, network, addr)
					return countingConn{c, &wire}, err
				}}}
			fullSync(b, srv, hc, &wire)
		})
	}
}

// countingConn counts the bytes a client reads off the wire.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func fullSync(b *testing.B, srv *shoptest.Server, hc *http.Client, wire *atomic.Int64) {
	b.ResetTimer()
	wire.Store(0)
	total := 0
	for b.Loop() {
		since := int64(0)
		for {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s%s/changes?since=%d&limit=1000", srv.URL, shop.APIPrefix, since), nil)
			req.Header.Set("Authorization", "Bearer "+srv.DeskToken)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("status %d: %v", resp.StatusCode, err)
			}
			var p page
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
			total += len(p.Purchases)
			if !p.More {
				break
			}
			since = p.Next
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "purchases/s")
	b.ReportMetric(float64(wire.Load())/float64(total), "wireB/purchase")
}

// BenchmarkChangesRaw is BenchmarkChangesFullSync/identity without the
// client's decoding into structs: what the server and the wire alone cost.
func BenchmarkChangesRaw(b *testing.B) {
	srv := shoptest.Start(b, shoptest.WithBulk(benchPurchases))
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	b.ResetTimer()
	total := 0
	for b.Loop() {
		since := int64(0)
		for {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s%s/changes?since=%d&limit=1000", srv.URL, shop.APIPrefix, since), nil)
			req.Header.Set("Authorization", "Bearer "+srv.DeskToken)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var p struct {
				Purchases []json.RawMessage
				Next      int64
				More      bool
			}
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			total += len(p.Purchases)
			if !p.More {
				break
			}
			since = p.Next
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "purchases/s")
}

// BenchmarkChangesIncremental measures a desk's routine sync: one page
// holding the few purchases changed since its cursor, in a shop of 100,000.
func BenchmarkChangesIncremental(b *testing.B) {
	srv := shoptest.Start(b, shoptest.WithBulk(benchPurchases))
	c := newClient(b, srv)
	var head page
	since := int64(0)
	for {
		c.get(fmt.Sprintf("/changes?since=%d&limit=1000", since)).decode(b, &head)
		if !head.More {
			break
		}
		since = head.Next
	}
	// Ten purchases change.
	changed := 0
	for _, x := range head.Purchases {
		if changed < 10 && x.Status.Deliverable() {
			wantStatus(b, c.post("/purchases/"+x.Code+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()}), http.StatusCreated)
			changed++
		}
	}
	b.ResetTimer()
	for b.Loop() {
		var q page
		c.get(fmt.Sprintf("/changes?since=%d&limit=1000", head.Next)).decode(b, &q)
		if len(q.Purchases) != 10 {
			b.Fatal("no changes")
		}
	}
}

// BenchmarkChangesPage measures what the server spends on one gzipped page
// of 100 changes, called without the network, so that its allocations are
// the handler's alone: a page of about 60 KB compressed for a desk 100
// changes behind.
func BenchmarkChangesPage(b *testing.B) {
	srv := shoptest.Start(b, shoptest.WithBulk(10_000))
	var head int64
	srv.DB.View(context.Background(), func(tx shop.Tx) error {
		ch, err := tx.Changes(shop.DemoCentreID, 0, 1_000_000)
		head = ch.Next
		return err
	})
	url := fmt.Sprintf("%s/changes?since=%d&limit=100", shop.APIPrefix, head-200)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+srv.DeskToken)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		srv.Shop.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" {
			b.Fatalf("status %d, encoding %q", w.Code, w.Header().Get("Content-Encoding"))
		}
	}
}

// BenchmarkLookupHandler measures what the server spends on one lookup of
// a purchase by code (GET /purchases/{code}), called without the network:
// the desk's authentication and the purchase's read, each a read
// transaction.
func BenchmarkLookupHandler(b *testing.B) {
	srv := shoptest.Start(b, shoptest.WithBulk(10_000))
	var codes []string
	for _, p := range feedPurchases(b, srv.DB) {
		codes = append(codes, p.Code)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest("GET", shop.APIPrefix+"/purchases/"+codes[i%len(codes)], nil)
		req.Header.Set("Authorization", "Bearer "+srv.DeskToken)
		w := httptest.NewRecorder()
		srv.Shop.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		i += 7919
	}
}

// BenchmarkDeliver measures deliveries over HTTP, each its own write
// transaction with its idempotency record.
func BenchmarkDeliver(b *testing.B) {
	srv := shoptest.Start(b, shoptest.WithBulk(20_000))
	var codes []string
	for _, p := range feedPurchases(b, srv.DB) {
		if p.Status.Deliverable() && p.Remaining() {
			codes = append(codes, p.Code)
		}
	}
	c := newClient(b, srv)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		a := c.post("/purchases/"+codes[i%len(codes)]+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()})
		if a.status != http.StatusCreated && a.status != http.StatusConflict {
			b.Fatalf("%d %s", a.status, a.body)
		}
		i++
	}
}

// BenchmarkSeedBulk measures SeedBulk's insert rate.
func BenchmarkSeedBulk(b *testing.B) {
	ctx := context.Background()
	db, err := shop.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bulk.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := shop.SeedDemo(ctx, db, timeNow()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := db.SeedBulk(ctx, shop.DemoCentreID, 10_000); err != nil {
			b.Fatal(err)
		}
		n += 10_000
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "purchases/s")
}

// feedPurchases returns every purchase of the demo centre, in feed order.
func feedPurchases(tb testing.TB, db shop.DB) []skranke.Purchase {
	tb.Helper()
	var out []skranke.Purchase
	err := db.View(context.Background(), func(tx shop.Tx) error {
		ch, err := tx.Changes(shop.DemoCentreID, 0, 1_000_000)
		for _, raw := range ch.Purchases {
			var p skranke.Purchase
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
