package main

// The security group (issue 10) for the shopd binary: secrets, files and
// TLS, against the real process.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// item 3: tokens and secrets were flags, readable in /proc/PID/cmdline by
// every local user.
func TestSecuritySecretsNeverOnTheCommandLine(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"-desk-token", "-shop-token", "-notify-secret"} {
		if err := run([]string{flag, "s3cret"}, io.Discard); err == nil {
			t.Errorf("shopd accepts the secret itself as %s", flag)
		}
	}
	deskTok, shopTok, notify := "desk-"+newKey(), "shop-"+newKey(), "notify-"+newKey()
	tokens := filepath.Join(t.TempDir(), "desk-tokens")
	if err := os.WriteFile(tokens, []byte("# desks of Aktiv\n"+deskTok+"\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "shop.db")
	in := startShopdEnv(t, []string{"SHOPD_SHOP_TOKEN=" + shopTok}, "-db", db,
		"-desk-tokens-file", tokens, "-notify-secret-file", secretFile(t, notify))
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(in.cmd.Process.Pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range []string{deskTok, shopTok, notify} {
		if bytes.Contains(cmdline, []byte(sec)) {
			t.Errorf("the command line shows a secret: %q", cmdline)
		}
	}
	hc := &http.Client{}
	get := func(token string) int {
		req, _ := http.NewRequest("GET", in.URL+shop.APIPrefix+"/desk", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(deskTok); st != http.StatusOK {
		t.Errorf("the desk token from the file: %d", st)
	}
	if st := get("# desks of Aktiv"); st != http.StatusUnauthorized {
		t.Errorf("a comment line became a token: %d", st)
	}
	body, _ := json.Marshal(shop.CardRequest{Amount: 5000})
	req, _ := http.NewRequest("POST", in.URL+shop.APIPrefix+"/giftcards", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+shopTok)
	req.Header.Set("Idempotency-Key", newKey())
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("the web shop token from the environment: %d", resp.StatusCode)
	}
	note, _ := json.Marshal(shop.Notification{EventID: "e1", Reference: validRef(), Status: skranke.Captured})
	req, _ = http.NewRequest("POST", in.URL+shop.APIPrefix+"/payments/notify", bytes.NewReader(note))
	req.Header.Set("X-Signature", shop.SignNotification(notify, time.Now(), note))
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		t.Error("the notification secret from the file was not taken")
	}
}

// validRef is a well-formed reference no purchase has.
func validRef() string { return "ZZZZZZZ" + string(skranke.CheckSymbol("ZZZZZZZ")) }

// item 3: database files were world-readable.
func TestSecurityDatabaseFilesArePrivate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new", "shopd")
	db := filepath.Join(dir, "shop.db")
	in := startShopd(t, "-demo", "-db", db)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Dir(dir): 0o700, db: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", path, got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fi, _ := e.Info()
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: others may read it", e.Name(), fi.Mode().Perm())
		}
	}
	// An existing database that others could read is made private.
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	startShopd(t, "-demo", "-db", db).stop()
	if fi, _ := os.Stat(db); fi.Mode().Perm() != 0o600 {
		t.Errorf("after a restart the database has mode %v, want 0600", fi.Mode().Perm())
	}
}

// item 4: shopd spoke plain HTTP only.
func TestSecurityServesHTTPS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caPool, certFile, keyFile := throwawayPKI(t, dir)
	if err := run([]string{"-tls-cert", certFile}, io.Discard); err == nil {
		t.Error("-tls-cert without -tls-key was accepted")
	}
	in := startShopd(t, "-demo", "-db", filepath.Join(dir, "shop.db"), "-tls-cert", certFile, "-tls-key", keyFile)
	if !strings.HasPrefix(in.URL, "https://") {
		t.Fatalf("shopd says it listens on %s, want https://", in.URL)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool}}}
	req, _ := http.NewRequest("GET", in.URL+shop.APIPrefix+"/desk", nil)
	req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("HTTPS with the chain's CA: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("status %d, TLS %+v", resp.StatusCode, resp.TLS)
	}
	// Without the CA the certificate is not trusted; plain HTTP gets nothing.
	var unknown x509.UnknownAuthorityError
	if _, err := (&http.Client{}).Get(in.URL + shop.APIPrefix + "/health"); !errors.As(err, &unknown) {
		t.Errorf("a client without the CA: %v, want an unknown authority error", err)
	}
	resp, err = (&http.Client{}).Get("http://" + strings.TrimPrefix(in.URL, "https://") + shop.APIPrefix + "/health")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was answered")
		}
	}
}

// throwawayPKI makes a CA and a certificate for 127.0.0.1 signed by it,
// writes the certificate and key as PEM files into dir, and returns a pool
// holding the CA.
func throwawayPKI(t *testing.T, dir string) (*x509.CertPool, string, string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Skranke test chain CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "shopd"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, certFile, keyFile
}
