package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/skranke/skranke/cmd/shopd/shop"
)

// migrateDB is `shopd migrate-db`: it copies a SQLite shop into a new,
// empty PostgreSQL database, all or nothing.
func migrateDB(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("shopd migrate-db", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: shopd migrate-db -from shop.db -to postgres://user@host/db")
		fmt.Fprintln(fs.Output(), "Copies every row of a SQLite shop into an empty PostgreSQL database. Stop the shopd using the SQLite file first.")
		fs.PrintDefaults()
	}
	from := fs.String("from", "", "the SQLite database file to copy")
	to := fs.String("to", "", "the postgres:// URL of an empty database (its schema is created)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *from == "" || !shop.IsPostgresURL(*to) {
		fs.Usage()
		return errors.New("migrate-db needs -from a SQLite file and -to a postgres:// URL")
	}
	if _, err := os.Stat(*from); err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	src, err := shop.OpenSQLite(ctx, *from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := shop.OpenPostgres(ctx, *to, shop.PostgresOptions{MaxConns: 2})
	if err != nil {
		return err
	}
	defer dst.Close()
	counts, err := shop.CopyToPostgres(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("migrate-db: nothing was copied: %w", err)
	}
	fmt.Fprintf(stdout, "Copied %s into %s:\n", *from, dbName(*to))
	for _, t := range shop.Tables() {
		fmt.Fprintf(stdout, "  %-15s %8d rows\n", t, counts[t])
	}
	return nil
}
