package shop_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

func TestOtherCentresCodeNamesItsCentreOnly(t *testing.T) {
	eachStore(t, testOtherCentresCodeNamesItsCentreOnly)
}

// A code of another centre of the chain is not found at this desk, but the
// answer says which centre has it (its public details), and nothing of the
// purchase or card itself.
func testOtherCentresCodeNamesItsCentreOnly(t *testing.T, s store) {
	t.Parallel()
	srv := s.start(t)
	c := newClient(t, srv)
	shopSide := *c
	shopSide.token, shopSide.staff = srv.ShopToken, ""
	a := shopSide.post("/giftcards", newKey(), shop.CardRequest{Amount: 50000, CentreID: shop.DemoOtherCentreID})
	wantStatus(t, a, http.StatusCreated)
	var card skranke.Card
	a.decode(t, &card)
	other := srv.Purchase(srv.Code("other-centre"))

	for name, path := range map[string]string{
		"purchase":  "/purchases/" + other.Code,
		"gift card": "/giftcards/" + card.Code,
	} {
		t.Run(name, func(t *testing.T) {
			a := c.get(path)
			wantStatus(t, a, http.StatusNotFound)
			if got := a.errorCode(t); got != "not_found" {
				t.Errorf("code %q, want not_found (desks that do not know elsewhere still read it)", got)
			}
			var body struct {
				Elsewhere struct {
					Centre skranke.Centre `json:"centre"`
				} `json:"elsewhere"`
			}
			a.decode(t, &body)
			want := skranke.Centre{ID: shop.DemoOtherCentreID, Name: "Aktiv Trening Sandnes", Address: "Langgata 12, 4306 Sandnes", Phone: "+47 51 60 00 00"}
			if body.Elsewhere.Centre != want {
				t.Errorf("elsewhere centre %+v, want %+v", body.Elsewhere.Centre, want)
			}
			text := string(a.body)
			for _, secret := range []string{other.Buyer.Name, other.Buyer.Email, other.Buyer.Phone, "dropin", "lines", "buyer", "balance", "998 877 665"} {
				if secret != "" && strings.Contains(text, secret) {
					t.Errorf("the answer to another centre tells %q: %s", secret, text)
				}
			}
		})
	}

	// Handing over or crediting it is refused the same way.
	a = c.post("/purchases/"+other.Code+"/deliveries", newKey(), shop.DeliveryRequest{ID: "elsewhere-1"})
	wantStatus(t, a, http.StatusNotFound)
	if !strings.Contains(string(a.body), "Aktiv Trening Sandnes") {
		t.Errorf("delivery refusal does not name the centre: %s", a.body)
	}
	if got := srv.Purchase(other.Code); len(got.Deliveries) != 0 {
		t.Errorf("another centre's purchase was delivered: %+v", got.Deliveries)
	}
}
