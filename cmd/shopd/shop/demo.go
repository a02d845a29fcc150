package shop

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skranke/skranke"
)

// The demo centre's fixed names and secrets. They are for demos and tests on
// loopback only.
const (
	DemoCentreID     = "aktiv-majorstuen"
	DemoDeskID       = "resepsjon-1"
	DemoDeskToken    = "demo-desk-token"
	DemoDesk2ID      = "resepsjon-2"
	DemoDesk2Token   = "demo-desk-token-2"
	DemoShopToken    = "demo-shop-token"
	DemoNotifySecret = "demo-notify-secret"
	// A second centre of the chain, whose data the demo desks must not see.
	DemoOtherCentreID  = "aktiv-sandnes"
	DemoOtherDeskToken = "demo-desk-token-sandnes"
)

// The demo staff. PINs are printed by shopd -demo-codes.
const (
	DemoStaffID      = "kari"   // Kari Nordmann, staff, PIN 1234.
	DemoStaff2ID     = "jonas"  // Jonas Brække, staff, PIN 4321.
	DemoManagerID    = "ingrid" // Ingrid Solbakken, manager, PIN 999999.
	DemoAccountantID = "per"    // Per Åsheim, accountant, PIN 555555.

	DemoStaffPIN      = "1234"   // Kari Nordmann's PIN.
	DemoStaff2PIN     = "4321"   // Jonas Brække's PIN.
	DemoManagerPIN    = "999999" // Ingrid Solbakken's PIN: managers have six digits at least.
	DemoAccountantPIN = "555555" // Per Åsheim's PIN.

	DemoOtherManagerID  = "lise"   // Lise Tjøstheim, manager at the other centre.
	DemoOtherManagerPIN = "888888" // Lise Tjøstheim's PIN.
)

// DemoCode is one code of the demo data, with a stable label that tests and
// the README use to name it.
type DemoCode struct {
	Label string // Such as "paid-course" or "card-chain".
	Kind  string // "purchase" or "giftcard".
	Code  string
	State string // Payment status or gift card status (with balance).
	About string // Buyer and goods, or the card's story.
}

// demoStaff is a staff member with the PIN the demo prints and the salt of
// its verifier.
type demoStaff struct {
	skranke.Staff
	PIN  string
	salt []byte
}

// demoVerifiers are the demo staff's PIN verifiers (NewPINVerifier's form,
// with the demo's fixed salts), worked out once: computing five on every
// seed would cost a test that starts a shop half a second. A test checks
// that they match the PINs, salts and parameters.
var demoVerifiers = map[string]string{
	"kari":   "$argon2id$v=19$m=49152,t=3,p=1$l87DDGxbwIP+cQMAPlXorQ$9HL1tQ35GNngPhrWIPdTKq3pDc8uzvr4a7u2bWBD0SU",
	"jonas":  "$argon2id$v=19$m=49152,t=3,p=1$K80LOl0zhMAK6u6qVy/ERg$Oev8rw0qEC0ydNgh1+tdX4Rf4BKwmDbBTbtXidcR8Os",
	"ingrid": "$argon2id$v=19$m=49152,t=3,p=1$tbob6fWqZq8OkzTZoWULWw$SZ5HA7uBI76A20yVWmrw112mplCzijtTCVTKdFhspJA",
	"per":    "$argon2id$v=19$m=49152,t=3,p=1$6WyRBT2OccnGzTYesP8ojw$hk7nYz9AYYy3fS0sfMBxO06cN5/vn7r4k0xKVXOiA5o",
	"lise":   "$argon2id$v=19$m=49152,t=3,p=1$qxuBhkzcXzViqgJVLQXgPg$2B6hQl69Z8h4Qu4qTlReva9u+wv+Sv9z+MJiseYg04k",
}

// demoSet is everything the demo seed writes.
type demoSet struct {
	centres     []skranke.Centre
	desks       []skranke.DeskInfo
	tokens      []string
	staff       []demoStaff
	products    []skranke.Product
	purchases   []*skranke.Purchase
	cards       []*skranke.Card
	redemptions []skranke.Redemption
	signatures  []Signature
	codes       []DemoCode
}

func kr(n int64) skranke.Money { return skranke.Money(n * 100) }

