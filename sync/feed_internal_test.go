package sync

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

var feedSeeds = []string{
	`{"code":"ABCD2345","seq":7}`,
	`{"code":"ABCD2345","centre_id":"c","buyer":{"name":"Kari \"K\" Nordmann","code":"NOTME"},"status":"captured","lines":[{"id":"1","name":"x","code":"NOTME"}],"seq":12}`,
	` { "seq" : 3 , "code" : "X1" , "deliveries" : [ ] , "credits" : null } `,
	`{"code":"X2","seq":4,"deliveries":[{"id":"d1","lines":[{"line_id":"1","quantity":1}]}]}`,
	`{"code":"X3","seq":5,"credits":[{"id":"c1","amount":100}]}`,
	`{"code":"X\u00e54","seq":6}`,
	`{"co\u0064e":"X5","seq":6}`,
	`{"code":"X6","seq":6,"nested":{"seq":99,"code":"NO"},"arr":[1,2.5e3,true,false,null,"]}{\\"]}`,
	`{"code":"X7","seq":7,"code":"X8"}`,
	`{"code":"X9","seq":1e2}`,
	`{}`,
	`{"code":"X10","ſeq":3,"seq":4}`,
	`{"code":"X11","ſeq":3}`,
	`{"code":"X13","seq":4,"ſeq":3}`,
	`{"code":"X14","seq":4,"creditſ":[{"id":"c1"}]}`,
	`{"Code":"X12","seq":1}`,
	`{"code":"X15","seq":1,"status":"captured","created_at":"2026-11-30T09:15:00.123+01:00"}`,
	`{"code":"X16","seq":1,"status":"capt\u0075red","created_at":"2026-11-30T09:15:00Z"}`,
	`{"code":"X17","seq":1,"Status":"refunded","status":"captured","CREATED_AT":"2026-11-30T09:15:00Z"}`,
	`{"code":"X18","seq":1,"status":"captured","status":"pending","created_at":null}`,
	`{"code":"X21","seq":1,"created_at":"2026-11-30T09:15:00Z","created_at":null}`,
	"{\"code\":\"X19\",\"seq\":1,\"status\":\"bad \xff\"}",
	`{"code":"X20","seq":1,"ſtatus":"x","created_at":"yesterday"}`,
}

// The fast path must agree with encoding/json wherever it answers.
func checkFeed(t *testing.T, raw string) {
	if !json.Valid([]byte(raw)) {
		return
	}
	got, err := scanFeedPurchase([]byte(raw))
	var want struct {
		Code       string            `json:"code"`
		Seq        int64             `json:"seq"`
		Deliveries []json.RawMessage `json:"deliveries"`
		Credits    []json.RawMessage `json:"credits"`
		Lines      json.RawMessage   `json:"lines"`
	}
	werr := json.Unmarshal([]byte(raw), &want)
	if (err != nil) != (werr != nil) {
		t.Fatalf("%s: error %v, encoding/json says %v", raw, err, werr)
	}
	if err != nil {
		return
	}
	w := feedPurchase{Code: want.Code, Seq: want.Seq, Activity: len(want.Deliveries)+len(want.Credits) > 0, Lines: want.Lines}
	// The search columns are compared where the purchase decodes whole,
	// as Desk.indexCached decodes it.
	var whole skranke.Purchase
	decoded := json.Unmarshal([]byte(raw), &whole) == nil
	if decoded {
		w.Status, w.Created = string(whole.Status), nanos(whole.CreatedAt)
	} else {
		got = withoutCols(got)
	}
	if !sameFeedPurchase(got, w) {
		t.Fatalf("%s: got %+v, want %+v", raw, got, w)
	}
	// The same purchase in a page, read while the page is decoded.
	p, ok := scanChangesPage([]byte(`{"purchases":[` + raw + `],"next":1}`))
	if !ok || len(p.scanned) != 1 {
		return // Left to encoding/json whole.
	}
	if sp := p.scanned[0]; sp.fast {
		if !decoded {
			sp.fp = withoutCols(sp.fp)
		}
		if !sameFeedPurchase(sp.fp, w) {
			t.Fatalf("%s in a page: got %+v, want %+v", raw, sp.fp, w)
		}
	}
}

func TestScanFeedPurchase(t *testing.T) {
	for _, s := range feedSeeds {
		checkFeed(t, s)
	}
	// A purchase as the shop encodes it.
	p := skranke.Purchase{Code: "ABCD2345", Buyer: skranke.Buyer{Name: `Ola "O" Nordmann\`}, Status: skranke.Captured, Seq: 42,
		Lines:      []skranke.Line{{ID: "1", Name: "T-skjorte {L}", Quantity: 2}},
		Deliveries: []skranke.Delivery{{ID: "d", At: time.Now()}}}
	b, _ := json.Marshal(p)
	checkFeed(t, string(b))
	if fp, ok := scanTop(b); !ok || fp.Code != "ABCD2345" || fp.Seq != 42 || !fp.Activity {
		t.Fatalf("fast path missed a plain purchase: %+v %v", fp, ok)
	}
}

func FuzzScanFeedPurchase(f *testing.F) {
	for _, s := range feedSeeds {
		f.Add(s)
	}
	f.Fuzz(checkFeed)
}

// sameFeedPurchase reports whether a and b read the same of a purchase.
func sameFeedPurchase(a, b feedPurchase) bool {
	return a.Code == b.Code && a.Seq == b.Seq && a.Activity == b.Activity && bytes.Equal(a.Lines, b.Lines) &&
		a.Status == b.Status && a.Created == b.Created
}

// withoutCols is fp without the search columns read.
func withoutCols(fp feedPurchase) feedPurchase {
	fp.Status, fp.Created = "", 0
	return fp
}
