package shop_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

type page struct {
	Purchases []skranke.Purchase `json:"purchases"`
	Cards     []skranke.Card     `json:"cards"`
	Next      int64              `json:"next"`
	More      bool               `json:"more"`
}

// pull reads the feed from since to its end in pages of limit and returns
// the pages.
func pull(t *testing.T, c *client, since int64, limit int) []page {
	t.Helper()
	var pages []page
	for {
		a := c.get(fmt.Sprintf("/changes?since=%d&limit=%d", since, limit))
		wantStatus(t, a, http.StatusOK)
		var p page
		a.decode(t, &p)
		pages = append(pages, p)
		if !p.More {
			return pages
		}
		if p.Next <= since {
			t.Fatalf("cursor went from %d to %d", since, p.Next)
		}
		since = p.Next
	}
}

func TestChangesFeed(t *testing.T) { eachStore(t, testChangesFeed) }

func testChangesFeed(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)

	pages := pull(t, c, 0, 7)
	purchases, cards := map[string]int64{}, map[string]int64{}
	last := int64(0)
	for i, p := range pages {
		if n := len(p.Purchases) + len(p.Cards); n > 7 || (p.More && n != 7) {
			t.Errorf("page %d has %d items (more=%v), want 7 on every page but the last", i, n, p.More)
		}
		var seqs []int64
		for _, x := range p.Purchases {
			if x.CentreID != shop.DemoCentreID {
				t.Errorf("purchase %s of centre %s in the feed", x.Code, x.CentreID)
			}
			purchases[x.Code] = x.Seq
			seqs = append(seqs, x.Seq)
		}
		for _, x := range p.Cards {
			cards[x.Code] = x.Seq
			seqs = append(seqs, x.Seq)
		}
		slices.Sort(seqs)
		if len(seqs) > 0 {
			if seqs[0] <= last || seqs[len(seqs)-1] != p.Next {
				t.Errorf("page %d: seqs %v after cursor %d, next %d", i, seqs, last, p.Next)
			}
			last = p.Next
		}
	}
	if len(purchases) < 45 || len(cards) < 7 {
		t.Fatalf("the feed holds %d purchases and %d cards; the demo has about 50 and 8", len(purchases), len(cards))
	}
	if _, ok := purchases[srv.Code("other-centre")]; ok {
		t.Error("another centre's purchase is in the feed")
	}

	// Incremental: after a delivery and a redemption, the next pull holds
	// exactly the changed items, at higher seqs.
	code := srv.Code("paid-course")
	wantStatus(t, c.post("/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()}), http.StatusCreated)
	a, _ := redeem(c, srv.Code("card-1000"), newKey(), 10000)
	wantStatus(t, a, http.StatusCreated)
	var rr shop.RedeemResult
	a.decode(t, &rr)
	more := pull(t, c, last, 100)
	if len(more) != 1 || len(more[0].Purchases) != 1 || more[0].Purchases[0].Code != code || !more[0].Purchases[0].FullyDelivered() {
		t.Fatalf("incremental pull: %+v", more)
	}
	got := []string{more[0].Cards[0].Code, more[0].Cards[1].Code}
	if len(more[0].Cards) != 2 || !slices.Contains(got, rr.Remainder.Code) || !slices.Contains(got, srv.Code("card-1000")) {
		t.Fatalf("incremental pull has cards %v, want the used card and its remainder", got)
	}
	if more[0].Purchases[0].Seq <= purchases[code] {
		t.Errorf("seq went from %d to %d", purchases[code], more[0].Purchases[0].Seq)
	}
	empty := pull(t, c, more[0].Next, 100)
	if len(empty) != 1 || len(empty[0].Purchases)+len(empty[0].Cards) != 0 || empty[0].Next != more[0].Next || empty[0].More {
		t.Fatalf("pull at the end: %+v", empty)
	}

	for _, q := range []string{"since=-1", "since=x", "limit=0", "limit=x"} {
		wantStatus(t, c.get("/changes?"+q), http.StatusBadRequest)
	}
	var capped page
	c.get("/changes?limit=5000").decode(t, &capped)
	if n := len(capped.Purchases) + len(capped.Cards); n > shop.MaxChangesLimit {
		t.Errorf("limit=5000 gave %d items", n)
	}
}

// TestChangesCursorUnderConcurrentWrites pulls while desks write, and checks
// that a desk that follows the cursor ends with every item at its latest seq:
// no change is ever committed below a cursor already handed out.
func TestChangesCursorUnderConcurrentWrites(t *testing.T) {
	eachStore(t, testChangesCursorUnderConcurrentWrites)
}

func testChangesCursorUnderConcurrentWrites(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t, shoptest.WithBulk(300))
	c := newClient(t, srv)
	var codes []string
	for _, p := range pull(t, c, 0, 1000)[0].Purchases {
		if p.Status.Deliverable() && p.Remaining() {
			codes = append(codes, p.Code)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := newClient(t, srv)
		for _, code := range codes[:60] {
			w.uploadSignature("sig-" + code)
			if a, err := tryPost(w, "/purchases/"+code+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey(), SignatureID: "sig-" + code}); err != nil || a.status != http.StatusCreated {
				t.Errorf("deliver %s: %v %d", code, err, a.status)
				return
			}
		}
	}()
	mirror := map[string]int64{}
	since := int64(0)
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		for _, p := range pull(t, c, since, 50) {
			for _, x := range p.Purchases {
				mirror[x.Code] = x.Seq
			}
			since = max(since, p.Next)
		}
	}
	for _, code := range codes[:60] {
		if want := srv.Purchase(code).Seq; mirror[code] != want {
			t.Errorf("%s: mirrored at seq %d, the server has %d", code, mirror[code], want)
		}
	}
}

