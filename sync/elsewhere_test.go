package sync_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
	desksync "github.com/skranke/skranke/sync"
)

// A code of another centre is not found here, and the desk learns which
// centre has it; a code no centre has is plainly not found.
func TestLookupOfAnotherCentresCodeNamesTheCentre(t *testing.T) {
	ctx := context.Background()
	srv := shoptest.Start(t)
	d := MustOpen(t, srv.URL, srv.DeskToken)

	_, err := d.Lookup(ctx, srv.Code("other-centre"))
	require.Equal(t, skranke.NotFound, skranke.KindOf(err), "%v", err)
	var ee *skranke.ElsewhereError
	require.True(t, errors.As(err, &ee), "no centre in %v", err)
	require.Equal(t, "Aktiv Trening Sandnes", ee.Centre.Name)
	require.Equal(t, "+47 51 60 00 00", ee.Centre.Phone)
	var se *desksync.StatusError
	require.True(t, errors.As(err, &se), "the shop's answer is still there: %v", err)
	require.Equal(t, 404, se.Status)

	_, err = d.Lookup(ctx, skranke.NewReference())
	require.Equal(t, skranke.NotFound, skranke.KindOf(err), "%v", err)
	require.False(t, errors.As(err, &ee), "an unknown code named a centre: %v", err)

	// The other centre's own desk sees its purchase as usual.
	other := MustOpen(t, srv.URL, shop.DemoOtherDeskToken)
	l, err := other.Lookup(ctx, srv.Code("other-centre"))
	require.NoError(t, err)
	require.Equal(t, shop.DemoOtherCentreID, l.Purchase.CentreID)
}
