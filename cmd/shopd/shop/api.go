package shop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skranke/skranke"
)

// APIPrefix is the path prefix of version 1 of the API.
const APIPrefix = "/api/v1"

func (s *Server) register() {
	p := APIPrefix
	s.add(route{Route: Route{"GET", "/openapi.yaml"}, raw: s.openAPI})
	s.add(route{Route: Route{"GET", p + "/health"}, raw: s.health})
	s.add(route{Route: Route{"GET", p + "/desk"}, auth: authDesk, h: s.getDesk, alone: true})
	s.add(route{Route: Route{"GET", p + "/centres"}, auth: authDesk, h: s.getCentres, alone: true})
	s.add(route{Route: Route{"GET", p + "/staff"}, auth: authDesk, h: s.getStaff, alone: true})
	s.add(route{Route: Route{"POST", p + "/staff/sessions"}, auth: authDesk, raw: s.openSession})
	s.add(route{Route: Route{"DELETE", p + "/staff/sessions/current"}, auth: authDesk, raw: s.closeSession})
	s.add(route{Route: Route{"POST", p + "/actions/{key}/resolve"}, auth: authDesk, raw: s.resolve})
	s.add(route{Route: Route{"GET", p + "/products"}, auth: authDesk, h: s.getProducts, alone: true})
	s.add(route{Route: Route{"POST", p + "/purchases"}, auth: authShop, idem: idemRequired, h: s.createPurchase})
	s.add(route{Route: Route{"GET", p + "/purchases"}, auth: authDesk, h: s.searchPurchases})
	s.add(route{Route: Route{"GET", p + "/purchases/{code}"}, auth: authDesk, h: s.getPurchase, alone: true})
	s.add(route{Route: Route{"POST", p + "/purchases/{code}/deliveries"}, auth: authDesk, idem: idemRequired, h: s.deliver, ahead: deliveryReadAhead,
		parse: func(req *request) (any, error) { return parseDelivery(req) }})
	s.add(route{Route: Route{"POST", p + "/purchases/{code}/credits"}, auth: authDesk, idem: idemRequired, h: s.credit})
	s.add(route{Route: Route{"PUT", p + "/signatures/{id}"}, auth: authDesk, idem: idemOptional, maxBody: MaxSignature, binary: true, h: s.putSignature})
	s.add(route{Route: Route{"GET", p + "/signatures/{id}"}, auth: authDesk, raw: s.getSignature})
	s.add(route{Route: Route{"POST", p + "/giftcards"}, auth: authShop, idem: idemRequired, h: s.issueCard})
	s.add(route{Route: Route{"GET", p + "/giftcards/{code}"}, auth: authDesk, h: s.getCard})
	s.add(route{Route: Route{"POST", p + "/giftcards/{code}/redemptions"}, auth: authDesk, idem: idemRequired, h: s.redeem})
	s.add(route{Route: Route{"POST", p + "/payments/notify"}, auth: authHMAC, idem: idemOptional, h: s.notify})
	s.add(route{Route: Route{"GET", p + "/changes"}, auth: authDesk, raw: s.changes})
	s.add(route{Route: Route{"GET", p + "/deliveries"}, auth: authDesk, h: s.activity})
	s.add(route{Route: Route{"POST", p + "/deliveries/{id}/reversal"}, auth: authDesk, idem: idemRequired, h: s.reverse})
	s.add(route{Route: Route{"GET", p + "/reports/month"}, auth: authDesk, h: s.month})
}

func (s *Server) openAPI(w http.ResponseWriter, req *request) {
	if len(s.cfg.OpenAPI) == 0 {
		writeError(w, skranke.E("shop.Server.openAPI", skranke.NotFound, "this server was started without its OpenAPI document"))
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Write(s.cfg.OpenAPI)
}

func (s *Server) health(w http.ResponseWriter, req *request) {
	err := s.store.View(req.http.Context(), func(tx Tx) error {
		_, err := tx.Centres()
		return err
	})
	if err != nil {
		writeError(w, withStatus(skranke.E("shop.Server.health", skranke.Unavailable, err), http.StatusServiceUnavailable, nil))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "time": s.now()})
}

func (s *Server) getDesk(tx Tx, req *request) (int, any, error) {
	c, err := tx.Centre(req.desk.CentreID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"desk": req.desk, "centre": c}, nil
}

func (s *Server) getCentres(tx Tx, req *request) (int, any, error) {
	cs, err := tx.Centres()
	return http.StatusOK, map[string]any{"centres": cs}, err
}

func (s *Server) getStaff(tx Tx, req *request) (int, any, error) {
	st, err := tx.Staff(req.desk.CentreID)
	for i := range st {
		st[i] = publicStaff(st[i])
	}
	return http.StatusOK, map[string]any{"staff": st}, err
}

func (s *Server) getProducts(tx Tx, req *request) (int, any, error) {
	ps, err := tx.Products()
	return http.StatusOK, map[string]any{"products": ps}, err
}

func pathCode(req *request, what string, length int) (string, error) {
	code := skranke.NormalizeCode(req.http.PathValue("code"))
	if len(code) != length || !skranke.ValidCheck(code) {
		return "", skranke.E("shop.pathCode", skranke.Invalid, fmt.Sprintf("%q is not a valid %s code", req.http.PathValue("code"), what))
	}
	return code, nil
}

// centrePurchase loads a purchase of the desk's centre. Another centre's
// purchase is not found here, but the refusal names that centre (its
// public details only, nothing of the purchase) so that staff can send the
// customer there.
func centrePurchase(tx Tx, req *request) (*skranke.Purchase, error) {
	code, err := pathCode(req, "reference", skranke.ReferenceLen)
	if err != nil {
		return nil, err
	}
	p, err := tx.Purchase(code)
	if err == nil && p.CentreID != req.desk.CentreID {
		return nil, elsewhere(tx, "shop.centrePurchase", "purchase "+code, p.CentreID)
	}
	return p, err
}

// elsewhere is the refusal of an item (what: "purchase K7RM4QX2") that
// belongs to centre: a 404 whose "elsewhere" member holds the centre's
// name, address and phone. Desks that do not know the member still read a
// plain not_found.
func elsewhere(tx Tx, op, what, centre string) error {
	err := skranke.E(op, skranke.NotFound, what+" belongs to another centre of the chain")
	c, cerr := tx.Centre(centre)
	if cerr != nil {
		return err // The centre is gone: nothing to say but not found.
	}
	public := skranke.Centre{ID: c.ID, Name: c.Name, Address: c.Address, Phone: c.Phone}
	return withState(err, "elsewhere", map[string]any{"centre": public})
}

