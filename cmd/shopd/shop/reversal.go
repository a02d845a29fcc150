package shop

import (
	"net/http"
	"time"

	"github.com/skranke/skranke"
)

// ReversalRequest is the body of POST /deliveries/{id}/reversal.
type ReversalRequest struct {
	ID string    `json:"id"` // Chosen by the desk, so a resend is recognised.
	At time.Time `json:"at"` // When staff undid the delivery; zero is now.
	// RecordedOffline and StatedBy are as for a delivery (DeliveryRequest).
	RecordedOffline bool   `json:"recorded_offline,omitempty"`
	StatedBy        string `json:"stated_by,omitempty"`
}

// ReversalResult is the answer to a reversal.
type ReversalResult struct {
	Reversal skranke.Reversal  `json:"reversal"`
	Purchase *skranke.Purchase `json:"purchase"`
}

// reverse undoes a delivery of the desk's centre: its units count as not
// handed over again, the reversal is recorded with the purchase (and so
// reaches the other desks through the changes feed) and in the centre's
// activity. A delivery is reversed once, within skranke.ReversalLimit of
// when it was made; a delivery of gift cards is never reversed (see
// skranke.Purchase.CheckReversal).
func (s *Server) reverse(tx Tx, req *request) (int, any, error) {
	const op = "shop.Server.reverse"
	var in ReversalRequest
	if err := decode(req, &in); err != nil {
		return 0, nil, err
	}
	if err := checkID("reversal", in.ID); err != nil {
		return 0, nil, err
	}
	deliveryID := req.http.PathValue("id")
	if err := checkID("delivery", deliveryID); err != nil {
		return 0, nil, err
	}
	staff, err := s.deliveringStaff(tx, req, DeliveryRequest{RecordedOffline: in.RecordedOffline, StatedBy: in.StatedBy})
	if err != nil {
		return 0, nil, err
	}
	d, err := tx.Delivery(deliveryID)
	if err != nil {
		return 0, nil, err
	}
	p, err := tx.Purchase(d.PurchaseCode)
	if err != nil {
		return 0, nil, err
	}
	if p.CentreID != req.desk.CentreID {
		// Other centres' deliveries do not exist for this desk.
		return 0, nil, skranke.E(op, skranke.NotFound, "delivery "+deliveryID+" not found")
	}
	if old, err := tx.Reversal(in.ID); err == nil {
		if old.DeliveryID != deliveryID {
			return 0, nil, withStatus(skranke.E(op, skranke.Conflict,
				"reversal id "+in.ID+" was already used for another delivery"), http.StatusUnprocessableEntity, nil)
		}
		return http.StatusCreated, ReversalResult{Reversal: old, Purchase: p}, nil
	} else if skranke.KindOf(err) != skranke.NotFound {
		return 0, nil, err
	}
	at, err := s.actionTime("reversal", in.At, d.At)
	if err != nil {
		return 0, nil, err
	}
	if err := p.CheckReversal(deliveryID, at, skranke.ReversalLimit); err != nil {
		return 0, nil, withState(skranke.E(op, skranke.KindOf(err), err), "purchase", p)
	}
	r := skranke.NewReversal(in.ID, d, req.desk.ID, staff, at)
	r.StatedByDesk = in.RecordedOffline
	p.Reverse(r)
	p.UpdatedAt = s.now()
	if err := tx.AddReversal(p.CentreID, r); err != nil {
		return 0, nil, err
	}
	if err := tx.PutPurchase(p); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, ReversalResult{Reversal: r, Purchase: p}, nil
}
