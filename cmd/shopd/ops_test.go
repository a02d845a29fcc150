package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// shopSnapshot is what a store holds, read through the store's own reads:
// equal snapshots mean the desks and the web shop see the same shop.
func shopSnapshot(t *testing.T, db shop.Store, idemKey string) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	err := db.View(context.Background(), func(tx shop.Tx) error {
		desk, err := tx.DeskByToken(shop.TokenHash(shop.DemoDeskToken))
		if err != nil {
			return err
		}
		centres, err := tx.Centres()
		if err != nil {
			return err
		}
		products, err := tx.Products()
		if err != nil {
			return err
		}
		enc.Encode(desk)
		enc.Encode(centres)
		enc.Encode(products)
		for _, c := range centres {
			staff, err := tx.Staff(c.ID)
			if err != nil {
				return err
			}
			ch, err := tx.Changes(c.ID, 0, 1_000_000)
			if err != nil {
				return err
			}
			act, err := tx.Activity(c.ID, time.Unix(0, 0), time.Now().Add(24*time.Hour))
			if err != nil {
				return err
			}
			enc.Encode(staff)
			enc.Encode(ch)
			enc.Encode(act)
		}
		rec, err := tx.Idempotency("desk:"+desk.ID, idemKey)
		if err != nil {
			return err
		}
		enc.Encode(rec)
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return b.String()
}

// rowCounts counts each table's rows through query, which returns one count.
func rowCounts(t *testing.T, count func(table string) (int64, error)) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range shop.Tables() {
		n, err := count(table)
		if err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func TestMigrateDBCopiesEverything(t *testing.T) {
	t.Parallel()
	url := pg.Cluster(t).NewEmptyDatabase(t)
	// A SQLite shop that has been used: the demo chain, a bulk of
	// purchases, a delivery and its reversal, a partly used gift card.
	srv := shoptest.Start(t, shoptest.WithBulk(300))
	hc := &http.Client{}
	key := newKey()
	deliver := shop.DeliveryRequest{ID: "moved-1"}
	first := call(t, hc, "POST", srv.URL+shop.APIPrefix+"/purchases/"+srv.Code("paid-course")+"/deliveries", key, false, deliver)
	if first.status != http.StatusCreated {
		t.Fatalf("deliver: %d %s", first.status, first.body)
	}
	if a := call(t, hc, "POST", srv.URL+shop.APIPrefix+"/deliveries/moved-1/reversal", newKey(), false,
		shop.ReversalRequest{ID: "moved-undo-1"}); a.status != http.StatusCreated {
		t.Fatalf("undo: %d %s", a.status, a.body)
	}
	card := srv.IssueCard(10000)
	if a := call(t, hc, "POST", srv.URL+shop.APIPrefix+"/giftcards/"+card.Code+"/redemptions", newKey(), false,
		shop.RedeemRequest{ID: newKey(), Amount: 2500}); a.status != http.StatusCreated {
		t.Fatalf("redeem: %d %s", a.status, a.body)
	}
	srv.Stop()

	var out bytes.Buffer
	if err := run([]string{"migrate-db", "-from", srv.DBPath, "-to", url}, &out); err != nil {
		t.Fatalf("migrate-db: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "purchases") {
		t.Errorf("migrate-db did not report what it copied:\n%s", out.String())
	}

	ctx := context.Background()
	lite, err := sql.Open("sqlite", "file:"+filepath.ToSlash(srv.DBPath)+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	want := rowCounts(t, func(table string) (n int64, err error) {
		return n, lite.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
	})
	got := rowCounts(t, func(table string) (n int64, err error) {
		return n, conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	})
	for _, table := range shop.Tables() {
		if got[table] != want[table] || (want[table] == 0 && table != "payment_events" && table != "credits") {
			t.Errorf("%s: %d rows in SQLite, %d in PostgreSQL", table, want[table], got[table])
		}
	}
	src, err := shop.OpenSQLite(ctx, srv.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := shop.OpenPostgres(ctx, url, shop.PostgresOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if a, b := shopSnapshot(t, src, key), shopSnapshot(t, dst, key); a != b {
		t.Errorf("the shop reads differently after the move:\nSQLite:     %.300s\nPostgreSQL: %.300s", a, b)
	}

	// A second run would mix two shops: it is refused and changes nothing.
	if err := run([]string{"migrate-db", "-from", srv.DBPath, "-to", url}, io.Discard); err == nil || !strings.Contains(err.Error(), "already holds a shop") {
		t.Errorf("a second migrate-db into the same database: %v, want a refusal", err)
	}

	// shopd on PostgreSQL carries on where SQLite stopped: a desk resending
	// its last request gets the same answer, and new changes follow the old.
	in := startShopd(t, "-db", url, "-shop-token-file", secretFile(t, shop.DemoShopToken))
	again := call(t, hc, "POST", in.URL+shop.APIPrefix+"/purchases/"+srv.Code("paid-course")+"/deliveries", key, false, deliver)
	if again.status != first.status || !again.replayed || !bytes.Equal(again.body, first.body) {
		t.Errorf("the resend after the move: %d replayed=%v %s; want the first answer %s", again.status, again.replayed, again.body, first.body)
	}
	var maxSeq int64
	if err := conn.QueryRow(ctx, "SELECT max(seq) FROM (SELECT seq FROM purchases UNION ALL SELECT seq FROM cards) s").Scan(&maxSeq); err != nil {
		t.Fatal(err)
	}
	newCard := issueCard(t, in, 5000)
	if newCard.Seq <= maxSeq {
		t.Errorf("a card issued after the move has seq %d, not above the copied %d: desks would never see it", newCard.Seq, maxSeq)
	}
}

func TestMigrateDBNeedsBothAddresses(t *testing.T) {
	for _, args := range [][]string{{"migrate-db"}, {"migrate-db", "-from", "x.db"}, {"migrate-db", "-from", "x.db", "-to", "other.db"}} {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("%v was accepted", args)
		}
	}
}

// TestGracefulShutdownFinishesRequestsInFlight sends half a request, stops
// shopd with SIGTERM, and finishes the request while shopd drains: the
// request is answered and committed, /readyz told the load balancer to go
// away meanwhile, and shopd then exits cleanly.
func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "shop.db")
	in := startShopd(t, "-demo", "-db", dbPath, "-drain", "5s") // Long enough to ask /readyz on a loaded machine.
	hc := &http.Client{}
	for _, probe := range []string{"/healthz", "/readyz"} {
		if a := call(t, hc, "GET", in.URL+probe, "", false, nil); a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", probe, a.status, a.body)
		}
	}

	png := noisePNG(t, 48, 48)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", in.URL+shop.APIPrefix+"/signatures/sig-in-flight", pr)
	req.ContentLength = int64(len(png))
	req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
	req.Header.Set("Content-Type", "image/png")
	type result struct {
		status int
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := (&http.Client{}).Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		resp.Body.Close()
		res <- result{status: resp.StatusCode}
	}()
	// When the first half is taken, the request's headers are on the wire.
	if _, err := pw.Write(png[:1000]); err != nil {
		t.Fatal(err)
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	in.waitLog("shutting down")
	if a := call(t, hc, "GET", in.URL+"/readyz", "", false, nil); a.status != http.StatusServiceUnavailable || !strings.Contains(string(a.body), "draining") {
		t.Errorf("/readyz while draining: %d %s, want 503 draining", a.status, a.body)
	}
	in.waitLog("finishing those in flight")
	if _, err := pw.Write(png[1000:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if r := <-res; r.err != nil || r.status != http.StatusCreated {
		t.Fatalf("the request in flight at shutdown: status %d, %v; want 201", r.status, r.err)
	}
	<-in.exited
	if in.err != nil {
		t.Fatalf("shopd exited with %v", in.err)
	}
	db, err := shop.OpenSQLite(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(context.Background(), func(tx shop.Tx) error {
		s, err := tx.Signature("sig-in-flight")
		if err == nil && !bytes.Equal(s.PNG, png) {
			t.Errorf("the stored signature has %d bytes, want %d", len(s.PNG), len(png))
		}
		return err
	})
	if err != nil {
		t.Errorf("the signature sent during shutdown was not kept: %v", err)
	}
}

// noisePNG returns a w × h PNG of random grey: it does not compress, so
// its size is about w × h bytes.
func noisePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	rand.Read(img.Pix)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPoolFlagCapsConnections: -pool caps the connections one shopd opens
// for reads, however many desks ask at once (writes use at most 2 more).
func TestPoolFlagCapsConnections(t *testing.T) {
	t.Parallel()
	url := pg.Cluster(t).NewEmptyDatabase(t)
	in := startShopd(t, "-demo", "-db", url, "-pool", "1")
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			a := call(t, &http.Client{}, "GET", in.URL+shop.APIPrefix+"/purchases/"+shop.DemoCodeFor("paid-course"), "", false, nil)
			if a.status != http.StatusOK {
				t.Errorf("lookup: %d %s", a.status, a.body)
			}
		})
	}
	wg.Wait()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 1 || n > 3 {
		t.Errorf("shopd -pool 1 holds %d connections after 40 lookups at once, want 1 to 3", n)
	}
}

// secretFile writes a secret to a private file for shopd's -…-file flags.
func secretFile(t testing.TB, secret string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
