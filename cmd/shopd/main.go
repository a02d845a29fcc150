// Command shopd is Skranke's reference central shop API server: the contract
// of openapi.yaml over a SQLite database (demos, development, small centres)
// or PostgreSQL (chains running several shopd behind a load balancer).
//
//	shopd -demo                # seed the demo chain, print its codes, serve on 127.0.0.1:8080
//	shopd -demo-codes          # print the demo codes and exit
//	shopd -db shop.db -addr 127.0.0.1:9000 -desk-token T -shop-token S -notify-secret N
//	shopd -db postgres://shopd@db.example.net/shop -pool 20 -addr :8080 ...
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
	pool := fs.Int("pool", 0, "most PostgreSQL connections this shopd opens (0: the larger of 4 and the CPU count)")
	drain := fs.Duration("drain", 0, "on SIGTERM, how long /readyz says 503 before the server stops taking requests (the load balancer's probe interval)")
	grace := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	demo := fs.Bool("demo", false, "seed the demo chain (once) and print its codes")
	demoCodes := fs.Bool("demo-codes", false, "print the demo codes, staff and tokens, then exit")
	deskToken := fs.String("desk-token", "", "bearer token of the first desk (with -demo: "+shop.DemoDeskToken+")")
	shopToken := fs.String("shop-token", "", "bearer token of the web shop (with -demo: "+shop.DemoShopToken+")")
	notifySecret := fs.String("notify-secret", "", "HMAC secret of payment notifications (with -demo: "+shop.DemoNotifySecret+")")
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

	if *demo {
		*shopToken = cmp(*shopToken, shop.DemoShopToken)
		*notifySecret = cmp(*notifySecret, shop.DemoNotifySecret)
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
	if *deskToken != "" {
		if err := ensureDesk(ctx, db, *deskToken); err != nil {
			return err
		}
	}
	if *shopToken == "" || *notifySecret == "" {
		log.Warn("no -shop-token or -notify-secret: the web shop cannot create purchases and payment notifications are refused")
	}

	srv := shop.New(db, shop.Config{ShopToken: *shopToken, NotifySecret: *notifySecret, OpenAPI: openAPI, Logger: log})
	probes := shop.NewProbes(srv, db)
	hs := shop.NewHTTPServer(*addr, probes, log)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	fmt.Fprintf(stdout, "shopd listening on http://%s%s (OpenAPI at http://%s/openapi.yaml)\n", ln.Addr(), shop.APIPrefix, ln.Addr())

	go purgeKeys(ctx, db, log)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Graceful shutdown: first tell the load balancer (readyz fails) and
	// give it -drain to notice, then stop accepting and let the requests in
	// flight finish and commit before the database closes.
	log.Warn("shutting down", "drain", *drain)
	probes.Drain()
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

// purgeKeys drops idempotency keys older than the retention, hourly.
func purgeKeys(ctx context.Context, db shop.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		var n int64
		err := db.Update(ctx, func(tx shop.Tx) error {
			var err error
			n, err = tx.PurgeIdempotency(time.Now().Add(-shop.IdempotencyRetention))
			return err
		})
		if err != nil && ctx.Err() == nil {
			log.Error("purge idempotency keys", "err", err)
		} else if n > 0 {
			log.Info("purged idempotency keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
