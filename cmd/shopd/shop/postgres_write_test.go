package shop_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// storedLines reads a purchase's rows of purchase_lines, the table that
// reports query, straight from the store's database.
func storedLines(t *testing.T, s store, srv *shoptest.Server, code string) []skranke.Line {
	t.Helper()
	const q = `SELECT line_id, quantity, delivered, unit_price, discount FROM purchase_lines
		WHERE purchase_code = %s ORDER BY line_id`
	var lines []skranke.Line
	scan := func(next func() bool, scan func(...any) error) {
		for next() {
			var l skranke.Line
			var qty, deliv, price, disc int64
			if err := scan(&l.ID, &qty, &deliv, &price, &disc); err != nil {
				t.Fatal(err)
			}
			l.Quantity, l.Delivered, l.UnitPrice, l.Discount = int(qty), int(deliv), skranke.Money(price), skranke.Money(disc)
			lines = append(lines, l)
		}
	}
	if s.pg != nil {
		conn, err := pgx.Connect(context.Background(), srv.DBPath)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		rows, err := conn.Query(context.Background(), fmt.Sprintf(q, "$1"), code)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		scan(rows.Next, rows.Scan)
		return lines
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(srv.DBPath)+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(fmt.Sprintf(q, "?"), code)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	scan(rows.Next, rows.Scan)
	return lines
}

// TestPurchaseLinesFollowThePurchase: purchase_lines, which the shop
// writes for reports and never reads, holds each line's quantity, units
// handed over, price and discount as the purchase does, after deliveries
// of part and of the rest, a credit by line and a delivery undone. (On
// PostgreSQL a purchase read and written again has only its changed lines
// rewritten.)
func TestPurchaseLinesFollowThePurchase(t *testing.T) {
	eachStore(t, func(t *testing.T, s store) {
		t.Parallel()
		srv := s.start(t)
		c := newClient(t, srv)
		check := func(step, code string) {
			t.Helper()
			want := srv.Purchase(code).Lines
			for i := range want {
				l := &want[i]
				*l = skranke.Line{ID: l.ID, Quantity: l.Quantity, Delivered: l.Delivered, UnitPrice: l.UnitPrice, Discount: l.Discount}
			}
			slices.SortFunc(want, func(a, b skranke.Line) int { return strings.Compare(a.ID, b.ID) })
			if got := storedLines(t, s, srv, code); !slices.Equal(got, want) {
				t.Errorf("after %s, purchase_lines holds %+v; the purchase has %+v", step, got, want)
			}
		}
		many := srv.Code("many-lines")
		wantStatus(t, c.post("/purchases/"+many+"/deliveries", newKey(),
			shop.DeliveryRequest{ID: "pl-1", Lines: []skranke.DeliveredLine{{LineID: "2", Quantity: 1}}}), http.StatusCreated)
		check("a delivery of one unit", many)
		c.uploadSignature("pl-sig")
		wantStatus(t, c.post("/purchases/"+many+"/deliveries", newKey(), shop.DeliveryRequest{ID: "pl-2", SignatureID: "pl-sig"}), http.StatusCreated)
		check("a delivery of the rest", many)
		wantStatus(t, c.post(reversalPath("pl-2"), newKey(), shop.ReversalRequest{ID: "pl-2-undo"}), http.StatusCreated)
		check("the delivery of the rest undone", many)

		physical := srv.Code("paid-physical")
		c.staff = shop.DemoManagerID
		wantStatus(t, c.post("/purchases/"+physical+"/credits", newKey(), shop.CreditRequest{ID: "pl-c",
			Lines: []skranke.CreditLine{{LineID: "2", Quantity: 1}}, Reason: "Trykkfeil"}), http.StatusCreated)
		check("a credit by line", physical)
	})
}

// TestDeliveryRewritesThePurchaseInPlace: on PostgreSQL a delivery
// rewrites its purchase without adding an entry to any of the purchase's
// indexes (a HOT update; see migration 0006): not to the primary key's,
// and not to the search's word index, whose new entries PostgreSQL
// gathers in a pending list and merges at great cost. It did both on
// every delivery while the feed's number was indexed in purchases.
func TestDeliveryRewritesThePurchaseInPlace(t *testing.T) {
	t.Parallel()
	srv := store{name: "postgres", pg: pg.Cluster(t)}.start(t, shoptest.WithBulk(20))
	codes, _ := deliverable(t, srv.DB)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pgstattuple"); err != nil {
		t.Skipf("pgstattuple, which counts index entries, is not installed: %v", err)
	}
	entries := func() (pkey, pending int64) {
		t.Helper()
		if err := conn.QueryRow(ctx, "SELECT tuple_count FROM pgstattuple('purchases_pkey')").Scan(&pkey); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SELECT pending_tuples FROM pgstatginindex('purchases_search_words')").Scan(&pending); err != nil {
			t.Fatal(err)
		}
		return pkey, pending
	}
	// pages gives the heap page each purchase's live row is on.
	pages := func(codes []string) map[string]int64 {
		t.Helper()
		rows, err := conn.Query(ctx, "SELECT code, (ctid::text::point)[0]::bigint FROM purchases WHERE code = ANY($1)", codes)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := make(map[string]int64, len(codes))
		for rows.Next() {
			var code string
			var page int64
			if err := rows.Scan(&code, &page); err != nil {
				t.Fatal(err)
			}
			m[code] = page
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	const n = 10
	before := pages(codes[:n])
	pkey0, pending0 := entries()
	c := newClient(t, srv)
	for _, code := range codes[:n] {
		wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()}), http.StatusCreated)
	}
	// An update is HOT only when its page has room for the new version,
	// and the old versions on a page are pruned only once no snapshot of
	// the database needs them: on a busy machine now and then a page is
	// full and the new version goes to another page, adding one entry to
	// each index however the schema is made. So only those may: a row
	// that stayed on its page and still added entries was rewritten
	// outside HOT, as every delivery was while the feed's number was
	// indexed in purchases.
	after := pages(codes[:n])
	moved := int64(0)
	for _, code := range codes[:n] {
		if after[code] != before[code] {
			moved++
		}
	}
	pkey, pending := entries()
	if pkey-pkey0 > moved || pending-pending0 > moved {
		t.Errorf("%d deliveries (%d of them moved to another page for room) added %d entries to the purchases' primary key and %d to the word index's pending list; want no more than moved",
			n, moved, pkey-pkey0, pending-pending0)
	}
	if moved == n {
		// Nothing stayed on its page, so nothing above could tell.
		t.Errorf("all %d deliveries moved their purchase to another page: no room was left on any page (fillfactor, migration 0006)", n)
	}
	t.Logf("%d of %d deliveries moved their purchase to another page", moved, n)
	for _, code := range codes[:n] {
		if p := srv.Purchase(code); p.RemainingUnits() != 0 {
			t.Errorf("purchase %s has %d units left after its delivery", code, p.RemainingUnits())
		}
	}
}

