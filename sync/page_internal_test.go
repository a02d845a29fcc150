package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

// A page as the shop sends it: purchases as shopd encodes them, one with
// a delivery, a gift card, the cursor.
func shopPage(tb testing.TB, n int) []byte {
	tb.Helper()
	var ps []skranke.Purchase
	for i := range n {
		p := skranke.Purchase{Code: fmt.Sprintf("ABCD%04d", i), Buyer: skranke.Buyer{Name: `Ola "O" Nordmann\`, Email: "ola@example.no"},
			Status: skranke.Captured, Seq: int64(100 + i), CreatedAt: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
			Lines: []skranke.Line{{ID: "1", Name: "T-skjorte {L} æøå", Quantity: 2, UnitPrice: 24950}}}
		if i == 1 {
			p.Deliveries = []skranke.Delivery{{ID: "d", At: p.CreatedAt}}
		}
		ps = append(ps, p)
	}
	page := struct {
		Purchases []skranke.Purchase `json:"purchases"`
		Cards     []skranke.Card     `json:"cards"`
		Next      int64              `json:"next"`
		More      bool               `json:"more"`
	}{ps, []skranke.Card{{Code: "GIFT0001", Seq: 99, Balance: 50000}}, int64(100 + n), true}
	b, err := json.Marshal(page)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var pageSeeds = []string{
	`{"purchases":[{"code":"A1","seq":1}],"cards":[],"next":1,"more":false}`,
	` { "more" : true , "next" : 7 , "purchases" : [ {"code":"A1","seq":1} , {"code":"A2","seq":2,"x":[1,-2.5e+3,true,false,null,"\u00e5\n"]} ] } `,
	`{"purchases":null,"cards":null,"next":0,"more":false}`,
	`{}`,
	`{"purchases":[null,1,"x",[]],"next":3}`,
	`{"other":{"a":[{"b":"}]"}]},"next":2}`,
	`{"Next":5}`,
	`{"next":5,"next":6}`,
	`{"nex\u0074":5}`,
	`{"purchaſes":[{"code":"A"}]}`,
	`{"next":1.5}`,
	`{"next":1e3}`,
	`{"next":-0}`,
	`{"next":null,"more":null}`,
	`{"next":01}`,
	`{"purchases":[{"code":"A1","seq":1},]}`,
	`{"purchases":[{"code":"A1","seq":1}`,
	`{"purchases":[{"code":"A1" "seq":1}]}`,
	`{"purchases":[{"code":"A1\x01","seq":1}]}`,
	`{"purchases":[{"code":"A1\q","seq":1}]}`,
	`{"purchases":[{"code":"A1\u12g4","seq":1}]}`,
	`{"purchases":[tru]}`,
	`{"purchases":[nul]}`,
	`{"purchases":[-]}`,
	`{"purchases":[1.]}`,
	`{"purchases":[1e]}`,
	`{"more":truex}`,
	`{"next":1} x`,
	`{"next":1}}`,
	`[1,2]`,
	``,
	`   `,
	`{"purchases":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
}

// checkPage holds decodeChangesPage to what encoding/json makes of body.
func checkPage(t *testing.T, body []byte) {
	got, err := decodeChangesPage(bytes.Clone(body))
	var want ChangesPage
	werr := json.Unmarshal(body, &want)
	if (err != nil) != (werr != nil) {
		t.Fatalf("%q: error %v, encoding/json says %v", body, err, werr)
	}
	if err != nil {
		if err.Error() != werr.Error() {
			t.Fatalf("%q: error %q, encoding/json says %q", body, err, werr)
		}
		return
	}
	same := func(a, b []json.RawMessage) bool {
		if len(a) != len(b) || (a == nil) != (b == nil) {
			return false
		}
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	if !same(got.Purchases, want.Purchases) || !same(got.Cards, want.Cards) || got.Next != want.Next || got.More != want.More {
		t.Fatalf("%q: got %+v, encoding/json %+v", body, got, want)
	}
	// What the page's decoding read of a purchase on the way is what
	// scanFeedPurchase reads of it alone.
	if got.scanned != nil && len(got.scanned) != len(got.Purchases) {
		t.Fatalf("%q: %d purchases, %d read on the way", body, len(got.Purchases), len(got.scanned))
	}
	for i, sp := range got.scanned {
		if !sp.fast {
			continue
		}
		fp, err := scanFeedPurchase(got.Purchases[i])
		if err != nil || !sameFeedPurchase(fp, sp.fp) {
			t.Fatalf("%q: purchase %d read on the way as %+v, alone as %+v (%v)", body, i+1, sp.fp, fp, err)
		}
	}
}

func TestDecodeChangesPage(t *testing.T) {
	for _, s := range pageSeeds {
		checkPage(t, []byte(s))
	}
	page := shopPage(t, 3)
	checkPage(t, page)
	if _, ok := scanChangesPage(page); !ok {
		t.Fatalf("the fast path left a page as the shop sends it to encoding/json: %s", page)
	}
	// Every truncation of a real page, and a thousand random damages.
	for i := range page {
		checkPage(t, page[:i])
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		b := bytes.Clone(page)
		for range 1 + rnd.IntN(3) {
			b[rnd.IntN(len(b))] = `{}[]",:\ 0-1e.tfnu`[rnd.IntN(18)]
		}
		checkPage(t, b)
	}
}

func FuzzDecodeChangesPage(f *testing.F) {
	for _, s := range pageSeeds {
		f.Add([]byte(s))
	}
	f.Add(shopPage(f, 2))
	f.Fuzz(checkPage)
}

// A page that decodes but cannot be filed is refused whole, saying which
// row is at fault.
func TestReadPageRefusesWhole(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
	}{
		{"purchase without code", `{"purchases":[{"code":"A1","seq":1},{"seq":2},{"code":"A3","seq":3}],"next":3}`, "purchase 2 of the page: it has no code"},
		{"purchase that is null", `{"purchases":[{"code":"A1","seq":1},null],"next":3}`, "purchase 2 of the page: it has no code"},
		{"purchase that is a number", `{"purchases":[7],"next":3}`, "purchase 1 of the page: json: cannot unmarshal number"},
		{"seq that is text", `{"purchases":[{"code":"A1","seq":"1"}],"next":3}`, "purchase 1 of the page: json: cannot unmarshal string"},
		{"delivery that is not an object", `{"purchases":[{"code":"A1","seq":1,"deliveries":[5]}],"next":3}`, "purchase A1: json: cannot unmarshal number"},
		{"card without code", `{"purchases":[],"cards":[{"seq":1}],"next":3}`, "gift card 1 of the page: it has no code"},
		{"card that is a list", `{"cards":[[]],"next":3}`, "gift card 1 of the page: json: cannot unmarshal array"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := decodeChangesPage([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			err = p.read()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if p.items != nil || p.cards != nil {
				t.Fatal("a refused page kept some of its rows")
			}
		})
	}
	p, err := decodeChangesPage(shopPage(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.read(); err != nil {
		t.Fatal(err)
	}
	if len(p.items) != 3 || p.items[2].Code != "ABCD0002" || p.items[2].Seq != 102 || p.items[1].full == nil || len(p.items[1].full.Deliveries) != 1 || p.items[0].full != nil {
		t.Fatalf("read %+v", p.items)
	}
	if len(p.cards) != 1 || p.cards[0].Code != "GIFT0001" || p.Next != 103 || !p.More {
		t.Fatalf("read %+v", p)
	}
}

func BenchmarkDecodeChangesPage(b *testing.B) {
	page := shopPage(b, PageSize)
	b.SetBytes(int64(len(page)))
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			p, err := decodeChangesPage(page)
			if err != nil || len(p.Purchases) != PageSize {
				b.Fatal(err)
			}
			if err := p.read(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var p ChangesPage
			if err := json.Unmarshal(page, &p); err != nil || len(p.Purchases) != PageSize {
				b.Fatal(err)
			}
			if err := p.read(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestPageTail(t *testing.T) {
	for _, tc := range []struct {
		body string
		next int64
		more bool
		ok   bool
	}{
		{`{"purchases":[],"cards":[],"next":1234,"more":true}` + "\n", 1234, true, true},
		{`{"purchases":[{"next":9,"more":true}],"next":0,"more":false}`, 0, false, true},
		{`{ "next" : 7 , "more" : false }  `, 7, false, true},
		{`{"next":-3,"more":true}`, -3, true, true},
		{`{"purchases":[],"more":true,"next":5}`, 0, false, false},           // Another order: decoded first.
		{`{"purchases":[{"next":9,"more":true}]}`, 0, false, false},          // Not the page's own members.
		{`{"purchases":["a\",\"next\":9,\"more\":true}"]}`, 0, false, false}, // Inside a string.
		{`{"x":"\"next":9,"more":true}`, 0, false, false},
		{`{"next":1.5,"more":true}`, 0, false, false},
		{`{"next":,"more":true}`, 0, false, false},
		{`{"next":1,"more":tru}`, 0, false, false},
		{``, 0, false, false},
	} {
		next, more, ok := pageTail([]byte(tc.body))
		if next != tc.next || more != tc.more || ok != tc.ok {
			t.Errorf("pageTail(%s) = %d, %v, %v; want %d, %v, %v", tc.body, next, more, ok, tc.next, tc.more, tc.ok)
		}
	}
}
