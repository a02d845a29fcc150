package sync

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/skranke/skranke"
)

// scanLines reads what encoding/json reads of a purchase's lines, or
// leaves them to it.
func TestScanLinesAsEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`null`, `[]`, ` [ ] `,
		`[{"id":"1","product_id":"p","name":"T-skjorte {L} æøå","kind":"physical","quantity":2,"unit_price":24950,"vat_rate":25,"delivered":1}]`,
		`[{"id":"1","quantity":2,"unit_price":-5,"discount":3,"delivered":0,"credited":1},{"id":"2","quantity":1000000}]`,
		`[{"id":"a","quantity":2,"quantity":3}]`,
		`[{"ID":"1","Quantity":2}]`,
		`[{"id":"1","diſcount":5}]`,
		`[{"id":"\u0031","quantity":2}]`,
		`[{"id":"1","quantity":2.5}]`,
		`[{"id":"1","quantity":null}]`,
		`[{"id":"1","unit_price":99999999999999999999}]`,
		`[{"id":"1","quantity":1e3}]`,
		`[{}]`, `[{"x":{"quantity":9},"quantity":1}]`,
		`[{"id":"1","quantity":-0}]`,
		`[{"id":"1","name":"Klippekort \"10\""}]`, `[{"id":"1","name":"\u00c6rlig"}]`,
		"[{\"id\":\"1\",\"name\":\"bad \xff byte\"}]", `[{"id":"1","NAME":"x"}]`, `[{"id":"1","name":7}]`,
	} {
		var want []skranke.Line
		werr := json.Unmarshal([]byte(raw), &want)
		got, ok := scanLines([]byte(raw), nil)
		if !ok {
			continue // Left to encoding/json.
		}
		if werr != nil {
			t.Errorf("%s: scanned %+v, but encoding/json fails: %v", raw, got, werr)
			continue
		}
		// Only the figures and the name are read: compare those.
		for i := range want {
			want[i] = skranke.Line{ID: want[i].ID, Name: want[i].Name, Quantity: want[i].Quantity, UnitPrice: want[i].UnitPrice,
				Discount: want[i].Discount, Delivered: want[i].Delivered, Credited: want[i].Credited}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: scanned %+v, encoding/json reads %+v", raw, got, want)
		}
	}
}

// An entry the shop keeps giving impossible is asked for again after a
// pause that doubles, from half a minute up to an hour.
func TestRefusedRetryPauseGrowsToAnHour(t *testing.T) {
	want := []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for attempts, w := range want {
		if got := refusedRetryAfter(attempts); got != w {
			t.Errorf("after %d attempts: %v, want %v", attempts, got, w)
		}
	}
	if got := refusedRetryAfter(1 << 20); got != time.Hour {
		t.Errorf("after very many attempts: %v, want an hour", got)
	}
}
