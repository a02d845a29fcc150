package shop

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/skranke/skranke"
)

// This file holds what keeps requests from reaching the stores in shapes
// they treat differently (control characters, unclean paths), the client
// address behind a trusted proxy, and the incident ids of internal errors.

// controlFree reports whether s holds no control character: no C0 (U+0000
// to U+001F, tab and line breaks included), no DEL and no C1 (U+0080 to
// U+009F). PostgreSQL refuses U+0000 in text where SQLite stores it, and
// every text the API takes ends up on a desk's screen or its receipt
// printer, where a control character is a printer command. A byte loop: it
// runs on every request.
func controlFree(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		if c < 0x20 || c == 0x7f || (c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f) {
			return false
		}
	}
	return true
}

// jsonControlFree reports whether no string of the JSON document b holds a
// control character (see controlFree), written as is or as an escape
// (\n, \t, \u0000, \u007f, \u0085, …). A raw C0 byte is not valid JSON and
// the decoder refuses it; the escapes and DEL and C1 pass the decoder, so
// they are looked for here, once for every text field of every request
// body. Outside strings a backslash is not valid JSON either, so escapes
// need no tracking of where strings start.
func jsonControlFree(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' && c != 0x7f && c != 0xc2 {
			continue
		}
		switch {
		case c == '\\' && i+1 < len(b):
			i++
			switch b[i] {
			case 'b', 'f', 'n', 'r', 't':
				return false
			case 'u':
				if i+4 < len(b) && b[i+1] == '0' && b[i+2] == '0' && controlEscape(b[i+3], b[i+4]) {
					return false
				}
			}
		case c == 0x7f, c == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			return false
		}
	}
	return true
}

// controlEscape reports whether \u00XY names a control character.
func controlEscape(x, y byte) bool {
	switch x {
	case '0', '1', '8', '9':
		return true
	case '7':
		return y == 'f' || y == 'F'
	}
	return false
}

// rawQueryControlFree reports whether a raw query string decodes to no
// control character: they can only come percent-encoded (%00, %7F, %C2%85).
func rawQueryControlFree(q string) bool {
	for i := 0; i+2 < len(q); i++ {
		if q[i] != '%' {
			continue
		}
		h, ok := unhex2(q[i+1], q[i+2])
		if !ok {
			continue
		}
		if h < 0x20 || h == 0x7f {
			return false
		}
		if h == 0xc2 && i+5 < len(q) && q[i+3] == '%' {
			if n, ok := unhex2(q[i+4], q[i+5]); ok && n >= 0x80 && n <= 0x9f {
				return false
			}
		}
	}
	return true
}

func unhex2(a, b byte) (byte, bool) {
	x, ok1 := unhex(a)
	y, ok2 := unhex(b)
	return x<<4 | y, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// errControl is the refusal of a request carrying a control character.
func errControl(where string) error {
	return skranke.E("shop.Server.serve", skranke.Invalid, where+" holds a control character (U+0000 to U+001F, U+007F to U+009F), which the shop does not accept in any text")
}

// cleanPath reports whether p is already in the form http.ServeMux would
// redirect to: no empty, "." or ".." segment. The mux answers an unclean
// path with a redirect and an HTML body; the API answers JSON.
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		switch {
		case strings.HasPrefix(rest, "/"):
			return false
		case rest == "." || rest == "..", strings.HasPrefix(rest, "./"), strings.HasPrefix(rest, "../"):
			return false
		}
	}
	return true
}

// newIncident returns an id for an internal error: the answer carries it,
// and the log line with the whole error carries it too, so that an operator
// finds one from the other. Random, so that ids from several shopd do not
// collide.
func newIncident() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ParseTrustedProxies reads -trusted-proxy: addresses or CIDR prefixes,
// comma-separated ("10.0.0.0/8,192.168.1.5").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, skranke.E("shop.ParseTrustedProxies", skranke.Invalid, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, skranke.E("shop.ParseTrustedProxies", skranke.Invalid, err)
		}
		out = append(out, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked())
	}
	return out, nil
}

func trusted(proxies []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address a request came from, without its port. When
// the connection comes from a trusted proxy (Config.TrustedProxies), it is
// the last address of X-Forwarded-For that is not itself a trusted proxy:
// the proxy appends the address it saw, and what comes before that is what
// the client wrote, which it may have made up. A request from anywhere
// else is taken at its connection's address, X-Forwarded-For or not.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.cfg.TrustedProxies) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !trusted(s.cfg.TrustedProxies, peer) {
		return host
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		fields := strings.Split(hops[i], ",")
		for j := len(fields) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(fields[j]))
			if err != nil {
				return host // A hop the proxy did not write: trust nothing before it.
			}
			if !trusted(s.cfg.TrustedProxies, a) {
				return a.Unmap().String()
			}
		}
	}
	return host
}

// lookupBudget lets through at most rate lookups a second (burst as
// many), for desk tokens this shopd has not seen accepted that come from an
// address refused for wrong tokens: a right token from there is still let
// in, and guessing from there is held to this rate for the whole shopd
// (see Server.authDesk).
type lookupBudget struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func newLookupBudget(rate float64) *lookupBudget {
	return &lookupBudget{rate: rate, tokens: rate}
}

// take spends one lookup if there is one left at now.
func (b *lookupBudget) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// BlockedLookupsPerSecond is how many desk tokens a shopd looks up each
// second, all addresses together, that it has not seen accepted and that
// come from addresses refused for wrong tokens.
const BlockedLookupsPerSecond = 5

// MinDeskTokenLen is the shortest desk token shopd takes without a
// warning: 22 characters of base64 are 128 random bits, which no rate of
// guessing gets through.
const MinDeskTokenLen = 22