var demoProducts = []skranke.Product{
	{ID: "kurs-spinning-10", Name: "Spinning, klippekort 10 timer", Kind: skranke.Service, UnitPrice: kr(1490), VATRate: 25},
	{ID: "kurs-yoga-8", Name: "Yoga for nybegynnere, 8 uker", Kind: skranke.Service, UnitPrice: kr(1200), VATRate: 25},
	{ID: "dropin-squash", Name: "Drop-in squash 45 min", Kind: skranke.Service, UnitPrice: kr(150), VATRate: 25},
	{ID: "dropin-sal", Name: "Drop-in treningssal", Kind: skranke.Service, UnitPrice: kr(120), VATRate: 25},
	{ID: "pt-60", Name: "Personlig trener 60 min", Kind: skranke.Service, UnitPrice: kr(790), VATRate: 25},
	{ID: "pt-pakke-3", Name: "PT-pakke 3 × 60 min", Kind: skranke.Service, UnitPrice: kr(2190), VATRate: 25},
	{ID: "massasje-30", Name: "Massasje 30 min", Kind: skranke.Service, UnitPrice: kr(550), VATRate: 25},
	{ID: "massasje-60", Name: "Massasje 60 min", Kind: skranke.Service, UnitPrice: kr(890), VATRate: 25},
	{ID: "badstue-dag", Name: "Badstue, dagspass", Kind: skranke.Service, UnitPrice: kr(90), VATRate: 25},
	{ID: "shaker", Name: "Proteinshaker 700 ml", Kind: skranke.Physical, UnitPrice: kr(149), VATRate: 25},
	{ID: "tskjorte-s", Name: "T-skjorte Aktiv, S", Kind: skranke.Physical, UnitPrice: kr(249), VATRate: 25},
	{ID: "tskjorte-m", Name: "T-skjorte Aktiv, M", Kind: skranke.Physical, UnitPrice: kr(249), VATRate: 25},
	{ID: "tskjorte-l", Name: "T-skjorte Aktiv, L", Kind: skranke.Physical, UnitPrice: kr(249), VATRate: 25},
	{ID: "tskjorte-xl", Name: "T-skjorte Aktiv, XL", Kind: skranke.Physical, UnitPrice: kr(249), VATRate: 25},
	{ID: "drikkeflaske", Name: "Drikkeflaske 1 l", Kind: skranke.Physical, UnitPrice: kr(199), VATRate: 25},
	{ID: "proteinbar-12", Name: "Proteinbar, 12-pakning", Kind: skranke.Physical, UnitPrice: kr(349), VATRate: 15},
	{ID: "hengelaas", Name: "Hengelås til garderobeskap", Kind: skranke.Physical, UnitPrice: kr(99), VATRate: 25},
	{ID: "gavekort-500", Name: "Gavekort 500 kr", Kind: skranke.GiftCard, UnitPrice: kr(500), VATRate: 0},
	{ID: "gavekort-1000", Name: "Gavekort 1 000 kr", Kind: skranke.GiftCard, UnitPrice: kr(1000), VATRate: 0},
	{ID: "gavekort-2000", Name: "Gavekort 2 000 kr", Kind: skranke.GiftCard, UnitPrice: kr(2000), VATRate: 0},
}

var demoBuyers = []string{
	"Åse Ødegård", "Bjørn Kværnes", "Sigrid Æsøy", "Øystein Bråten", "Ingvild Sæther", "Håkon Mørk",
	"Tiril Grøndahl", "Jørgen Aasen", "Solveig Østby", "Eirik Hæhre", "Line Fjærli", "Kjersti Ørn",
	"Torbjørn Vågen", "Mari Skårdal", "Ragnhild Brække", "Nils Åkre", "Hanne Bølstad", "Even Sørli",
	"Synnøve Ljøkjel", "Marius Løvås", "Åshild Kleppe", "Gudrun Dæhlie", "Pål Strøm", "Vegard Næss",
	"Astrid Hølaas", "Ståle Bjørnstad", "Frøydis Lærum", "Ørjan Tønnessen", "Maren Haugsbø", "Sindre Ødemark",
}

// asciiReplacer spells Norwegian letters the way e-mail addresses do.
var asciiReplacer = strings.NewReplacer("æ", "ae", "ø", "o", "å", "aa", "Æ", "ae", "Ø", "o", "Å", "aa", " ", ".")