// TestUnsearchedPurchaseGetsItsSearchText: a purchase stored before the
// search text existed (migration 0003 left it ”) gets its text when it is
// next written, even when that write (a delivery) changes nothing the text
// is made of, which a delivery otherwise does not write.
func TestUnsearchedPurchaseGetsItsSearchText(t *testing.T) {
	t.Parallel()
	srv := store{name: "postgres", pg: pg.Cluster(t)}.start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	code := srv.Code("paid-course")
	if _, err := conn.Exec(ctx, "UPDATE purchases SET search = '' WHERE code = $1", code); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, newClient(t, srv).post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "us-1"}), http.StatusCreated)
	var got string
	if err := conn.QueryRow(ctx, "SELECT search FROM purchases WHERE code = $1", code).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := skranke.SearchText(srv.Purchase(code)); got != want || want == "" {
		t.Errorf("search text after the delivery %q, want %q", got, want)
	}
}

// TestSearchTextIsTheBuyersAndTheCode: PostgreSQL's PutPurchase writes a
// purchase's search text only when its buyer changed (its code never
// does), so the text must be made of nothing else.
func TestSearchTextIsTheBuyersAndTheCode(t *testing.T) {
	t.Parallel()
	p := &skranke.Purchase{Code: "ABC1234", CentreID: "c", Buyer: skranke.Buyer{Name: "Kari Nordmann", Email: "kari@example.no", Phone: "+47 912 34 567"},
		Status: skranke.Captured, Lines: []skranke.Line{{ID: "1", Name: "Klippekort", Quantity: 2, UnitPrice: 100}}, CreatedAt: time.Now()}
	want := skranke.SearchText(p)
	q := *p
	q.CentreID, q.Status, q.Acquirer, q.PromoCode = "d", skranke.Credited, "nets", "SOMMER"
	q.Lines = []skranke.Line{{ID: "1", Name: "Årskort", Kind: skranke.GiftCard, Quantity: 1, UnitPrice: 200, Delivered: 1}, {ID: "2", Name: "Shaker"}}
	q.Deliveries = []skranke.Delivery{{ID: "d", StaffName: "Ola", Lines: []skranke.DeliveredLine{{LineID: "1", Quantity: 1}}}}
	q.Credits = []skranke.Credit{{ID: "c", Reason: "Feil"}}
	q.Reversals = []skranke.Reversal{{ID: "r", DeliveryID: "d"}}
	q.CreatedAt, q.UpdatedAt, q.Seq = time.Now().Add(time.Hour), time.Now(), 99
	if got := skranke.SearchText(&q); got != want {
		t.Errorf("the search text changed with what is not the buyer's nor the code: %q, was %q", got, want)
	}
}

