package app

import (
	"image/color"

	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// A code bought at another centre of the chain says where, with that
// centre's name and phone, in the staff's language, and cannot be handed
// out; nothing else of the purchase is shown.
func TestCodeOfAnotherCentreSaysWhere(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.Language = "nb" })
	f.login("kari", "1234")
	s := f.d.scan
	code := f.shop.Code("other-centre")
	f.scan(code)
	assert.Equal(t, stateElsewhere, s.StateNow())
	assert.Equal(t, "KJØPT PÅ ET ANNET SENTER", s.State.Text)
	assert.Equal(t, colElsewhere, s.banner.bg.FillColor, "a colour of its own")
	for _, c := range []color.NRGBA{colBad, colWarn, colReady, colOK, colDone, colJustDone} {
		assert.NotEqual(t, c, colElsewhere)
	}
	assert.Contains(t, s.Detail.Text, "Aktiv Trening Sandnes")
	assert.Contains(t, s.Detail.Text, "Telefon: +47 51 60 00 00")
	assert.Contains(t, s.Detail.Text, "kan ikke utleveres her")
	assert.Empty(t, s.Buyer.Text, "nothing of the buyer")
	assert.Empty(t, s.Lines.Objects, "nothing of the lines")
	assert.True(t, s.DeliverAll.Disabled())
	f.key(fyne.KeyReturn)
	assert.Empty(t, f.shop.Purchase(code).Deliveries)
	assert.Empty(t, f.printed())

	card := f.shop.IssueCardAt(shop.DemoOtherCentreID, 30000)
	f.scan(card.Code)
	c := f.d.screenCards()
	assert.Equal(t, "GAVEKORT FRA ET ANNET SENTER", c.State.Text)
	assert.Contains(t, c.Detail.Text, "Aktiv Trening Sandnes")
	assert.Contains(t, c.Detail.Text, "+47 51 60 00 00")
	assert.NotContains(t, c.Detail.Text, "300", "nothing of the balance")
	assert.Nil(t, c.Card())
	assert.True(t, c.RedeemAll.Disabled())
}