func TestDemoSeedIsDeterministic(t *testing.T) { eachStore(t, testDemoSeedIsDeterministic) }

func testDemoSeedIsDeterministic(t *testing.T, s store) {
	t.Parallel()
	a, b := shop.DemoCodes(), shop.DemoCodes()
	if !slices.Equal(a, b) {
		t.Fatal("DemoCodes differs between calls")
	}
	seen := map[string]bool{}
	for _, c := range a {
		want := skranke.ReferenceLen
		if c.Kind == "giftcard" {
			want = skranke.GiftCardLen
		}
		if len(c.Code) != want || !skranke.ValidCheck(c.Code) || seen[c.Code] {
			t.Errorf("%s: code %q is not a valid, unique %s code", c.Label, c.Code, c.Kind)
		}
		seen[c.Code] = true
	}

	// Two databases seeded at different times hold the same codes in the same states.
	ctx := context.Background()
	var states [2][]shop.DemoCode
	for i := range states {
		db := s.open(t)
		var err error
		now := time.Now().Add(time.Duration(i) * 7 * time.Hour)
		if seeded, err := shop.SeedDemo(ctx, db, now); err != nil || !seeded {
			t.Fatalf("seed: %v %v", seeded, err)
		}
		if seeded, err := shop.SeedDemo(ctx, db, now); err != nil || seeded {
			t.Fatalf("second seed: seeded=%v err=%v, want a no-op", seeded, err)
		}
		if states[i], err = shop.DemoStates(ctx, db, now); err != nil {
			t.Fatal(err)
		}
		var n int
		db.View(ctx, func(tx shop.Tx) error {
			ch, err := tx.Changes(shop.DemoCentreID, 0, 1000)
			n = len(ch.Purchases)
			return err
		})
		if n < 45 || n > 60 {
			t.Errorf("the demo centre has %d purchases, want about 50", n)
		}
	}
	if !slices.Equal(states[0], states[1]) {
		t.Errorf("demo states differ between seeds:\n%v\n%v", states[0], states[1])
	}
	want := map[string]string{"paid-course": "captured", "pending": "pending", "failed": "failed", "credited": "credited",
		"partly-delivered": "captured, 2 of 4 delivered", "card-chain": "active, kr 500,00", "card-chain-root": "voided", "card-spent": "spent"}
	for _, c := range states[0] {
		if w, ok := want[c.Label]; ok && c.State != w {
			t.Errorf("%s is %q, want %q", c.Label, c.State, w)
		}
	}
}

func TestIdempotencyKeysArePurgedAfterRetention(t *testing.T) {
	eachStore(t, testIdempotencyKeysArePurgedAfterRetention)
}

func testIdempotencyKeysArePurgedAfterRetention(t *testing.T, s store) {
	t.Parallel()
	ctx := context.Background()
	db := s.open(t)
	now := time.Now()
	err := db.Update(ctx, func(tx shop.Tx) error {
		for i, age := range []time.Duration{shop.IdempotencyRetention + time.Hour, shop.IdempotencyRetention - time.Hour, time.Minute} {
			if err := tx.PutIdempotency(shop.IdempotencyRecord{Scope: "desk:x", Key: fmt.Sprint(i), Fingerprint: "f",
				Status: 201, ContentType: "application/json", Body: []byte("{}"), CreatedAt: now.Add(-age)}); err != nil {
				return err
			}
		}
		n, err := tx.PurgeIdempotency(now.Add(-shop.IdempotencyRetention))
		if n != 1 {
			t.Errorf("purged %d keys, want the one older than the retention", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx shop.Tx) error {
		for i, want := range []bool{false, true, true} {
			_, err := tx.Idempotency("desk:x", fmt.Sprint(i))
			if got := err == nil; got != want {
				t.Errorf("key %d kept = %v, want %v", i, got, want)
			}
		}
		return nil
	})
}

func TestChangesAreCompressedForClientsThatAsk(t *testing.T) {
	eachStore(t, testChangesAreCompressedForClientsThatAsk)
}

func testChangesAreCompressedForClientsThatAsk(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	get := func(enc string) (*http.Response, []byte) { return getChanges(t, srv, "limit=1000", enc) }
	plainResp, plain := get("identity")
	zResp, zipped := get("gzip, deflate")
	if plainResp.Header.Get("Content-Encoding") != "" || zResp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q and %q, want none and gzip", plainResp.Header.Get("Content-Encoding"), zResp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain) {
		t.Fatalf("the gzip answer unpacks to %d bytes (%v), want the %d bytes of the plain one", len(unzipped), err, len(plain))
	}
	if len(zipped)*4 > len(plain) {
		t.Errorf("gzip made %d bytes of %d", len(zipped), len(plain))
	}
}

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestDemoCodesMatchGolden pins the demo codes: the README lists them for
// people to scan, so a change to the demo generator must be deliberate
// (go test -run DemoCodesMatchGolden -update).
func TestDemoCodesMatchGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, c := range shop.DemoCodes() {
		fmt.Fprintf(&b, "%-20s %-9s %s\n", c.Label, c.Kind, c.Code)
	}
	golden := filepath.Join("testdata", "demo_codes.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("demo codes changed:\n%s\nwant:\n%s", b.String(), want)
	}
}

