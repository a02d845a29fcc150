package sync

import (
	"encoding/json"
	"reflect"
	"testing"

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
		// Only the figures are read: compare those.
		for i := range want {
			want[i] = skranke.Line{ID: want[i].ID, Quantity: want[i].Quantity, UnitPrice: want[i].UnitPrice,
				Discount: want[i].Discount, Delivered: want[i].Delivered, Credited: want[i].Credited}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: scanned %+v, encoding/json reads %+v", raw, got, want)
		}
	}
}