// asciiName makes an e-mail local part of a Norwegian name.
func asciiName(name string) string { return strings.ToLower(asciiReplacer.Replace(name)) }

// demoCodeRNG returns the generator of a demo code series. Codes come from
// their own generators so that they stay the same when the demo's content
// changes.
func demoCodeRNG(series uint64) *rand.Rand { return rand.New(rand.NewPCG(20261124, series)) }

func demoCode(r *rand.Rand, n int) string {
	b := make([]byte, n-1)
	for i := range b {
		b[i] = skranke.Alphabet[r.IntN(len(skranke.Alphabet))]
	}
	return string(b) + string(skranke.CheckSymbol(string(b)))
}

// demoData builds the demo centre relative to now. Codes, states and
// contents are the same on every run; only times move with now.
func demoData(now time.Time) *demoSet {
	now = now.UTC().Truncate(time.Second)
	d := &demoSet{products: demoProducts}
	d.centres = []skranke.Centre{
		{ID: DemoCentreID, Name: "Aktiv Trening Majorstuen", Address: "Kirkeveien 64, 0364 Oslo", Phone: "+47 22 60 00 00", OrgNo: "998 877 665"},
		{ID: DemoOtherCentreID, Name: "Aktiv Trening Sandnes", Address: "Langgata 12, 4306 Sandnes", Phone: "+47 51 60 00 00", OrgNo: "998 877 665"},
	}
	d.desks = []skranke.DeskInfo{
		{ID: DemoDeskID, Name: "Resepsjon 1", CentreID: DemoCentreID},
		{ID: DemoDesk2ID, Name: "Resepsjon 2", CentreID: DemoCentreID},
		{ID: "sandnes-1", Name: "Resepsjon Sandnes", CentreID: DemoOtherCentreID},
	}
	d.tokens = []string{DemoDeskToken, DemoDesk2Token, DemoOtherDeskToken}
	saltRNG := demoCodeRNG(9)
	for _, s := range []demoStaff{
		{skranke.Staff{ID: DemoStaffID, Name: "Kari Nordmann", Role: skranke.RoleStaff, CentreID: DemoCentreID}, DemoStaffPIN, nil},
		{skranke.Staff{ID: DemoStaff2ID, Name: "Jonas Brække", Role: skranke.RoleStaff, CentreID: DemoCentreID}, DemoStaff2PIN, nil},
		{skranke.Staff{ID: DemoManagerID, Name: "Ingrid Solbakken", Role: skranke.RoleManager, CentreID: DemoCentreID}, DemoManagerPIN, nil},
		{skranke.Staff{ID: DemoAccountantID, Name: "Per Åsheim", Role: skranke.RoleAccountant, CentreID: DemoCentreID}, DemoAccountantPIN, nil},
		{skranke.Staff{ID: DemoOtherManagerID, Name: "Lise Tjøstheim", Role: skranke.RoleManager, CentreID: DemoOtherCentreID}, DemoOtherManagerPIN, nil},
	} {
		s.salt = make([]byte, pinSaltLen)
		for i := range s.salt {
			s.salt[i] = byte(saltRNG.IntN(256))
		}
		d.staff = append(d.staff, s)
	}
	kari, manager := d.staff[0].Staff, d.staff[2].Staff

	product := map[string]skranke.Product{}
	for _, p := range demoProducts {
		product[p.ID] = p
	}
	refs := demoCodeRNG(1)
	line := func(n int, id string, qty int) skranke.Line {
		p := product[id]
		return skranke.Line{ID: fmt.Sprint(n), ProductID: id, Name: p.Name, Kind: p.Kind, Quantity: qty, UnitPrice: p.UnitPrice, VATRate: p.VATRate}
	}
	buyerNo := 0
	newPurchase := func(label string, ago time.Duration, status skranke.PaymentStatus, items ...any) *skranke.Purchase {
		name := demoBuyers[buyerNo%len(demoBuyers)]
		buyerNo++
		p := &skranke.Purchase{
			Code: demoCode(refs, skranke.ReferenceLen), CentreID: DemoCentreID, Status: status,
			Buyer: skranke.Buyer{Name: name, Email: asciiName(name) + "@example.no",
				Phone: fmt.Sprintf("+47 9%02d %02d %03d", buyerNo*7%100, buyerNo*13%100, buyerNo*37%1000)},
			CreatedAt: now.Add(-ago), UpdatedAt: now.Add(-ago),
		}
		if status != skranke.Pending {
			p.Acquirer = []string{"nets", "bambora", "vipps", "paypal"}[buyerNo%4]
		}
		for i := 0; i < len(items); i += 2 {
			p.Lines = append(p.Lines, line(len(p.Lines)+1, items[i].(string), items[i+1].(int)))
		}
		d.purchases = append(d.purchases, p)
		if label != "" {
			d.codes = append(d.codes, DemoCode{Label: label, Kind: "purchase", Code: p.Code})
		}
		return p
	}
	// past keeps generated hand-overs and credits out of the future.
	past := func(at time.Time) time.Time {
		if latest := now.Add(-10 * time.Minute); at.After(latest) {
			return latest
		}
		return at
	}
	deliveryNo := 0
	deliver := func(p *skranke.Purchase, at time.Time, by skranke.Staff, qty map[string]int) {
		deliveryNo++
		at = past(at)
		dl := skranke.Delivery{ID: fmt.Sprintf("demo-delivery-%d", deliveryNo), PurchaseCode: p.Code, DeskID: DemoDeskID,
			StaffID: by.ID, StaffName: by.Name, At: at}
		physical := false
		for i := range p.Lines {
			l := &p.Lines[i]
			q := qty[l.ID]
			if qty == nil {
				q = l.Remaining()
			}
			if q > 0 {
				dl.Lines = append(dl.Lines, skranke.DeliveredLine{LineID: l.ID, Quantity: q})
				l.Delivered += q
				physical = physical || l.Kind == skranke.Physical
			}
		}
		if physical {
			dl.SignatureID = fmt.Sprintf("demo-signature-%d", deliveryNo)
			d.signatures = append(d.signatures, Signature{ID: dl.SignatureID, CentreID: DemoCentreID, DeskID: DemoDeskID,
				PNG: demoSignaturePNG(deliveryNo), At: at})
		}
		p.Deliveries = append(p.Deliveries, dl)
		p.UpdatedAt = at
	}
	creditNo := 0
	credit := func(p *skranke.Purchase, at time.Time, amount skranke.Money, reason string) {
		creditNo++
		at = past(at)
		p.Credits = append(p.Credits, skranke.Credit{ID: fmt.Sprintf("demo-credit-%d", creditNo), PurchaseCode: p.Code,
			Amount: amount, Reason: reason, DeskID: DemoDeskID, StaffID: manager.ID, StaffName: manager.Name, At: at})
		if p.CreditedAmount() == p.Total() {
			p.Status = skranke.Credited
		}
		p.UpdatedAt = at
	}
	h := time.Hour
	day := 24 * h

	newPurchase("paid-course", 2*h, skranke.Captured, "kurs-spinning-10", 1)
	newPurchase("paid-physical", 3*h, skranke.Captured, "shaker", 1, "tskjorte-m", 2)
	p := newPurchase("partly-delivered", 2*day, skranke.Captured, "tskjorte-l", 2, "shaker", 1, "dropin-squash", 1)
	deliver(p, now.Add(-2*day+2*h), kari, map[string]int{"1": 1, "3": 1})
	p = newPurchase("delivered", 5*day, skranke.Captured, "massasje-30", 1)
	deliver(p, now.Add(-4*day), kari, nil)
	newPurchase("pending", 20*time.Minute, skranke.Pending, "dropin-squash", 1)
	newPurchase("failed", 6*h, skranke.Failed, "pt-pakke-3", 1)
	newPurchase("cancelled", 3*day, skranke.Cancelled, "kurs-yoga-8", 1)
	p = newPurchase("credited", 8*day, skranke.Captured, "massasje-60", 1)
	credit(p, now.Add(-7*day), p.Total(), "Behandler syk, timen ble avlyst")
	p = newPurchase("part-credited", 6*day, skranke.Captured, "kurs-spinning-10", 1, "tskjorte-s", 1)
	credit(p, now.Add(-5*day), kr(100), "T-skjorte med trykkfeil, avslag")
	newPurchase("authorized", 40*time.Minute, skranke.Authorized, "tskjorte-xl", 1, "drikkeflaske", 1)
	p = newPurchase("promo", 1*day, skranke.Captured, "kurs-spinning-10", 1, "dropin-sal", 2)
	p.PromoCode = "SOMMER20"
	p.Lines[0].Discount = p.Lines[0].UnitPrice * 20 / 100
	p.Lines[1].Discount = p.Lines[1].UnitPrice * 2 * 20 / 100
	giftPurchase := newPurchase("giftcard-purchase", 4*h, skranke.Captured, "gavekort-500", 1)
	p = newPurchase("many-lines", 26*h, skranke.Captured, "kurs-yoga-8", 1, "pt-60", 2, "tskjorte-l", 1, "proteinbar-12", 3, "hengelaas", 1)
	deliver(p, now.Add(-25*h), kari, map[string]int{"1": 1})
	newPurchase("pending-physical", 10*time.Minute, skranke.Pending, "tskjorte-s", 1)
	p = newPurchase("delivered-physical", 9*day, skranke.Captured, "shaker", 2)
	deliver(p, now.Add(-9*day+30*time.Minute), d.staff[1].Staff, nil)

	// The rest: a believable mix, the same on every run.
	mix := rand.New(rand.NewPCG(7, 7))
	statuses := []skranke.PaymentStatus{skranke.Captured, skranke.Captured, skranke.Captured, skranke.Captured,
		skranke.Captured, skranke.Authorized, skranke.Pending, skranke.Failed, skranke.Cancelled}
	for i := 0; i < 36; i++ {
		var items []any
		for n := 1 + mix.IntN(3); n > 0; n-- {
			pr := demoProducts[mix.IntN(17)] // Not gift cards: those come with cards below.
			qty := 1
			if pr.Kind == skranke.Physical {
				qty += mix.IntN(2)
			}
			items = append(items, pr.ID, qty)
		}
		ago := time.Duration(1+mix.IntN(30*24)) * h
		p := newPurchase("", ago, statuses[mix.IntN(len(statuses))], items...)
		if p.Status == skranke.Captured {
			switch mix.IntN(4) {
			case 0:
				deliver(p, p.CreatedAt.Add(time.Duration(1+mix.IntN(48))*h), d.staff[mix.IntN(2)].Staff, nil)
			case 1:
				deliver(p, p.CreatedAt.Add(time.Duration(1+mix.IntN(48))*h), d.staff[mix.IntN(2)].Staff, map[string]int{"1": 1})
			}
		}
		if p.Status == skranke.Captured && i%9 == 4 && len(p.Deliveries) == 0 {
			credit(p, p.CreatedAt.Add(2*h), p.Total(), "Kunden angret kjøpet")
		}
	}
	// A purchase of the other centre, which the demo desks must not see.
	p = newPurchase("other-centre", 3*h, skranke.Captured, "dropin-sal", 1)
	p.CentreID = DemoOtherCentreID

	// Gift cards, from their own code series.
	cardRefs := demoCodeRNG(2)
	newCard := func(label string, amount skranke.Money, issued, expires time.Time) *skranke.Card {
		c := &skranke.Card{Code: demoCode(cardRefs, skranke.GiftCardLen), CentreID: DemoCentreID, InitialAmount: amount,
			Balance: amount, Currency: "NOK", Status: skranke.CardActive, IssuedAt: issued, ExpiresAt: expires}
		d.cards = append(d.cards, c)
		if label != "" {
			d.codes = append(d.codes, DemoCode{Label: label, Kind: "giftcard", Code: c.Code})
		}
		return c
	}
	redemptionNo := 0
	redeem := func(c *skranke.Card, amount skranke.Money, at time.Time, label string) *skranke.Card {
		redemptionNo++
		r := skranke.Redemption{ID: fmt.Sprintf("demo-redemption-%d", redemptionNo), CardCode: c.Code, Amount: amount,
			DeskID: DemoDeskID, StaffID: kari.ID, StaffName: kari.Name, At: at}
		var rem *skranke.Card
		if left := c.Balance - amount; left > 0 {
			rem = newCard(label, left, at, c.ExpiresAt)
			rem.ParentCode, rem.PurchaseCode = c.Code, c.PurchaseCode
			c.Status, c.RemainderCode, r.RemainderCode = skranke.CardVoided, rem.Code, rem.Code
		} else {
			c.Status = skranke.CardSpent
		}
		c.Balance, c.ClosedAt = 0, at
		d.redemptions = append(d.redemptions, r)
		return rem
	}
	years3 := CardValidity
	c := newCard("card-fresh", kr(500), giftPurchase.CreatedAt, giftPurchase.CreatedAt.Add(years3))
	c.PurchaseCode = giftPurchase.Code
	root := newCard("card-chain-root", kr(1000), now.Add(-60*day), now.Add(-60*day+years3))
	mid := redeem(root, kr(300), now.Add(-40*day), "card-chain-middle")
	redeem(mid, kr(200), now.Add(-10*day), "card-chain")
	c = newCard("card-spent", kr(300), now.Add(-90*day), now.Add(-90*day+years3))
	redeem(c, kr(300), now.Add(-80*day), "")
	newCard("card-expired", kr(400), now.Add(-4*365*day), now.Add(-365*day+years3-3*365*day))
	newCard("card-1000", kr(1000), now.Add(-3*day), now.Add(-3*day+years3))
	newCard("card-2000", kr(2000), now.Add(-1*day), now.Add(-1*day+years3))

	byCode := map[string]*DemoCode{}
	for i := range d.codes {
		byCode[d.codes[i].Code] = &d.codes[i]
	}
	for _, p := range d.purchases {
		if dc := byCode[p.Code]; dc != nil {
			dc.State, dc.About = purchaseState(p), purchaseAbout(p)
		}
	}
	for _, c := range d.cards {
		if dc := byCode[c.Code]; dc != nil {
			dc.State, dc.About = cardState(c, now), cardAbout(c)
		}
	}
	return d
}