// Desks at different cursors near the head, asking in any order and
// sharing the shop's page cache, must each get exactly the feed's changes
// at their cursor: the gzip answer one gzip member that unpacks byte for
// byte to the plain one, and decodes to the store's documents unchanged.
func TestChangesPagesAtManyCursorsUnpackToTheFeed(t *testing.T) {
	eachStore(t, testChangesPagesAtManyCursorsUnpackToTheFeed)
}

func testChangesPagesAtManyCursorsUnpackToTheFeed(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t, shoptest.WithBulk(1500))
	get := func(since int64, limit int, enc string) (*http.Response, []byte) {
		return getChanges(t, srv, fmt.Sprintf("since=%d&limit=%d", since, limit), enc)
	}
	var head int64
	srv.DB.View(context.Background(), func(tx shop.Tx) error {
		var err error
		head, err = tx.FeedHead()
		return err
	})
	// Cursors one apart share most of their documents; going down and
	// then up again asks for runs cached by pages before and after.
	var cursors []int64
	for c := head - 150; c > head-400; c -= 7 {
		cursors = append(cursors, c)
	}
	for c := head - 396; c < head-100; c += 13 {
		cursors = append(cursors, c)
	}
	plainBytes, zipBytes := 0, 0
	for _, since := range cursors {
		for _, limit := range []int{100, 250, 1000} {
			var want shop.Changes
			srv.DB.View(context.Background(), func(tx shop.Tx) error {
				var err error
				want, err = tx.Changes(shop.DemoCentreID, since, limit)
				return err
			})
			_, plain := get(since, limit, "identity")
			zResp, zipped := get(since, limit, "gzip")
			if zResp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("since %d: Content-Encoding %q, want gzip", since, zResp.Header.Get("Content-Encoding"))
			}
			br := bytes.NewReader(zipped)
			zr, err := gzip.NewReader(br)
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(false)
			unzipped, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(unzipped, plain) {
				t.Fatalf("since %d: the gzip answer unpacks to %d bytes (%v), want the %d bytes of the plain one", since, len(unzipped), err, len(plain))
			}
			if br.Len() != 0 {
				t.Fatalf("since %d: %d bytes after the gzip member", since, br.Len())
			}
			var got struct {
				Purchases, Cards []json.RawMessage
				Next             int64
				More             bool
			}
			if err := json.Unmarshal(unzipped, &got); err != nil {
				t.Fatal(err)
			}
			if got.Next != want.Next || got.More != want.More || !slices.EqualFunc(got.Purchases, want.Purchases, sameJSON) || !slices.EqualFunc(got.Cards, want.Cards, sameJSON) {
				t.Fatalf("since %d limit %d: page with %d purchases, %d cards, next %d, more %v; the feed has %d, %d, %d, %v",
					since, limit, len(got.Purchases), len(got.Cards), got.Next, got.More, len(want.Purchases), len(want.Cards), want.Next, want.More)
			}
			plainBytes += len(plain)
			zipBytes += len(zipped)
		}
	}
	// At the fastest level JSON documents shrink about sevenfold.
	if zipBytes*6 > plainBytes {
		t.Errorf("gzip made %d bytes of %d", zipBytes, plainBytes)
	}
}

func sameJSON(a, b json.RawMessage) bool { return bytes.Equal(a, b) }

// getChanges asks srv for /changes?query with Accept-Encoding enc, set by
// hand so that the transport does not decompress, and returns the answer
// with its body as sent.
func getChanges(t *testing.T, srv *shoptest.Server, query, enc string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+shop.APIPrefix+"/changes?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+srv.DeskToken)
	req.Header.Set("Accept-Encoding", enc)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %v", query, resp.StatusCode, err)
	}
	return resp, b
}
