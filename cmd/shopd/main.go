// Command shopd is Skranke's reference central shop API server: the contract
// of openapi.yaml over a SQLite database (demos, development, small centres)
// or PostgreSQL (chains running several shopd behind a load balancer).
//
//	shopd -demo                # seed the demo chain, print its codes, serve on 127.0.0.1:8080
//	shopd -demo-codes          # print the demo codes and exit
//	shopd -db shop.db -addr 127.0.0.1:9000 -desk-tokens-file /etc/shopd/desk-tokens \
//	      -shop-token-file /etc/shopd/shop-token -notify-secret-file /etc/shopd/notify-secret
//	SHOPD_SHOP_TOKEN=… SHOPD_NOTIFY_SECRET=… shopd -db postgres://shopd@db.example.net/shop -pool 20 \
//	      -addr :8443 -tls-cert cert.pem -tls-key key.pem ...
//
// Secrets (desk tokens, the web shop's token, the notification secret) come
// from files or environment variables, never from flags: every local user
// can read a process's command line.
//
//	shopd migrate-db -from shop.db -to postgres://shopd@db.example.net/shop
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

//go:embed openapi.yaml
var openAPI []byte

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shopd:", err)
		os.Exit(1)
	}
}

func defaultDB() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "skranke", "shopd.db")
	}
	return "shopd.db"
}

// dbName names a database address for messages, without a password.
func dbName(addr string) string {
	if !shop.IsPostgresURL(addr) {
		return addr
	}
	if u, err := url.Parse(addr); err == nil {
		return u.Redacted()
	}
	return "the PostgreSQL database"
}

