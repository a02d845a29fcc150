package shop

import (
	"context"
	"encoding/json"

	"github.com/skranke/skranke"
)

// updateReading implements readAheadUpdater: before fn's job is queued
// for the group committer, the purchase ra names is read and decoded on a
// reader, by the request's own goroutine, while the committer runs other
// Updates. In the Update, Purchase takes it if the row still has the feed
// number it had (see purchaseAhead), reading only that number: decoding
// the document was a good part of what a delivery cost the one goroutine
// every write waits for.
func (s *SQLite) updateReading(ctx context.Context, ra *readAhead, fn func(Tx) error) error {
	var ahead *purchaseAhead
	if ra != nil && ra.purchase != "" {
		ahead = s.readPurchaseAhead(ra.purchase)
	}
	if ahead == nil {
		return s.commits.update(ctx, nil, fn)
	}
	return s.commits.update(ctx, nil, func(tx Tx) error {
		tx.(*sqlTx).ahead = ahead
		return fn(tx)
	})
}

// purchaseAhead is a purchase as committed when read ahead, with its feed
// number. Every write of a purchase's row gives it a new number from the
// feed's counter, higher than any committed before (numbers taken by
// writes rolled back are handed out again, but only above the committed
// head, which the row's number read ahead is at or under). So the row
// holds the same purchase as long as it holds the same number.
type purchaseAhead struct {
	seq int64
	p   *skranke.Purchase
}

// readPurchaseAhead reads and decodes purchase code as committed now, or
// returns nil (the Update reads it then, and fails as it would have).
func (s *SQLite) readPurchaseAhead(code string) *purchaseAhead {
	// Not the request's context: the read is short, and a context that
	// can end costs the driver a goroutine watching it.
	ctx := context.Background()
	a := &purchaseAhead{p: &skranke.Purchase{}}
	var doc []byte
	t := &sqlTx{ctx: ctx, tx: s.reader, stmts: s.rstmts}
	err := t.queryRow("SELECT seq, doc FROM purchases WHERE code = ?", code).Scan(&a.seq, &doc)
	s.rstmts.flush(ctx)
	if err != nil || json.Unmarshal(doc, a.p) != nil {
		return nil
	}
	return a
}
