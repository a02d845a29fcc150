package shop_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// pg is this test binary's PostgreSQL cluster, started by the first test
// that needs it.
var pg shoptest.Postgres

func TestMain(m *testing.M) { shoptest.Main(m, &pg) }

// store is one kind of shop database the conformance suite runs on.
type store struct {
	name string
	pg   *shoptest.Cluster // Nil for SQLite.
}

// start starts a seeded shopd on this store.
func (s store) start(tb testing.TB, opts ...shoptest.Option) *shoptest.Server {
	tb.Helper()
	if s.pg != nil {
		opts = append(opts, shoptest.WithPostgres(s.pg))
	}
	return shoptest.Start(tb, opts...)
}

// open opens an empty, migrated database of this kind, closed when tb ends.
func (s store) open(tb testing.TB) shop.DB {
	tb.Helper()
	addr := filepath.Join(tb.TempDir(), "shop.db")
	if s.pg != nil {
		addr = s.pg.NewDatabase(tb)
	}
	db, err := shop.Open(context.Background(), addr, shop.OpenOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// eachStore runs test once on SQLite and once on PostgreSQL, as subtests
// named after the store: every store-level and API test is a conformance
// test that both stores must pass alike.
func eachStore(t *testing.T, test func(t *testing.T, s store)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { test(t, store{name: "sqlite"}) })
	t.Run("postgres", func(t *testing.T) { test(t, store{name: "postgres", pg: pg.Cluster(t)}) })
}