// TestPostgresFeedMoves: migration 0006 moves each purchase's place in the
// changes feed into purchase_feed. A database of version 5 keeps its feed
// as it was, and the feed goes on from there.
func TestPostgresFeedMoves(t *testing.T) {
	t.Parallel()
	url := pg.Cluster(t).NewEmptyDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Version 5, as the shopd before this one left it.
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, f := range mustGlob(t, "migrations/postgres/000[1-5]_*.sql") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
			int(filepath.Base(f)[3]-'0'), filepath.Base(f)); err != nil {
			t.Fatal(err)
		}
	}
	centre := skranke.Centre{ID: "c1", Name: "Senter"}
	cdoc, _ := json.Marshal(centre)
	if _, err := conn.Exec(ctx, "INSERT INTO centres (id, doc) VALUES ($1, $2)", centre.ID, cdoc); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	for i, code := range []string{"OLDA", "OLDB"} {
		p := skranke.Purchase{Code: code, CentreID: centre.ID, Buyer: skranke.Buyer{Name: "Kari " + code}, Status: skranke.Captured,
			Lines: []skranke.Line{{ID: "1", Name: "Drop-in", Kind: skranke.Service, Quantity: 1, UnitPrice: 100}}, CreatedAt: at, UpdatedAt: at, Seq: int64(i + 1)}
		doc, _ := json.Marshal(p)
		if _, err := conn.Exec(ctx, `INSERT INTO purchases (code, centre_id, status, buyer_name, seq, created_at, updated_at, doc, search)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)`, code, centre.ID, string(p.Status), p.Buyer.Name, p.Seq, at.UnixMilli(), doc, skranke.SearchText(&p)); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO purchase_lines (purchase_code, line_id, product_id, name, kind, quantity, unit_price, vat_rate, discount, delivered)
			VALUES ($1, '1', '', 'Drop-in', 'service', 1, 100, 0, 0, 0)`, code); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "UPDATE meta SET value = 2 WHERE key = 'seq'"); err != nil {
		t.Fatal(err)
	}

	db, err := shop.OpenPostgres(ctx, url, shop.PostgresOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	feed := func(since int64) (codes []string, next int64) {
		t.Helper()
		err := db.View(ctx, func(tx shop.Tx) error {
			ch, err := tx.Changes(centre.ID, since, 10)
			for _, raw := range ch.Purchases {
				var p skranke.Purchase
				if err := json.Unmarshal(raw, &p); err != nil {
					return err
				}
				codes = append(codes, fmt.Sprintf("%s@%d", p.Code, p.Seq))
			}
			next = ch.Next
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return codes, next
	}
	if got, next := feed(0); !slices.Equal(got, []string{"OLDA@1", "OLDB@2"}) || next != 2 {
		t.Errorf("the feed after the migration: %v up to %d; want OLDA@1, OLDB@2 up to 2", got, next)
	}
	if got, _ := feed(1); !slices.Equal(got, []string{"OLDB@2"}) {
		t.Errorf("the feed after 1: %v; want OLDB@2", got)
	}
	// A purchase written again moves to the head of the feed.
	if err := db.Update(ctx, func(tx shop.Tx) error {
		p, err := tx.Purchase("OLDA")
		if err != nil {
			return err
		}
		p.Lines[0].Delivered = 1
		return tx.PutPurchase(p)
	}); err != nil {
		t.Fatal(err)
	}
	if got, next := feed(2); !slices.Equal(got, []string{"OLDA@3"}) || next != 3 {
		t.Errorf("the feed after 2, once OLDA changed: %v up to %d; want OLDA@3 up to 3", got, next)
	}
	if got, _ := feed(0); !slices.Equal(got, []string{"OLDB@2", "OLDA@3"}) {
		t.Errorf("the whole feed once OLDA changed: %v; want OLDB@2, OLDA@3", got)
	}
}

// TestFeedHandsOutOnlyDurableChanges: a group of mutations commits without
// waiting for the WAL's flush, and is visible for a moment before it is
// durable. Were the shop's server to crash then, the change would be lost
// and its number given to the next one; a desk that had read it would skip
// that next change forever. So neither the feed's head nor a page of the
// feed may hand out a number before it is durable: the head waits until it
// is, a page stops short of it. The test commits groups without their
// barrier and, each time the WAL was found not yet flushed past the
// commit, asks for the head or a page first (in turns, as the head makes
// the change durable for the page).
func TestFeedHandsOutOnlyDurableChanges(t *testing.T) {
	t.Parallel()
	url := pg.Cluster(t).NewEmptyDatabase(t)
	ctx := context.Background()
	db, err := shop.OpenPostgres(ctx, url, shop.PostgresOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const centre = "c1"
	if err := db.Update(ctx, func(tx shop.Tx) error { return tx.PutCentre(skranke.Centre{ID: centre, Name: "Senter"}) }); err != nil {
		t.Fatal(err)
	}
	shop.SkipDurableBarrierForTest(db)
	// flushedPast reports whether the WAL is flushed up to lsn.
	flushedPast := func(lsn string) bool {
		t.Helper()
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn", lsn).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	// page reads the feed from seq-1 in a snapshot, and checks that what it
	// hands out is durable. asked reads it as the server does for requests
	// that found the head at seq-1.
	page := func(seq int64, lsn string, asked bool) shop.Changes {
		t.Helper()
		var ch shop.Changes
		vctx := ctx
		if asked {
			vctx = shop.WithDurableHeadForTest(ctx, seq-1)
		}
		if err := db.View(vctx, func(tx shop.Tx) error {
			var err error
			ch, err = tx.Changes(centre, seq-1, 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if ch.Next >= seq && !flushedPast(lsn) {
			t.Fatalf("a page of the feed handed out %d (next %d) before its commit was durable", seq, ch.Next)
		}
		return ch
	}
	// head reads the feed's head and checks the same.
	head := func(seq int64, lsn string) {
		t.Helper()
		head, err := db.FeedHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if head < seq {
			t.Errorf("the feed's head is %d after a commit of %d: a head read waits until it is durable, and hands it out", head, seq)
		}
		if !flushedPast(lsn) {
			t.Fatalf("the feed's head handed out %d before its commit was durable", head)
		}
	}
	caught := 0
	for i := 0; i < 200 && caught < 9; i++ {
		code := fmt.Sprintf("DUR%04d", i)
		if errs := shop.RunMutationsForTest(db, func(tx shop.Tx) error {
			return tx.PutPurchase(testPurchase(code, centre, "Kari"))
		}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		// Past the group's commit record: it was visible before this.
		var lsn string
		var seq int64
		if err := conn.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text, (SELECT value FROM meta WHERE key = 'seq')").Scan(&lsn, &seq); err != nil {
			t.Fatal(err)
		}
		if flushedPast(lsn) {
			continue // The WAL writer was quicker: nothing to see.
		}
		caught++
		switch caught % 3 {
		case 0:
			head(seq, lsn)
		case 1:
			page(seq, lsn, false) // Waits.
		case 2:
			page(seq, lsn, true) // Stops short of seq.
		}
		head(seq, lsn)
		if ch := page(seq, lsn, true); ch.Next != seq || len(ch.Purchases) != 1 {
			t.Errorf("a page once the change was durable: next %d, %d purchases; want %d and the purchase %s", ch.Next, len(ch.Purchases), seq, code)
		}
	}
	if caught == 0 {
		t.Fatal("no commit was ever seen before its flush: the test saw nothing of what it checks")
	}
	t.Logf("%d commits seen before their flush", caught)
}