func purchaseState(p *skranke.Purchase) string {
	s := string(p.Status)
	delivered, total := 0, 0
	for _, l := range p.Lines {
		delivered += l.Delivered
		total += l.Quantity
	}
	switch {
	case delivered == total:
		s += ", delivered"
	case delivered > 0:
		s += fmt.Sprintf(", %d of %d delivered", delivered, total)
	}
	if c := p.CreditedAmount(); c > 0 && p.Status != skranke.Credited {
		s += ", " + c.String() + " credited"
	}
	return s
}

func purchaseAbout(p *skranke.Purchase) string {
	var names []string
	for _, l := range p.Lines {
		n := l.Name
		if l.Quantity > 1 {
			n = fmt.Sprintf("%d × %s", l.Quantity, n)
		}
		names = append(names, n)
	}
	s := p.Buyer.Name + ": " + strings.Join(names, "; ")
	if p.PromoCode != "" {
		s += " (promo " + p.PromoCode + ")"
	}
	return s
}

func cardState(c *skranke.Card, now time.Time) string {
	switch {
	case c.Status == skranke.CardActive && !now.Before(c.ExpiresAt):
		return "expired, " + c.Balance.String()
	case c.Status == skranke.CardActive:
		return "active, " + c.Balance.String()
	}
	return string(c.Status)
}

