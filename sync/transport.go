package sync

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/skranke/skranke"
)

// CheckShopURL checks a shop address before the desk sends its token and
// staff PINs to it: https://, or http:// to this machine only (loopback),
// unless allowHTTP says plain HTTP to another host is wanted, which
// settings show in red. Plain HTTP would let anyone on the network read
// the desk token and staff PINs and change the shop's answers.
func CheckShopURL(raw string, allowHTTP bool) error {
	const op = "sync.CheckShopURL"
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return skranke.E(op, skranke.Invalid, fmt.Sprintf("the shop address %q is not a web address such as https://shop.example.no", raw))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP || Loopback(u.Hostname()) {
			return nil
		}
		return skranke.E(op, skranke.Invalid, &InsecureURLError{URL: raw})
	}
	return skranke.E(op, skranke.Invalid, fmt.Sprintf("the shop address %q must start with https://", raw))
}

// InsecureURLError is CheckShopURL's refusal of http:// to another machine.
type InsecureURLError struct{ URL string }

// Error implements the error interface.
func (e *InsecureURLError) Error() string {
	return "the shop address " + e.URL + " uses http:// to another machine: the desk token and PINs would cross the network unencrypted; use https://, or allow plain HTTP in settings"
}

// Loopback reports whether host names this machine: localhost, or an IP
// address in 127.0.0.0/8 or ::1.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoadCAFile reads PEM certificates of a private CA (such as the gym
// chain's own) that the shop's certificate may chain to, added to the
// system's. An empty path means the system's alone (nil).
func LoadCAFile(path string) (*x509.CertPool, error) {
	const op = "sync.LoadCAFile"
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, skranke.E(op, skranke.Invalid, fmt.Errorf("read the CA file: %w", err))
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, skranke.E(op, skranke.Invalid, fmt.Sprintf("the CA file %s holds no PEM certificate", path))
	}
	return pool, nil
}