func run(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "migrate-db" {
		return migrateDB(args[1:], stdout)
	}
	fs := flag.NewFlagSet("shopd", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (loopback by default)")
	dbPath := fs.String("db", defaultDB(), "SQLite database file, or a postgres:// URL")
	pool := fs.Int("pool", 0, "most PostgreSQL connections this shopd opens for reads (0: the larger of 4 and the CPU count); it opens up to 3 more, 2 for writes and 1 for durability barriers")
	drain := fs.Duration("drain", 0, "on SIGTERM, how long /readyz says 503 before the server stops taking requests (the load balancer's probe interval)")
	grace := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	demo := fs.Bool("demo", false, "seed the demo chain (once) and print its codes")
	demoCodes := fs.Bool("demo-codes", false, "print the demo codes, staff and tokens, then exit")
	deskTokensFile := fs.String("desk-tokens-file", "", "file of desk bearer tokens, one a line, each given to a desk of the first centre (or $SHOPD_DESK_TOKENS, comma-separated)")
	shopTokenFile := fs.String("shop-token-file", "", "file holding the web shop's bearer token (or $SHOPD_SHOP_TOKEN; with -demo: "+shop.DemoShopToken+")")
	notifySecretFile := fs.String("notify-secret-file", "", "file holding the HMAC secret of payment notifications (or $SHOPD_NOTIFY_SECRET; with -demo: "+shop.DemoNotifySecret+")")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate (chain) file")
	tlsKey := fs.String("tls-key", "", "the PEM private key file of -tls-cert")
	deskCacheTTL := fs.Duration("desk-cache-ttl", shop.DefaultDeskCacheTTL, "how long an accepted desk token is trusted before it is looked up again (a desk removed from the database is refused at the latest this long after; negative: look up every request)")
	sigRetention := fs.Duration("signature-retention", shop.DefaultSignatureRetention, "how long buyers' signatures are kept before they are purged (bookkeeping: 5 years)")
	trustedProxy := fs.String("trusted-proxy", "", "addresses or CIDR prefixes of the load balancers in front of shopd, comma-separated: a request from one of them is counted (wrong desk tokens) and logged at the client address it adds to X-Forwarded-For; without it every request counts at its connection's address")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}

	if *demoCodes {
		return shop.WriteDemoTable(stdout, shop.DemoCodes())
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	if *sigRetention < 24*time.Hour {
		return errors.New("-signature-retention must be at least a day")
	}
	proxies, err := shop.ParseTrustedProxies(*trustedProxy)
	if err != nil {
		return fmt.Errorf("-trusted-proxy: %w", err)
	}
	deskTokens, err := secretList(*deskTokensFile, "SHOPD_DESK_TOKENS", log)
	if err != nil {
		return err
	}
	shopToken, err := secret(*shopTokenFile, "SHOPD_SHOP_TOKEN", log)
	if err != nil {
		return err
	}
	notifySecret, err := secret(*notifySecretFile, "SHOPD_NOTIFY_SECRET", log)
	if err != nil {
		return err
	}
	if *demo {
		shopToken = cmp(shopToken, shop.DemoShopToken)
		notifySecret = cmp(notifySecret, shop.DemoNotifySecret)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := shop.Open(ctx, *dbPath, shop.OpenOptions{MaxConns: *pool})
	if err != nil {
		return err
	}
	defer db.Close()
	if *demo {
		seeded, err := shop.SeedDemo(ctx, db, time.Now())
		if err != nil {
			return err
		}
		codes, err := shop.DemoStates(ctx, db, time.Now())
		if err != nil {
			return err
		}
		if seeded {
			fmt.Fprintln(stdout, "Seeded the demo chain into", dbName(*dbPath))
		} else {
			fmt.Fprintln(stdout, "The demo chain is already in", dbName(*dbPath), "(states below are current)")
		}
		if err := shop.WriteDemoTable(stdout, codes); err != nil {
			return err
		}
	}
	for i, tok := range deskTokens {
		// What keeps a desk token from being guessed is its length: a
		// wrong guess costs little (see shop.Server.authDesk).
		if len(tok) < shop.MinDeskTokenLen {
			log.Warn("a desk token is short enough to guess; make tokens of 32 random bytes (openssl rand -base64 32)",
				"token", i+1, "length", len(tok), "least", shop.MinDeskTokenLen)
		}
		if err := ensureDesk(ctx, db, tok); err != nil {
			return err
		}
	}
	if shopToken == "" || notifySecret == "" {
		log.Warn("no web shop token or notification secret (-shop-token-file, -notify-secret-file): the web shop cannot create purchases and payment notifications are refused")
	}

	srv := shop.New(db, shop.Config{ShopToken: shopToken, NotifySecret: notifySecret, OpenAPI: openAPI, Logger: log,
		DeskCacheTTL: *deskCacheTTL, TrustedProxies: proxies})
	probes := shop.NewProbes(srv, db)
	hs := shop.NewHTTPServer(*addr, probes, log)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "shopd listening on %s://%s%s (OpenAPI at %s://%s/openapi.yaml)\n", scheme, ln.Addr(), shop.APIPrefix, scheme, ln.Addr())

	go purge(ctx, db, log, *sigRetention)
	errc := make(chan error, 1)
	go func() {
		if *tlsCert != "" {
			errc <- hs.ServeTLS(ln, *tlsCert, *tlsKey)
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: first tell the load balancer (readyz fails) and
	// give it -drain to notice, then stop accepting and let the requests in
	// flight finish and commit before the database closes.
	// Readiness fails before the log says so: what reads the log (a test,
	// an operator) may ask /readyz at once.
	probes.Drain()
	log.Warn("shutting down", "drain", *drain)
	if *drain > 0 {
		time.Sleep(*drain)
	}
	log.Warn("stopped taking new requests; finishing those in flight", "timeout", *grace)
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	fmt.Fprintln(stdout, "shopd stopped")
	return nil
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ensureDesk gives the first desk of the first centre the token, creating a
// centre and a desk in an empty database.
func ensureDesk(ctx context.Context, db shop.Store, token string) error {
	return db.Update(ctx, func(tx shop.Tx) error {
		if _, err := tx.DeskByToken(shop.TokenHash(token)); err == nil {
			return nil
		}
		cs, err := tx.Centres()
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			cs = append(cs, skranke.Centre{ID: "senter-1", Name: "Senter 1"})
			if err := tx.PutCentre(cs[0]); err != nil {
				return err
			}
		}
		return tx.PutDesk(skranke.DeskInfo{ID: "desk-" + shop.TokenHash(token)[:8], Name: "Resepsjon", CentreID: cs[0].ID}, shop.TokenHash(token))
	})
}

// purge drops, hourly, idempotency keys older than their retention,
// ended staff sessions, and signatures older than sigRetention.
func purge(ctx context.Context, db shop.Store, log *slog.Logger, sigRetention time.Duration) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := shop.Purge(ctx, db, time.Now(), sigRetention)
		if err != nil && ctx.Err() == nil {
			log.Error("purge", "err", err)
		} else if n.Keys+n.Sessions+n.Signatures > 0 {
			log.Info("purged", "idempotency_keys", n.Keys, "sessions", n.Sessions, "signatures", n.Signatures)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// secret reads a secret from file (surrounding white space dropped), or
// else from the environment variable env. A file that others may read is
// warned about.
func secret(file, env string, log *slog.Logger) (string, error) {
	if file == "" {
		return strings.TrimSpace(os.Getenv(env)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("a secret file is readable by others; make it 0600", "file", file, "mode", fi.Mode().Perm().String())
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", file)
	}
	return v, nil
}

// secretList reads desk tokens: one a line from file (blank lines and
// lines starting with # skipped), or else comma-separated from env.
func secretList(file, env string, log *slog.Logger) ([]string, error) {
	var raw []string
	if file != "" {
		v, err := secret(file, env, log)
		if err != nil {
			return nil, err
		}
		raw = strings.Split(v, "\n")
	} else {
		raw = strings.Split(os.Getenv(env), ",")
	}
	var out []string
	for _, t := range raw {
		if t = strings.TrimSpace(t); t != "" && !strings.HasPrefix(t, "#") {
			out = append(out, t)
		}
	}
	return out, nil
}