func cardAbout(c *skranke.Card) string {
	s := "gift card " + c.InitialAmount.String()
	if c.ParentCode != "" {
		s += ", remainder of " + skranke.GroupCode(c.ParentCode)
	}
	if c.PurchaseCode != "" {
		s += ", sold in purchase " + c.PurchaseCode
	}
	return s
}

// demoSignaturePNG draws a believable scribble, different for each n.
func demoSignaturePNG(n int) []byte {
	const w, h = 320, 100
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	f := 0.04 + float64(n%5)*0.01
	for x := 20; x < w-20; x++ {
		fx := float64(x)
		y := 50 + 25*math.Sin(fx*f)*math.Cos(fx*f/3+float64(n))
		for dy := -1; dy <= 1; dy++ {
			img.SetGray(x, int(y)+dy, color.Gray{})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// DemoCodes returns the labelled codes of the demo data, with the states the
// seed gives them. They are the same on every run.
func DemoCodes() []DemoCode {
	return demoData(time.Now()).codes
}

// DemoCodeFor returns the code of the demo item with the given label, or ""
// if there is none.
func DemoCodeFor(label string) string {
	for _, c := range DemoCodes() {
		if c.Label == label {
			return c.Code
		}
	}
	return ""
}

// SeedDemo fills store with the demo chain, unless the demo centre is there
// already. It reports whether it seeded.
func SeedDemo(ctx context.Context, store Store, now time.Time) (bool, error) {
	d := demoData(now)
	seeded := false
	err := store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Centre(DemoCentreID); err == nil {
			return upgradeDemoStaff(tx, d)
		} else if !(skranke.KindOf(err) == skranke.NotFound) {
			return err
		}
		seeded = true
		for _, c := range d.centres {
			if err := tx.PutCentre(c); err != nil {
				return err
			}
		}
		for i, dk := range d.desks {
			if err := tx.PutDesk(dk, TokenHash(d.tokens[i])); err != nil {
				return err
			}
		}
		for _, s := range d.staff {
			if err := putDemoStaff(tx, s); err != nil {
				return err
			}
		}
		for _, p := range d.products {
			if err := tx.PutProduct(p); err != nil {
				return err
			}
		}
		for _, s := range d.signatures {
			if err := tx.PutSignature(s); err != nil {
				return err
			}
		}
		for _, p := range d.purchases {
			if err := tx.PutPurchase(p); err != nil {
				return err
			}
			for _, dl := range p.Deliveries {
				if err := tx.AddDelivery(p.CentreID, dl); err != nil {
					return err
				}
			}
			for _, c := range p.Credits {
				if err := tx.AddCredit(p.CentreID, c); err != nil {
					return err
				}
			}
		}
		for _, c := range d.cards {
			if err := tx.PutCard(c); err != nil {
				return err
			}
		}
		for _, r := range d.redemptions {
			if err := tx.AddRedemption(DemoCentreID, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	return seeded, nil
}

// DemoStates returns the demo codes with their current states in store.
func DemoStates(ctx context.Context, store Store, now time.Time) ([]DemoCode, error) {
	codes := DemoCodes()
	err := store.View(ctx, func(tx Tx) error {
		for i := range codes {
			c := &codes[i]
			switch c.Kind {
			case "purchase":
				p, err := tx.Purchase(c.Code)
				if err != nil {
					return err
				}
				c.State = purchaseState(p)
			case "giftcard":
				card, err := tx.Card(c.Code)
				if err != nil {
					return err
				}
				c.State = cardState(card, now)
			}
		}
		return nil
	})
	return codes, err
}

// WriteDemoTable prints the demo tokens, staff and codes as a table for
// people at a terminal.
func WriteDemoTable(w io.Writer, codes []DemoCode) error {
	d := demoData(time.Now())
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Desk tokens:\t%s (Resepsjon 1), %s (Resepsjon 2), %s (Sandnes)\n", DemoDeskToken, DemoDesk2Token, DemoOtherDeskToken)
	fmt.Fprintf(tw, "Shop token:\t%s\tnotify secret: %s\n\n", DemoShopToken, DemoNotifySecret)
	fmt.Fprintln(tw, "STAFF\tROLE\tPIN\tCENTRE")
	for _, s := range d.staff {
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%s\n", s.Name, s.ID, s.Role, s.PIN, s.CentreID)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "LABEL\tCODE\tPRINTED\tSTATE\tWHAT")
	for _, c := range codes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Label, c.Code, skranke.GroupCode(c.Code), c.State, c.About)
	}
	return tw.Flush()
}

// upgradeDemoStaff gives the demo staff of a demo chain seeded by an older
// shopd (PIN digests in the staff documents, sent to desks) the shop's own
// verifiers of today's demo PINs, and strips the digests.
func upgradeDemoStaff(tx Tx, d *demoSet) error {
	for _, s := range d.staff {
		if _, err := tx.StaffAuth(s.ID); err == nil {
			continue
		} else if skranke.KindOf(err) != skranke.NotFound {
			return err
		}
		if err := putDemoStaff(tx, s); err != nil {
			return err
		}
	}
	return nil
}

// putDemoStaff stores a demo staff member and the verifier of its PIN.
func putDemoStaff(tx Tx, s demoStaff) error {
	if err := CheckPINPolicy(s.Role, s.PIN); err != nil {
		return fmt.Errorf("demo staff %s: %w", s.ID, err)
	}
	if err := tx.PutStaff(s.Staff); err != nil {
		return err
	}
	v, ok := demoVerifiers[s.ID]
	if !ok {
		v = encodeVerifier(s.PIN, s.salt, pinTime, pinMemory, pinThreads)
	}
	return tx.PutStaffAuth(StaffAuth{StaffID: s.ID, Verifier: v})
}
