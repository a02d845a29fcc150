package shop_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"testing"

	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// Behind a trusted proxy the client's address is the one the proxy adds to
// X-Forwarded-For; from anywhere else the header changes nothing.
func TestGuardTrustedProxy(t *testing.T) {
	eachStore(t, testGuardTrustedProxy)
}

func testGuardTrustedProxy(t *testing.T, s store) {
	t.Parallel()
	proxies, err := shop.ParseTrustedProxies("127.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	trusting := s.start(t, shoptest.WithConfig(func(c *shop.Config) { c.TrustedProxies = proxies }))
	forwarded := func(c *client, from string) answer {
		return c.do("GET", "/desk", nil, map[string]string{"X-Forwarded-For": from})
	}
	c := newClient(t, trusting)
	for i := range shop.MaxTokenFailures {
		c.token = fmt.Sprint("guess-", i)
		// What the client wrote comes first; the proxy appends what it saw.
		wantStatus(t, forwarded(c, "10.9.9.9, 203.0.113.7"), http.StatusUnauthorized)
	}
	c.token = "guess-more"
	wantStatus(t, forwarded(c, "10.9.9.10, 203.0.113.7"), http.StatusTooManyRequests)
	// Another client behind the same proxy is its own address.
	wantStatus(t, forwarded(c, "203.0.113.8"), http.StatusUnauthorized)

	// Without -trusted-proxy, a made-up X-Forwarded-For does not get
	// past a block.
	plain := s.start(t)
	c = newClient(t, plain)
	for i := range shop.MaxTokenFailures {
		c.token = fmt.Sprint("guess-", i)
		wantStatus(t, forwarded(c, fmt.Sprint("198.51.100.", i)), http.StatusUnauthorized)
	}
	c.token = "guess-more"
	wantStatus(t, forwarded(c, "198.51.100.200"), http.StatusTooManyRequests)

	for _, bad := range []string{"10.0.0.0/33", "not-an-address"} {
		if _, err := shop.ParseTrustedProxies(bad); err == nil {
			t.Errorf("-trusted-proxy %q accepted", bad)
		}
	}
	if p, err := shop.ParseTrustedProxies("192.168.1.5"); err != nil || len(p) != 1 || !p[0].Contains(netip.MustParseAddr("192.168.1.5")) {
		t.Errorf("-trusted-proxy of one address gives %v, %v", p, err)
	}
}
