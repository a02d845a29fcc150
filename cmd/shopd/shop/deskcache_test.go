package shop_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// TestDeskTokenReplaced replaces a desk's token in the database, as an
// operator does for a lost laptop: the new token works at once, and the
// old one is refused as soon as no shopd trusts what it looked up before
// (at once when it keeps nothing, within its DeskCacheTTL otherwise).
func TestDeskTokenReplaced(t *testing.T) { eachStore(t, testDeskTokenReplaced) }

func testDeskTokenReplaced(t *testing.T, s store) {
	t.Parallel()
	for _, ttl := range []time.Duration{-1, 300 * time.Millisecond} {
		srv := s.start(t, shoptest.WithConfig(func(c *shop.Config) { c.DeskCacheTTL = ttl }))
		old := newClient(t, srv)
		wantStatus(t, old.get("/desk"), http.StatusOK)
		const newToken = "a-new-token-for-the-lost-laptops-desk"
		err := srv.DB.Update(context.Background(), func(tx shop.Tx) error {
			d, err := tx.DeskByToken(shop.TokenHash(srv.DeskToken))
			if err != nil {
				return err
			}
			return tx.PutDesk(d, shop.TokenHash(newToken))
		})
		if err != nil {
			t.Fatal(err)
		}
		replaced := time.Now()
		fresh := newClient(t, srv)
		fresh.token = newToken
		wantStatus(t, fresh.get("/desk"), http.StatusOK)
		for {
			st := old.get("/desk").status
			if st == http.StatusUnauthorized {
				break
			}
			if st != http.StatusOK {
				t.Fatalf("old token: status %d", st)
			}
			if ttl < 0 || time.Since(replaced) > ttl+5*time.Second {
				t.Fatalf("DeskCacheTTL %s: the replaced token still works %s later", ttl, time.Since(replaced))
			}
		}
	}
}
