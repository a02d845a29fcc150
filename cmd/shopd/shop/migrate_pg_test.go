package shop_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// TestPostgresMigrationsRunOnceWhenShopdsStartTogether opens one empty
// database from several shopd at the same moment, as a rolling deploy does:
// every one must come up, and each migration must have run exactly once.
func TestPostgresMigrationsRunOnceWhenShopdsStartTogether(t *testing.T) {
	t.Parallel()
	url := pg.Cluster(t).NewEmptyDatabase(t)
	ctx := context.Background()
	const n = 6
	errs := make(chan error, n)
	dbs := make(chan *shop.Postgres, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			db, err := shop.OpenPostgres(ctx, url, shop.PostgresOptions{MaxConns: 2})
			errs <- err
			dbs <- db
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a shopd starting with the others failed: %v", err)
		}
		if db := <-dbs; db != nil {
			defer db.Close()
		}
	}
	files, _ := filepath.Glob("migrations/postgres/*.sql")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var runs, versions, seqRows int
	if err := conn.QueryRow(ctx, "SELECT count(*), count(DISTINCT version) FROM schema_migrations").Scan(&runs, &versions); err != nil {
		t.Fatal(err)
	}
	if runs != len(files) || versions != len(files) {
		t.Errorf("schema_migrations has %d rows of %d versions, want each of the %d migrations once", runs, versions, len(files))
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM meta WHERE key = 'seq'").Scan(&seqRows); err != nil || seqRows != 1 {
		t.Errorf("meta holds %d seq rows (%v), want 1", seqRows, err)
	}
}

// TestPostgresNewerDatabaseIsRefused: a shopd older than the database's
// schema must not start, as on SQLite.
func TestPostgresNewerDatabaseIsRefused(t *testing.T) {
	t.Parallel()
	url := pg.Cluster(t).NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')")
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := shop.OpenPostgres(ctx, url, shop.PostgresOptions{})
	if err == nil {
		db.Close()
		t.Fatal("a database of schema version 999 was opened")
	}
	if !strings.Contains(err.Error(), "newer than this shopd knows") {
		t.Errorf("error %q does not say the database is newer", err)
	}
}

// TestBothStoresHaveTheSameTables keeps the PostgreSQL schema in step with
// SQLite's: shopd migrate-db copies table by table. PostgreSQL's own
// tables, which hold what it derives from the shop's (and migrate-db
// fills after copying), are the exception.
func TestBothStoresHaveTheSameTables(t *testing.T) {
	t.Parallel()
	derived := []string{"purchase_feed"}
	var sqliteTables []string
	for _, f := range mustGlob(t, "migrations/*.sql") {
		sqliteTables = applyTables(t, sqliteTables, f)
	}
	var pgTables []string
	for _, f := range mustGlob(t, "migrations/postgres/*.sql") {
		pgTables = applyTables(t, pgTables, f)
	}
	pgTables = slices.DeleteFunc(pgTables, func(table string) bool { return slices.Contains(derived, table) })
	// A table SQLite rebuilt (created anew, filled and renamed) comes
	// later in its list: the sets must match.
	if a, b := slices.Sorted(slices.Values(sqliteTables)), slices.Sorted(slices.Values(pgTables)); !slices.Equal(a, b) {
		t.Errorf("SQLite creates tables %v, PostgreSQL %v", a, b)
	}
	if got := strings.Join(shop.Tables(), ","); got != strings.Join(pgTables, ",") {
		t.Errorf("shop.Tables() is %s; the migrations create %v", got, pgTables)
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s: %v", pattern, err)
	}
	return files
}

// applyTables returns the tables after the migration in file, given
// those before: in the order they were created, renamed in place, without
// those dropped.
func applyTables(t *testing.T, tables []string, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimSuffix(line, ";"))
		switch {
		case len(f) >= 3 && f[0] == "CREATE" && f[1] == "TABLE":
			tables = append(tables, f[2])
		case len(f) >= 3 && f[0] == "DROP" && f[1] == "TABLE":
			tables = slices.DeleteFunc(tables, func(s string) bool { return s == f[len(f)-1] })
		case len(f) == 6 && f[0] == "ALTER" && f[1] == "TABLE" && f[3] == "RENAME" && f[4] == "TO":
			if i := slices.Index(tables, f[2]); i >= 0 {
				tables[i] = f[5]
			}
		}
	}
	return tables
}