// getPurchase answers with the stored document as it is: decoding and
// encoding it again was most of a lookup's cost. It reads one row (and a
// centre's, rarely), so it needs no transaction (alone in register).
func (s *Server) getPurchase(tx Tx, req *request) (int, any, error) {
	code, err := pathCode(req, "reference", skranke.ReferenceLen)
	if err != nil {
		return 0, nil, err
	}
	centre, doc, err := tx.PurchaseDoc(code)
	if err == nil && centre != req.desk.CentreID {
		err = elsewhere(tx, "shop.Server.getPurchase", "purchase "+code, centre)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, doc, nil
}

func decode(req *request, v any) error {
	if len(req.body) == 0 {
		return skranke.E("shop.decode", skranke.Invalid, "the request body is empty; a JSON object is expected")
	}
	if err := json.Unmarshal(req.body, v); err != nil {
		return skranke.E("shop.decode", skranke.Invalid, "the request body is not valid JSON for this endpoint: "+err.Error())
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,100}$`)

func checkID(what, id string) error {
	if !idPattern.MatchString(id) {
		return skranke.E("shop.checkID", skranke.Invalid, fmt.Sprintf("%s id %q is missing or malformed (letters, digits, - _ . :, at most 100)", what, id))
	}
	return nil
}

// MaxClockSkew is how far a desk's clock may be ahead of the shop's: a
// time up to that far ahead is taken as now, further ahead is refused.
const MaxClockSkew = 5 * time.Minute

// earliestTime is before anything the shop records happened: times before
// it are refused, so that no stored time comes near where Unix nanoseconds
// wrap (1678).
var earliestTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// actionTime is the time a desk says something happened, or now when it
// says nothing. Desks working offline send the time of the hand-over, which
// may be well in the past, but not before notBefore (the purchase or the
// card it acts on; up to MaxClockSkew before it is taken as notBefore) and
// not ahead of the shop's clock by more than MaxClockSkew (up to that is
// taken as now).
func (s *Server) actionTime(what string, at, notBefore time.Time) (time.Time, error) {
	const op = "shop.Server.actionTime"
	now := s.now()
	switch {
	case at.IsZero():
		return now, nil
	case at.After(now.Add(MaxClockSkew)):
		return now, skranke.E(op, skranke.Invalid, fmt.Sprintf("the time of the %s, %s, is ahead of the shop's clock (%s); check the desk's clock",
			what, at.UTC().Format(time.RFC3339), now.Format(time.RFC3339)))
	case at.After(now):
		return now, nil
	}
	if notBefore.Before(earliestTime) {
		notBefore = earliestTime
	}
	if at.Before(notBefore.Add(-MaxClockSkew)) {
		return now, skranke.E(op, skranke.Invalid, fmt.Sprintf("the time of the %s, %s, is before %s; check the desk's clock",
			what, at.UTC().Format(time.RFC3339), notBefore.UTC().Format(time.RFC3339)))
	}
	if at.Before(notBefore) {
		return notBefore.UTC(), nil
	}
	return at.UTC(), nil
}

// DeliveryRequest is the body of POST /purchases/{code}/deliveries.
type DeliveryRequest struct {
	ID          string                  `json:"id"`
	Lines       []skranke.DeliveredLine `json:"lines"`
	At          time.Time               `json:"at"`
	SignatureID string                  `json:"signature_id,omitempty"`
	// RecordedOffline says the desk handed the goods over while it could
	// not reach the shop; StatedBy is the staff member the desk says did.
	// The shop records such a delivery as stated by the desk, without a
	// staff session.
	RecordedOffline bool   `json:"recorded_offline,omitempty"`
	StatedBy        string `json:"stated_by,omitempty"`
	IDChecked       bool   `json:"id_checked,omitempty"` // See skranke.Delivery.
}

// DeliveryResult is the answer to a delivery. Cards lists the gift cards
// the purchase sold when the delivery hands over gift card lines, for the
// desk to print.
type DeliveryResult struct {
	Delivery skranke.Delivery  `json:"delivery"`
	Purchase *skranke.Purchase `json:"purchase"`
	Cards    []skranke.Card    `json:"cards,omitempty"`
}

// soldCards returns the purchase's gift cards if delivery d handed over a
// gift card line.
func soldCards(tx Tx, p *skranke.Purchase, d skranke.Delivery) ([]skranke.Card, error) {
	if !handsOverCards(p, d) {
		return nil, nil
	}
	return tx.CardsOfPurchase(p.Code)
}

// handsOverCards reports whether delivery d of p hands over a gift card
// line.
func handsOverCards(p *skranke.Purchase, d skranke.Delivery) bool {
	for _, dl := range d.Lines {
		for _, l := range p.Lines {
			if l.ID == dl.LineID && l.Kind == skranke.GiftCard {
				return true
			}
		}
	}
	return false
}

// issueSoldCards issues the gift cards a paid purchase sold: one per unit of
// each gift card line, worth the unit's price after discount, valid for
// CardValidity. Cards already issued for the purchase count, so calling it
// again issues nothing. It returns the purchase's cards (as
// Tx.CardsOfPurchase would now) when it sold any.
func (s *Server) issueSoldCards(tx Tx, p *skranke.Purchase) ([]skranke.Card, error) {
	if !p.Status.Deliverable() {
		return nil, nil
	}
	var amounts []skranke.Money
	for _, l := range p.Lines {
		if l.Kind != skranke.GiftCard || l.Quantity <= 0 {
			continue
		}
		total, n := l.Total(), skranke.Money(l.Quantity)
		for i := range l.Quantity {
			a := total / n
			if i == 0 {
				a += total % n
			}
			amounts = append(amounts, a)
		}
	}
	if len(amounts) == 0 {
		return nil, nil
	}
	have, err := tx.CardsOfPurchase(p.Code)
	if err != nil || len(have) >= len(amounts) {
		return have, err
	}
	now := s.now()
	for _, a := range amounts[len(have):] {
		if a <= 0 {
			continue
		}
		code, err := newCardCode(tx)
		if err != nil {
			return nil, err
		}
		c := &skranke.Card{Code: code, CentreID: p.CentreID, InitialAmount: a, Balance: a, Currency: "NOK",
			Status: skranke.CardActive, IssuedAt: now, ExpiresAt: now.Add(CardValidity), PurchaseCode: p.Code}
		if err := tx.PutCard(c); err != nil {
			return nil, err
		}
		have = append(have, *c)
	}
	return have, nil
}

// parseDelivery decodes and checks a delivery's body: what needs no
// database, done before the request's transaction (see route.parse).
func parseDelivery(req *request) (DeliveryRequest, error) {
	var in DeliveryRequest
	if err := decode(req, &in); err != nil {
		return in, err
	}
	if err := checkID("delivery", in.ID); err != nil {
		return in, err
	}
	if in.SignatureID != "" {
		if err := checkID("signature", in.SignatureID); err != nil {
			return in, err
		}
	}
	if len(in.Lines) > skranke.MaxLines {
		return in, skranke.E("shop.Server.deliver", skranke.Invalid, fmt.Sprintf("a delivery has at most %d lines", skranke.MaxLines))
	}
	return in, nil
}

func (s *Server) deliver(tx Tx, req *request) (int, any, error) {
	var in DeliveryRequest
	var err error
	if req.parsed != nil {
		in, err = req.parsed.v.(DeliveryRequest), req.parsed.err
	} else {
		in, err = parseDelivery(req)
	}
	if err != nil {
		return 0, nil, err
	}
	staff, err := s.deliveringStaff(tx, req, in)
	if err != nil {
		return 0, nil, err
	}
	p, err := centrePurchase(tx, req)
	if err != nil {
		return 0, nil, err
	}
	// A delivery is named by the desk, so a resend under a new idempotency
	// key (say, after the desk lost its outbox record of the key) is still
	// recognised and not handed over twice.
	if old, err := tx.Delivery(in.ID); err == nil {
		if old.PurchaseCode != p.Code {
			return 0, nil, skranke.E("shop.Server.deliver", skranke.Conflict, "delivery id "+in.ID+" was used for another purchase")
		}
		if !sameDelivery(old, in) {
			return 0, nil, withStatus(skranke.E("shop.Server.deliver", skranke.Conflict,
				"delivery id "+in.ID+" was already used for a different hand-over"), http.StatusUnprocessableEntity, nil)
		}
		cards, err := soldCards(tx, p, old)
		return http.StatusCreated, DeliveryResult{Delivery: old, Purchase: p, Cards: cards}, err
	} else if !(skranke.KindOf(err) == skranke.NotFound) {
		return 0, nil, err
	}
	if !p.Status.Deliverable() {
		return 0, nil, withState(skranke.E("shop.Server.deliver", skranke.NotPayable,
			fmt.Sprintf("purchase %s is %s; only authorized or captured purchases may be delivered", p.Code, p.Status)), "purchase", p)
	}
	want := map[string]int{}
	var order []string
	if len(in.Lines) == 0 {
		for _, l := range p.Lines {
			if l.Remaining() > 0 {
				want[l.ID] = l.Remaining()
				order = append(order, l.ID)
			}
		}
		if len(order) == 0 {
			return 0, nil, withState(skranke.E("shop.Server.deliver", skranke.Conflict, "purchase "+p.Code+" was already delivered in full"), "purchase", p)
		}
	}
	for _, dl := range in.Lines {
		if dl.Quantity <= 0 || dl.Quantity > skranke.MaxQuantity {
			return 0, nil, skranke.E("shop.Server.deliver", skranke.Invalid,
				fmt.Sprintf("quantity %d for line %s must be between 1 and %d", dl.Quantity, dl.LineID, skranke.MaxQuantity))
		}
		if !slices.ContainsFunc(p.Lines, func(l skranke.Line) bool { return l.ID == dl.LineID }) {
			return 0, nil, skranke.E("shop.Server.deliver", skranke.Invalid, "purchase "+p.Code+" has no line "+strconv.Quote(dl.LineID))
		}
		// A line named twice would have its quantities summed, which is
		// how overflowing sums once handed over more than was bought.
		if _, ok := want[dl.LineID]; ok {
			return 0, nil, skranke.E("shop.Server.deliver", skranke.Invalid, "line "+strconv.Quote(dl.LineID)+" appears twice in one delivery")
		}
		order = append(order, dl.LineID)
		want[dl.LineID] = dl.Quantity
	}
	for i := range p.Lines {
		l := &p.Lines[i]
		if q := want[l.ID]; q > l.Remaining() {
			return 0, nil, withState(skranke.E("shop.Server.deliver", skranke.Conflict,
				fmt.Sprintf("cannot hand over %d × %s: %d of %d remain", q, l.Name, l.Remaining(), l.Quantity)), "purchase", p)
		}
	}
	if p.NeedsSignature(want) {
		if err := s.checkSignatureRef(tx, req, in.SignatureID); err != nil {
			return 0, nil, err
		}
	}
	at, err := s.actionTime("delivery", in.At, p.CreatedAt)
	if err != nil {
		return 0, nil, err
	}
	d := skranke.Delivery{ID: in.ID, PurchaseCode: p.Code, DeskID: req.desk.ID, StaffID: staff.ID,
		StaffName: staff.Name, At: at, SignatureID: in.SignatureID, StatedByDesk: in.RecordedOffline, IDChecked: in.IDChecked}
	for _, id := range order {
		d.Lines = append(d.Lines, skranke.DeliveredLine{LineID: id, Quantity: want[id]})
	}
	for i := range p.Lines {
		p.Lines[i].Delivered += want[p.Lines[i].ID]
	}
	p.Deliveries = append(p.Deliveries, d)
	p.UpdatedAt = s.now()
	if err := tx.AddDelivery(p.CentreID, d); err != nil {
		return 0, nil, err
	}
	if err := tx.PutPurchase(p); err != nil {
		return 0, nil, err
	}
	// Purchases paid before cards were issued automatically (or seeded in
	// bulk) get theirs now, when the desk needs them to print.
	cards, err := s.issueSoldCards(tx, p)
	if err != nil {
		return 0, nil, err
	}
	if !handsOverCards(p, d) {
		cards = nil
	}
	if res := storedDeliveryResult(tx, d, p, cards); res != nil {
		return http.StatusCreated, res, nil
	}
	return http.StatusCreated, DeliveryResult{Delivery: d, Purchase: p, Cards: cards}, nil
}

// docKeeper is a Tx that keeps the JSON documents it stored last, so that
// an answer holding them need not encode them again: in a group commit
// that encoding ran on the one goroutine all writes wait for.
type docKeeper interface {
	// storedDocs returns the documents of delivery deliveryID and of
	// purchase code as this transaction stored them, or nil for one it
	// did not store.
	storedDocs(deliveryID, code string) (delivery, purchase json.RawMessage)
}

// storedDeliveryResult is DeliveryResult{d, p, cards} encoded from the
// documents tx stored for d and p, or nil when tx kept none.
func storedDeliveryResult(tx Tx, d skranke.Delivery, p *skranke.Purchase, cards []skranke.Card) json.RawMessage {
	k, ok := tx.(docKeeper)
	if !ok {
		return nil
	}
	dd, pd := k.storedDocs(d.ID, p.Code)
	if dd == nil || pd == nil {
		return nil
	}
	var cd []byte
	if len(cards) > 0 {
		var err error
		if cd, err = json.Marshal(cards); err != nil {
			return nil
		}
	}
	out := make([]byte, 0, len(`{"delivery":,"purchase":,"cards":}`)+len(dd)+len(pd)+len(cd))
	out = append(append(append(out, `{"delivery":`...), dd...), `,"purchase":`...)
	out = append(out, pd...)
	if cd != nil {
		out = append(append(out, `,"cards":`...), cd...)
	}
	return append(out, '}')
}

// CreditRequest is the body of POST /purchases/{code}/credits: an amount,
// or lines (line_id and quantity; the shop prices them), not both.
type CreditRequest struct {
	ID     string               `json:"id"`
	Amount skranke.Money        `json:"amount,omitempty"`
	Lines  []skranke.CreditLine `json:"lines,omitempty"`
	Reason string               `json:"reason"`
	At     time.Time            `json:"at"`
}

// units returns the request's lines as quantities keyed by line ID, and
// whether a line was named twice.
func (in CreditRequest) units() (map[string]int, bool) {
	u := make(map[string]int, len(in.Lines))
	for _, l := range in.Lines {
		if _, dup := u[l.LineID]; dup {
			return nil, true
		}
		u[l.LineID] = l.Quantity
	}
	return u, false
}

// sameCredit reports whether old is what in asks for: a resend.
func (in CreditRequest) sameCredit(old skranke.Credit) bool {
	if old.Reason != strings.TrimSpace(in.Reason) || len(old.Lines) != len(in.Lines) {
		return false
	}
	if len(in.Lines) == 0 {
		return old.Amount == in.Amount
	}
	u, _ := in.units()
	for _, l := range old.Lines {
		if u[l.LineID] != l.Quantity {
			return false
		}
	}
	return true
}

// CreditResult is the answer to a credit.
type CreditResult struct {
	Credit   skranke.Credit    `json:"credit"`
	Purchase *skranke.Purchase `json:"purchase"`
}

func (s *Server) credit(tx Tx, req *request) (int, any, error) {
	const op = "shop.Server.credit"
	var in CreditRequest
	if err := decode(req, &in); err != nil {
		return 0, nil, err
	}
	if err := checkID("credit", in.ID); err != nil {
		return 0, nil, err
	}
	// The contract's minimum. A line of no units would be dropped from the
	// stored credit, so that the same request sent again, under another
	// Idempotency-Key, would no longer be recognised by its credit id.
	for _, l := range in.Lines {
		if l.Quantity < 1 {
			return 0, nil, skranke.E(op, skranke.Invalid, fmt.Sprintf("credit line %s needs a quantity of at least 1", strconv.Quote(l.LineID)))
		}
	}
	staff, err := s.actingStaff(tx, req)
	if err != nil {
		return 0, nil, err
	}
	approver, err := s.approvingManager(tx, req, staff, "credit a purchase")
	if err != nil {
		return 0, nil, err
	}
	p, err := centrePurchase(tx, req)
	if err != nil {
		return 0, nil, err
	}
	if old, err := tx.Credit(in.ID); err == nil {
		if old.PurchaseCode != p.Code {
			return 0, nil, skranke.E(op, skranke.Conflict, "credit id "+in.ID+" was used for another purchase")
		}
		if !in.sameCredit(old) {
			return 0, nil, withStatus(skranke.E(op, skranke.Conflict,
				"credit id "+in.ID+" was already used for a different credit"), http.StatusUnprocessableEntity, nil)
		}
		return http.StatusCreated, CreditResult{Credit: old, Purchase: p}, nil
	} else if !(skranke.KindOf(err) == skranke.NotFound) {
		return 0, nil, err
	}
	if len(in.Lines) > 0 && in.Amount != 0 {
		return 0, nil, skranke.E(op, skranke.Invalid, "credit either an amount or lines, not both")
	}
	if len(in.Lines) == 0 && (in.Amount <= 0 || in.Amount > skranke.MaxAmount) {
		return 0, nil, skranke.E(op, skranke.Invalid, "the amount to credit must be positive and at most "+skranke.MaxAmount.String())
	}
	if strings.TrimSpace(in.Reason) == "" {
		return 0, nil, skranke.E(op, skranke.Invalid, "a reason is required")
	}
	if !p.Status.Deliverable() {
		return 0, nil, withState(skranke.E(op, skranke.Conflict,
			fmt.Sprintf("purchase %s is %s; only authorized or captured purchases can be credited", p.Code, p.Status)), "purchase", p)
	}
	var lines []skranke.CreditLine
	amount := in.Amount
	if len(in.Lines) > 0 {
		units, dup := in.units()
		if dup {
			return 0, nil, skranke.E(op, skranke.Invalid, "a line is named twice")
		}
		// Priced here, never taken from the desk: at most what was paid for
		// each line less what was credited on it.
		if lines, amount, err = p.CreditLines(units); err != nil {
			if skranke.KindOf(err) == skranke.Conflict {
				return 0, nil, withState(skranke.E(op, skranke.Conflict, err), "purchase", p)
			}
			return 0, nil, skranke.E(op, skranke.KindOf(err), err)
		}
	}
	left := p.Total() - p.CreditedAmount()
	if amount > left {
		return 0, nil, withState(skranke.E(op, skranke.Conflict,
			fmt.Sprintf("cannot credit %s: only %s of %s is left", amount, left, p.Total())), "purchase", p)
	}
	at, err := s.actionTime("credit", in.At, p.CreatedAt)
	if err != nil {
		return 0, nil, err
	}
	c := skranke.Credit{ID: in.ID, PurchaseCode: p.Code, Amount: amount, Lines: lines, Reason: strings.TrimSpace(in.Reason),
		DeskID: req.desk.ID, StaffID: staff.ID, StaffName: staff.Name, ApprovedBy: approver.ID, ApproverName: approver.Name, At: at}
	p.AddCredit(c)
	p.UpdatedAt = s.now()
	if err := tx.AddCredit(p.CentreID, c); err != nil {
		return 0, nil, err
	}
	if err := tx.PutPurchase(p); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreditResult{Credit: c, Purchase: p}, nil
}

func (s *Server) putSignature(tx Tx, req *request) (int, any, error) {
	id := req.http.PathValue("id")
	if err := checkID("signature", id); err != nil {
		return 0, nil, err
	}
	if err := checkSignaturePNG(req.body); err != nil {
		return 0, nil, err
	}
	ans := map[string]any{"id": id, "size": len(req.body)}
	old, err := tx.Signature(id)
	switch {
	case err == nil:
		if string(old.PNG) != string(req.body) {
			return 0, nil, withStatus(skranke.E("shop.Server.putSignature", skranke.Conflict,
				"signature "+id+" was already stored with other content"), http.StatusUnprocessableEntity, nil)
		}
		return http.StatusCreated, ans, nil
	case !(skranke.KindOf(err) == skranke.NotFound):
		return 0, nil, err
	}
	n, err := tx.CountSignatures(req.desk.ID, s.now().Add(-24*time.Hour))
	if err != nil {
		return 0, nil, err
	}
	if n >= s.cfg.MaxSignaturesPerDay {
		return 0, nil, withStatus(skranke.E("shop.Server.putSignature", skranke.Conflict,
			fmt.Sprintf("this desk stored %d signatures in the last 24 hours, the most allowed", n)), http.StatusTooManyRequests, nil)
	}
	err = tx.PutSignature(Signature{ID: id, CentreID: req.desk.CentreID, DeskID: req.desk.ID, PNG: req.body, At: s.now()})
	return http.StatusCreated, ans, err
}

func isPNG(b []byte) bool {
	return len(b) > 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n"
}

func (s *Server) getSignature(w http.ResponseWriter, req *request) {
	id := req.http.PathValue("id")
	var sig Signature
	err := s.store.View(req.http.Context(), func(tx Tx) error {
		st, err := s.actingStaff(tx, req)
		if err != nil {
			return err
		}
		if st.Role != skranke.RoleManager {
			return skranke.E("shop.Server.getSignature", skranke.Forbidden, st.Name+" is "+string(st.Role)+"; only a manager may see signatures")
		}
		sig, err = tx.Signature(id)
		if err == nil && sig.CentreID != req.desk.CentreID {
			err = skranke.E("shop.Server.getSignature", skranke.NotFound, "signature "+id+" not found")
		}
		return err
	})
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(sig.PNG)))
	w.Write(sig.PNG)
}

// CardRequest is the body of POST /giftcards.
type CardRequest struct {
	Amount       skranke.Money `json:"amount"`
	ExpiresAt    time.Time     `json:"expires_at"`
	PurchaseCode string        `json:"purchase_code,omitempty"`
	CentreID     string        `json:"centre_id,omitempty"` // Defaults to the purchase's centre, or the first centre.
}

// CardValidity is how long a gift card is valid when the shop names no
// expiry: three years, the general Norwegian limitation period.
const CardValidity = 3 * 365 * 24 * time.Hour

func (s *Server) issueCard(tx Tx, req *request) (int, any, error) {
	var in CardRequest
	if err := decode(req, &in); err != nil {
		return 0, nil, err
	}
	if in.Amount <= 0 || in.Amount > skranke.MaxAmount {
		return 0, nil, skranke.E("shop.Server.issueCard", skranke.Invalid, "the amount must be positive and at most "+skranke.MaxAmount.String())
	}
	now := s.now()
	if in.ExpiresAt.IsZero() {
		in.ExpiresAt = now.Add(CardValidity)
	}
	if !in.ExpiresAt.After(now) {
		return 0, nil, skranke.E("shop.Server.issueCard", skranke.Invalid, "expires_at is in the past")
	}
	if in.PurchaseCode != "" {
		in.PurchaseCode = skranke.NormalizeCode(in.PurchaseCode)
		p, err := tx.Purchase(in.PurchaseCode)
		if skranke.KindOf(err) == skranke.NotFound {
			// A bad field of the body, as an unknown centre_id is (see
			// centreOrFirst): a 404 would say POST /giftcards is not there.
			return 0, nil, skranke.E("shop.Server.issueCard", skranke.Invalid, "no purchase "+strconv.Quote(in.PurchaseCode))
		}
		if err != nil {
			return 0, nil, err
		}
		if in.CentreID == "" {
			in.CentreID = p.CentreID
		}
	}
	centre, err := s.centreOrFirst(tx, in.CentreID)
	if err != nil {
		return 0, nil, err
	}
	code, err := newCardCode(tx)
	if err != nil {
		return 0, nil, err
	}
	c := &skranke.Card{Code: code, CentreID: centre, InitialAmount: in.Amount, Balance: in.Amount, Currency: "NOK",
		Status: skranke.CardActive, IssuedAt: now, ExpiresAt: in.ExpiresAt.UTC(), PurchaseCode: in.PurchaseCode}
	if err := tx.PutCard(c); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, c, nil
}

func (s *Server) centreOrFirst(tx Tx, id string) (string, error) {
	if id != "" {
		_, err := tx.Centre(id)
		if skranke.KindOf(err) == skranke.NotFound {
			return "", skranke.E("shop.Server.centreOrFirst", skranke.Invalid, "no centre "+strconv.Quote(id))
		}
		return id, err
	}
	cs, err := tx.Centres()
	if err != nil {
		return "", err
	}
	if len(cs) == 0 {
		return "", skranke.E("shop.Server.centreOrFirst", skranke.Invalid, "the shop has no centre yet")
	}
	return cs[0].ID, nil
}

// newCardCode draws gift card codes until one is unused.
func newCardCode(tx Tx) (string, error) {
	for range 10 {
		code := skranke.NewGiftCardCode()
		_, err := tx.Card(code)
		if skranke.KindOf(err) == skranke.NotFound {
			return code, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", skranke.E("shop.newCardCode", skranke.Internal, "no unused gift card code found")
}

// newReference draws reference codes until one is unused.
func newReference(tx Tx) (string, error) {
	for range 20 {
		code := skranke.NewReference()
		_, err := tx.Purchase(code)
		if skranke.KindOf(err) == skranke.NotFound {
			return code, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", skranke.E("shop.newReference", skranke.Internal, "no unused reference code found")
}

// CardResult is the answer to GET /giftcards/{code}.
type CardResult struct {
	Card        *skranke.Card        `json:"card"`
	Chain       []skranke.Card       `json:"chain"`
	Redemptions []skranke.Redemption `json:"redemptions"`
}

func centreCard(tx Tx, req *request) (*skranke.Card, error) {
	code, err := pathCode(req, "gift card", skranke.GiftCardLen)
	if err != nil {
		return nil, err
	}
	c, err := tx.Card(code)
	if err == nil && c.CentreID != req.desk.CentreID {
		return nil, elsewhere(tx, "shop.centreCard", "gift card "+code, c.CentreID)
	}
	return c, err
}

func (s *Server) getCard(tx Tx, req *request) (int, any, error) {
	c, err := centreCard(tx, req)
	if err != nil {
		return 0, nil, err
	}
	chain, err := cardChain(tx, c)
	if err != nil {
		return 0, nil, err
	}
	codes := make([]string, len(chain))
	for i, cc := range chain {
		codes[i] = cc.Code
	}
	rs, err := tx.Redemptions(codes)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, CardResult{Card: c, Chain: chain, Redemptions: rs}, nil
}

// cardChain returns c's ancestors, c and its remainder cards, oldest first.
func cardChain(tx Tx, c *skranke.Card) ([]skranke.Card, error) {
	chain := []skranke.Card{*c}
	seen := map[string]bool{c.Code: true}
	for cur := c; cur.ParentCode != "" && !seen[cur.ParentCode]; {
		parent, err := tx.Card(cur.ParentCode)
		if err != nil {
			return nil, err
		}
		seen[parent.Code] = true
		chain = append([]skranke.Card{*parent}, chain...)
		cur = parent
	}
	for cur := c; cur.RemainderCode != "" && !seen[cur.RemainderCode]; {
		next, err := tx.Card(cur.RemainderCode)
		if err != nil {
			return nil, err
		}
		seen[next.Code] = true
		chain = append(chain, *next)
		cur = next
	}
	return chain, nil
}

// RedeemRequest is the body of POST /giftcards/{code}/redemptions.
type RedeemRequest struct {
	ID     string        `json:"id"`
	Amount skranke.Money `json:"amount"`
	At     time.Time     `json:"at"`
}

// RedeemResult is the answer to a redemption: the used card, now voided or
// spent, and the remainder card if something was left.
type RedeemResult struct {
	Redemption skranke.Redemption `json:"redemption"`
	Card       *skranke.Card      `json:"card"`
	Remainder  *skranke.Card      `json:"remainder"`
}

// redeem spends amount of a card in one transaction: the card is voided and
// a remainder card issued for what is left (same expiry, parent link), or the
// card is spent when nothing is left. Write transactions never overlap, so
// concurrent redemptions of one card see each other's result and the second
// finds the card voided.
func (s *Server) redeem(tx Tx, req *request) (int, any, error) {
	var in RedeemRequest
	if err := decode(req, &in); err != nil {
		return 0, nil, err
	}
	if err := checkID("redemption", in.ID); err != nil {
		return 0, nil, err
	}
	staff, err := s.actingStaff(tx, req)
	if err != nil {
		return 0, nil, err
	}
	c, err := centreCard(tx, req)
	if err != nil {
		return 0, nil, err
	}
	if old, err := tx.Redemption(in.ID); err == nil {
		if old.CardCode != c.Code {
			return 0, nil, skranke.E("shop.Server.redeem", skranke.Conflict, "redemption id "+in.ID+" was used for another card")
		}
		if old.Amount != in.Amount {
			return 0, nil, withStatus(skranke.E("shop.Server.redeem", skranke.Conflict,
				"redemption id "+in.ID+" was already used for a different amount"), http.StatusUnprocessableEntity, nil)
		}
		res := RedeemResult{Redemption: old, Card: c}
		if old.RemainderCode != "" {
			if res.Remainder, err = tx.Card(old.RemainderCode); err != nil {
				return 0, nil, err
			}
		}
		return http.StatusCreated, res, nil
	} else if !(skranke.KindOf(err) == skranke.NotFound) {
		return 0, nil, err
	}
	if in.Amount <= 0 || in.Amount > skranke.MaxAmount {
		return 0, nil, skranke.E("shop.Server.redeem", skranke.Invalid, "the amount to redeem must be positive and at most "+skranke.MaxAmount.String())
	}
	now := s.now()
	switch {
	case c.Status == skranke.CardVoided:
		return 0, nil, withState(skranke.E("shop.Server.redeem", skranke.Conflict,
			"gift card "+c.Code+" was replaced by remainder card "+c.RemainderCode), "card", c)
	case c.Status == skranke.CardSpent || c.Balance <= 0:
		return 0, nil, withState(skranke.E("shop.Server.redeem", skranke.Conflict, "gift card "+c.Code+" is used up"), "card", c)
	case !now.Before(c.ExpiresAt):
		return 0, nil, withState(skranke.E("shop.Server.redeem", skranke.Conflict,
			"gift card "+c.Code+" expired on "+c.ExpiresAt.Format("2006-01-02")), "card", c)
	case in.Amount > c.Balance:
		return 0, nil, withState(skranke.E("shop.Server.redeem", skranke.Conflict,
			fmt.Sprintf("cannot redeem %s: the balance of gift card %s is %s", in.Amount, c.Code, c.Balance)), "card", c)
	}
	at, err := s.actionTime("redemption", in.At, c.IssuedAt)
	if err != nil {
		return 0, nil, err
	}
	r := skranke.Redemption{ID: in.ID, CardCode: c.Code, Amount: in.Amount, DeskID: req.desk.ID,
		StaffID: staff.ID, StaffName: staff.Name, At: at}
	res := RedeemResult{Card: c}
	if left := c.Balance - in.Amount; left > 0 {
		code, err := newCardCode(tx)
		if err != nil {
			return 0, nil, err
		}
		rem := &skranke.Card{Code: code, CentreID: c.CentreID, InitialAmount: left, Balance: left, Currency: c.Currency,
			Status: skranke.CardActive, IssuedAt: at, ExpiresAt: c.ExpiresAt, ParentCode: c.Code, PurchaseCode: c.PurchaseCode}
		c.Status = skranke.CardVoided
		c.RemainderCode = code
		r.RemainderCode = code
		res.Remainder = rem
	} else {
		c.Status = skranke.CardSpent
	}
	// The remainder card is issued, and this one closed, when the desk
	// redeemed (offline, that can be before now), so that the gift card
	// liability of a month never counts the balance twice or not at all.
	c.Balance, c.ClosedAt = 0, at
	if err := tx.PutCard(c); err != nil {
		return 0, nil, err
	}
	if res.Remainder != nil {
		if err := tx.PutCard(res.Remainder); err != nil {
			return 0, nil, err
		}
	}
	if err := tx.AddRedemption(c.CentreID, r); err != nil {
		return 0, nil, err
	}
	res.Redemption = r
	return http.StatusCreated, res, nil
}

// Notification is the body of POST /payments/notify, as an acquirer sends it.
type Notification struct {
	EventID   string                `json:"event_id"`
	Reference string                `json:"reference"`
	Status    skranke.PaymentStatus `json:"status"`
	Acquirer  string                `json:"acquirer"`
}

// transitions lists the payment status changes an acquirer may make.
// Notifications that would move a purchase backwards (authorized after
// captured, arriving out of order) are acknowledged and ignored.
var transitions = map[skranke.PaymentStatus][]skranke.PaymentStatus{
	skranke.Pending:    {skranke.Authorized, skranke.Captured, skranke.Failed, skranke.Cancelled},
	skranke.Failed:     {skranke.Pending, skranke.Authorized, skranke.Captured, skranke.Cancelled},
	skranke.Authorized: {skranke.Captured, skranke.Cancelled, skranke.Failed},
	skranke.Captured:   {skranke.Credited},
}

func (s *Server) notify(tx Tx, req *request) (int, any, error) {
	var in Notification
	if err := decode(req, &in); err != nil {
		return 0, nil, err
	}
	if err := checkID("event", in.EventID); err != nil {
		return 0, nil, err
	}
	if !in.Status.Valid() {
		return 0, nil, skranke.E("shop.Server.notify", skranke.Invalid, "unknown payment status "+strconv.Quote(string(in.Status)))
	}
	code := skranke.NormalizeCode(in.Reference)
	p, err := tx.Purchase(code)
	if err != nil {
		return 0, nil, err
	}
	seen, err := tx.PaymentEvent(in.EventID)
	if err != nil || seen {
		return http.StatusOK, p, err
	}
	if p.Status != in.Status {
		switch {
		case slices.Contains(transitions[p.Status], in.Status):
			p.Status = in.Status
			if in.Acquirer != "" {
				p.Acquirer = in.Acquirer
			}
			p.UpdatedAt = s.now()
			if err := tx.PutPurchase(p); err != nil {
				return 0, nil, err
			}
			if _, err := s.issueSoldCards(tx, p); err != nil {
				return 0, nil, err
			}
		case p.Status == skranke.Captured && in.Status == skranke.Authorized:
			// A late authorization after the capture: nothing to do.
		default:
			return 0, nil, withState(skranke.E("shop.Server.notify", skranke.Conflict,
				fmt.Sprintf("purchase %s cannot go from %s to %s", p.Code, p.Status, in.Status)), "purchase", p)
		}
	}
	if err := tx.AddPaymentEvent(in.EventID, p.Code, in.Status, s.now()); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

func (s *Server) createPurchase(tx Tx, req *request) (int, any, error) {
	var p skranke.Purchase
	if err := decode(req, &p); err != nil {
		return 0, nil, err
	}
	if err := s.preparePurchase(tx, &p); err != nil {
		return 0, nil, err
	}
	code, err := newReference(tx)
	if err != nil {
		return 0, nil, err
	}
	p.Code = code
	if err := tx.PutPurchase(&p); err != nil {
		return 0, nil, err
	}
	if _, err := s.issueSoldCards(tx, &p); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, &p, nil
}

var vatRates = []int{0, 12, 15, 25}

// preparePurchase checks a purchase sent by the web shop and fills in what
// the product catalogue knows.
func (s *Server) preparePurchase(tx Tx, p *skranke.Purchase) error {
	const op = "shop.Server.preparePurchase"
	centre, err := s.centreOrFirst(tx, p.CentreID)
	if err != nil {
		return err
	}
	p.CentreID = centre
	if strings.TrimSpace(p.Buyer.Name) == "" {
		return skranke.E(op, skranke.Invalid, "buyer.name is required")
	}
	// Refused rather than cut: a cut e-mail address or phone number would
	// reach the wrong customer, and the web shop should tell its own.
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"buyer.name", p.Buyer.Name, skranke.MaxBuyerName},
		{"buyer.email", p.Buyer.Email, skranke.MaxBuyerEmail},
		{"buyer.phone", p.Buyer.Phone, skranke.MaxBuyerPhone},
	} {
		if utf8.RuneCountInString(f.value) > f.max {
			return skranke.E(op, skranke.Invalid, fmt.Sprintf("%s has more than %d characters", f.name, f.max))
		}
	}
	if p.Status == "" {
		p.Status = skranke.Pending
	}
	if !p.Status.Valid() || p.Status == skranke.Credited {
		return skranke.E(op, skranke.Invalid, "a new purchase cannot have payment status "+strconv.Quote(string(p.Status)))
	}
	if len(p.Lines) == 0 || len(p.Lines) > skranke.MaxLines {
		return skranke.E(op, skranke.Invalid, fmt.Sprintf("a purchase needs between 1 and %d lines", skranke.MaxLines))
	}
	ids := map[string]bool{}
	var total skranke.Money
	for i := range p.Lines {
		l := &p.Lines[i]
		if l.ProductID != "" {
			prod, err := tx.Product(l.ProductID)
			if skranke.KindOf(err) == skranke.NotFound {
				return skranke.E(op, skranke.Invalid, "no product "+strconv.Quote(l.ProductID))
			}
			if err != nil {
				return err
			}
			if l.Name == "" {
				l.Name = prod.Name
			}
			if l.Kind == "" {
				l.Kind = prod.Kind
			}
			if l.UnitPrice == 0 {
				l.UnitPrice = prod.UnitPrice
			}
			if l.VATRate == 0 {
				l.VATRate = prod.VATRate
			}
		}
		if l.ID == "" {
			l.ID = strconv.Itoa(i + 1)
		}
		switch {
		case ids[l.ID]:
			return skranke.E(op, skranke.Invalid, "line id "+strconv.Quote(l.ID)+" appears twice")
		case l.Name == "":
			return skranke.E(op, skranke.Invalid, fmt.Sprintf("line %s needs a name or a product_id", l.ID))
		case l.Kind != skranke.Service && l.Kind != skranke.Physical && l.Kind != skranke.GiftCard:
			return skranke.E(op, skranke.Invalid, fmt.Sprintf("line %s has unknown kind %q", l.ID, l.Kind))
		case l.Quantity <= 0 || l.Quantity > skranke.MaxQuantity:
			return skranke.E(op, skranke.Invalid, fmt.Sprintf("line %s needs a quantity between 1 and %d", l.ID, skranke.MaxQuantity))
		case l.UnitPrice > skranke.MaxAmount:
			return skranke.E(op, skranke.Invalid, fmt.Sprintf("line %s has a unit price above %s", l.ID, skranke.MaxAmount))
		case l.UnitPrice < 0 || l.Discount < 0 || l.Discount > skranke.Money(l.Quantity)*l.UnitPrice:
			return skranke.E(op, skranke.Invalid, fmt.Sprintf("line %s has a negative price or a discount above its amount", l.ID))
		case !slices.Contains(vatRates, l.VATRate):
			return skranke.E(op, skranke.Invalid, fmt.Sprintf("line %s has VAT rate %d; Norwegian rates are 0, 12, 15 and 25", l.ID, l.VATRate))
		}
		ids[l.ID] = true
		l.Delivered, l.Credited = 0, 0
		// Quantity and price are bounded above, so their product fits;
		// the checks say so where the bounds are out of sight.
		amount, ok := skranke.MulMoney(l.UnitPrice, int64(l.Quantity))
		if ok {
			total, ok = skranke.AddMoney(total, amount-l.Discount)
		}
		if !ok || amount-l.Discount > skranke.MaxAmount || total > skranke.MaxAmount {
			return skranke.E(op, skranke.Invalid, fmt.Sprintf("line %s takes the purchase above %s", l.ID, skranke.MaxAmount))
		}
	}
	now := s.now()
	p.Deliveries, p.Credits = nil, nil
	if p.CreatedAt.IsZero() || p.CreatedAt.After(now) {
		p.CreatedAt = now
	}
	if p.CreatedAt.Before(earliestTime) {
		return skranke.E(op, skranke.Invalid, "created_at is before the year 2000")
	}
	p.CreatedAt = p.CreatedAt.UTC()
	p.UpdatedAt = now
	return nil
}

// changes serves a page of the changes feed (see pagePool.write).
func (s *Server) changes(w http.ResponseWriter, req *request) {
	q := req.http.URL.Query()
	since, limit := int64(0), DefaultChangesLimit
	var err error
	if v := q.Get("since"); v != "" {
		if since, err = strconv.ParseInt(v, 10, 64); err != nil || since < 0 {
			writeError(w, skranke.E("shop.Server.changes", skranke.Invalid, "since must be a sequence number ≥ 0"))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			writeError(w, skranke.E("shop.Server.changes", skranke.Invalid, "limit must be a positive number"))
			return
		}
		limit = min(limit, MaxChangesLimit)
	}
	// See feed.go for why these answers are never behind the database.
	ctx := req.http.Context()
	head, err := s.heads.get(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = skranke.E("shop.Server.changes", skranke.Unavailable, err)
		}
		writeError(w, err)
		return
	}
	if head < since {
		// The desk saw numbers this database never gave: it was
		// restored from an earlier copy, and the numbers after head will
		// be given again to other changes. The desk must start over.
		s.log.Warn("a desk's changes feed cursor is beyond the feed's head: the database was restored from an earlier copy; the desk syncs from the start",
			"desk", req.desk.ID, "since", since, "head", head)
		writeError(w, withStatus(skranke.E("shop.Server.changes", skranke.Conflict,
			fmt.Sprintf("since %d is beyond the changes feed's head %d: the shop's database was restored from an earlier copy; sync from the start (since=0)", since, head)),
			http.StatusGone, map[string]any{"head": head}))
		return
	}
	if head == since {
		writePage(w, appendPage(nil, Changes{Next: since}), false)
		return
	}
	centre := req.desk.CentreID
	key := pageKey{centre: centre, since: since, limit: limit, gzip: acceptsGzip(req.http)}
	p, err := s.feed.get(key, head, func() ([]byte, bool, int64, error) {
		// The desks waiting for this page share it: one hanging up must
		// not cancel it for the others.
		ctx, cancel := context.WithTimeout(withDurableHead(context.WithoutCancel(ctx), head), headReadTimeout)
		defer cancel()
		var ch Changes
		var at int64
		err := s.store.View(ctx, func(tx Tx) error {
			var err error
			if at, err = tx.FeedHead(); err != nil {
				return err
			}
			ch, err = tx.Changes(centre, since, limit)
			return err
		})
		if err != nil {
			return nil, false, 0, err
		}
		body, gzipped := s.pages.render(ch, key.gzip)
		return body, gzipped, at, nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writePage(w, p.body, p.gzipped)
}

func (s *Server) activity(tx Tx, req *request) (int, any, error) {
	q := req.http.URL.Query()
	to := s.now()
	from := to.Add(-24 * time.Hour)
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return 0, nil, skranke.E("shop.Server.activity", skranke.Invalid, "from must be an RFC 3339 time")
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return 0, nil, skranke.E("shop.Server.activity", skranke.Invalid, "to must be an RFC 3339 time")
		}
	}
	// Stored times are Unix nanoseconds: bounds outside what they can
	// hold would wrap.
	if from.Before(earliestTime) {
		from = earliestTime
	}
	if latest := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC); to.After(latest) {
		to = latest
	}
	a, err := tx.Activity(req.desk.CentreID, from, to)
	return http.StatusOK, a, err
}

// deliveringStaff is who made a delivery: the staff member of the request's
// session, or, for a delivery the desk recorded offline, the staff member
// the desk states (who must work at its centre).
func (s *Server) deliveringStaff(tx Tx, req *request, in DeliveryRequest) (skranke.Staff, error) {
	if !in.RecordedOffline {
		return s.actingStaff(tx, req)
	}
	const op = "shop.Server.deliveringStaff"
	id := strings.TrimSpace(in.StatedBy)
	if id == "" {
		return skranke.Staff{}, skranke.E(op, skranke.Invalid, "a delivery recorded offline names the staff member who made it (stated_by)")
	}
	st, err := tx.StaffMember(id)
	if skranke.KindOf(err) == skranke.NotFound || (err == nil && st.CentreID != req.desk.CentreID) {
		return st, skranke.E(op, skranke.Forbidden, "staff member "+id+" does not work at this centre")
	}
	return st, err
}

// sameDelivery reports whether a delivery request asks for what an earlier
// delivery with its id did: the same lines and quantities (a request naming
// none asked for whatever was left) and the same signature.
func sameDelivery(old skranke.Delivery, in DeliveryRequest) bool {
	if old.SignatureID != in.SignatureID {
		return false
	}
	if len(in.Lines) == 0 {
		return true
	}
	if len(in.Lines) != len(old.Lines) {
		return false
	}
	had := map[string]int{}
	for _, l := range old.Lines {
		had[l.LineID] = l.Quantity
	}
	for _, l := range in.Lines {
		if q, ok := had[l.LineID]; !ok || q != l.Quantity {
			return false
		}
		delete(had, l.LineID)
	}
	return true
}

// checkSignatureRef checks that a delivery of physical goods names a
// signature the desk's centre has stored.
func (s *Server) checkSignatureRef(tx Tx, req *request, id string) error {
	const op = "shop.Server.checkSignatureRef"
	if id == "" {
		return skranke.E(op, skranke.Invalid, "physical goods need the buyer's signature (signature_id); upload it first")
	}
	sig, err := tx.Signature(id)
	if skranke.KindOf(err) == skranke.NotFound || (err == nil && sig.CentreID != req.desk.CentreID) {
		return skranke.E(op, skranke.Invalid, "signature "+id+" is not known to the shop; upload it before the delivery")
	}
	return err
}

// checkSignaturePNG checks that b is a whole PNG image no larger than the
// limits: a signature is kept for years and printed, so it must be one.
func checkSignaturePNG(b []byte) error {
	const op = "shop.checkSignaturePNG"
	if !isPNG(b) {
		return skranke.E(op, skranke.Invalid, "the body is not a PNG image")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return skranke.E(op, skranke.Invalid, "the PNG image cannot be read: "+err.Error())
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > skranke.MaxSignatureWidth || cfg.Height > skranke.MaxSignatureHeight {
		return skranke.E(op, skranke.Invalid, fmt.Sprintf("the signature is %d × %d pixels; at most %d × %d are accepted",
			cfg.Width, cfg.Height, skranke.MaxSignatureWidth, skranke.MaxSignatureHeight))
	}
	// The size is bounded, so decoding the whole image is too: it proves
	// the image can be printed later.
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		return skranke.E(op, skranke.Invalid, "the PNG image is damaged: "+err.Error())
	}
	return nil
}
