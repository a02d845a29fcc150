package shop_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// The chain BenchmarkSearch1M searches: a million bulk purchases over four
// centres, the desk's own holding 400,000, added in rounds so that the
// centres' purchases are interleaved in the tables and the word index as
// a chain's are.
const (
	search1MOwn    = 400_000
	search1MOther  = 200_000 // In each of the other three centres.
	search1MRounds = 4
	// search1MData names the shape of the seeded chain, so that a cached
	// database of an older shape is not reused.
	search1MData = "v1"
)

// search1MOthers are the other centres of the chain.
var search1MOthers = []string{shop.DemoOtherCentreID, "aktiv-bergen-sentrum", "aktiv-trondheim-solsiden"}

// BenchmarkSearch1M times GET /purchases?q= as a desk calls it, on SQLite
// and on PostgreSQL, in a chain of 1,000,000 purchases of which the desk's
// centre holds 400,000: every kind of query staff type (whole name,
// surname, its first three letters, a phone number as stored and as bare
// digits, an e-mail address, part of a code, a name nobody has, and part
// of another centre's code, which the index finds and the centre filter
// must drop). Each kind is asked 1,000 times one after another (or
// SKRANKE_BENCH_SEARCH_CALLS times); latencies are p50/p99 by nearest
// rank, CPU per call counts the client, shopd and, on PostgreSQL, the
// database server.
//
// Seeding takes minutes, so it runs only with SKRANKE_BENCH_1M=1, and the
// seeded databases are kept under os.TempDir keyed by the migrations
// (SQLite: a file copied for each run; PostgreSQL: COPY files loaded into a
// new database). SKRANKE_BENCH_SEARCH_SHOP names a SQLite shop to copy
// instead of the chain (such as the sync benchmarks' shop of a million
// purchases in one centre).
func BenchmarkSearch1M(b *testing.B) {
	if os.Getenv("SKRANKE_BENCH_1M") == "" {
		b.Skip("SKRANKE_BENCH_1M=1 runs it (seeding a million purchases takes minutes the first time)")
	}
	calls := 1000
	if v := os.Getenv("SKRANKE_BENCH_SEARCH_CALLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SKRANKE_BENCH_SEARCH_CALLS=%q: want a number of calls per kind", v)
		}
		calls = n
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			s := &benchShop{hc: &http.Client{}}
			if kind == "sqlite" {
				from := os.Getenv("SKRANKE_BENCH_SEARCH_SHOP")
				if from == "" {
					from = search1MSQLite(b)
				}
				path := filepath.Join(b.TempDir(), "shopd.db")
				copyFile(b, from, path)
				s.srvs = append(s.srvs, shoptest.Start(b, shoptest.WithDBPath(path)))
			} else {
				c := pg.Cluster(b)
				s.pgPID = c.PID()
				s.srvs = append(s.srvs, shoptest.Start(b, shoptest.WithDBPath(search1MPostgres(b, c))))
			}
			sample := searchSample(b, s.srvs[0].DB, shop.DemoCentreID)
			other := searchSample(b, s.srvs[0].DB, search1MOthers[1])
			if len(sample) < 100 {
				b.Fatalf("a sample of %d of the desk's purchases", len(sample))
			}
			for _, q := range search1MQueries(sample, other) {
				b.Run(q.name, func(b *testing.B) {
					lat := make([]time.Duration, 0, calls)
					b.ResetTimer()
					start := time.Now()
					cpu0, db0 := cpuUsed(s.pgPID)
					for i := range calls {
						t0 := time.Now()
						n, err := s.search(q.query(i * 7919))
						lat = append(lat, time.Since(t0))
						if err == nil && q.hits >= 0 && (n > 0) != (q.hits > 0) {
							err = fmt.Errorf("q=%q found %d", q.query(i*7919), n)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					elapsed := time.Since(start)
					cpu1, db1 := cpuUsed(s.pgPID)
					all := [][]time.Duration{lat}
					reportLatency(b, all, elapsed, "searches")
					reportCPU(b, all, cpu1-cpu0, db1-db0, s.pgPID != 0)
				})
			}
		})
	}
}

// search1MQuery is one kind of query staff type, made from the i-th
// purchase of a sample; hits is 1 when it must find something, 0 when it
// must not, -1 when either may happen.
type search1MQuery struct {
	name  string
	query func(i int) string
	hits  int
}

// search1MQueries are the kinds BenchmarkSearch1M times: those of the
// desk's BenchmarkSearchCached1M, the phone number in two formats, and
// part of a code of another centre.
func search1MQueries(own, other []skranke.Purchase) []search1MQuery {
	buyer := func(i int) skranke.Buyer { return own[i%len(own)].Buyer }
	phone := func(i int) string {
		for ; buyer(i).Phone == ""; i++ {
		}
		return buyer(i).Phone
	}
	// The national number, as staff read it off a customer's screen.
	digits := func(i int) string {
		d := strings.Map(func(r rune) rune {
			if r < '0' || r > '9' {
				return -1
			}
			return r
		}, phone(i))
		return d[len(d)-8:]
	}
	qs := []search1MQuery{
		{"name", func(i int) string { return buyer(i).Name }, 1},
		{"surname", func(i int) string { n := strings.Fields(buyer(i).Name); return n[len(n)-1] }, 1},
		{"first-3", func(i int) string { return string([]rune(buyer(i).Name)[:3]) }, 1},
		{"phone-spaced", func(i int) string { d := digits(i); return "+47 " + d[:3] + " " + d[3:5] + " " + d[5:] }, 1},
		{"phone-digits", digits, 1},
		{"email", func(i int) string { return buyer(i).Email }, 1},
		{"code-part", func(i int) string { c := own[i%len(own)].Code; return c[2:7] }, 1},
		{"miss", func(i int) string { return fmt.Sprintf("Zyxwu Ødegård %d", i) }, 0},
		// Six characters of a code match about one code in a billion
		// from where they start, so another centre's may also be the
		// desk's: either answer is right.
		{"other-centre-code", func(i int) string { c := other[i%len(other)].Code; return c[1:7] }, -1},
	}
	if len(other) == 0 { // A shop of one centre (SKRANKE_BENCH_SEARCH_SHOP).
		qs = qs[:len(qs)-1]
	}
	return qs
}

// search asks the shop for the first page of q as a desk does and returns
// how many purchases it found.
func (s *benchShop) search(q string) (int, error) {
	req, _ := http.NewRequest("GET", s.url(0)+"/purchases?q="+url.QueryEscape(q), nil)
	req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("search %q: %d %s", q, resp.StatusCode, body)
	}
	var page skranke.SearchPage
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return 0, fmt.Errorf("search %q: %w", q, err)
	}
	return len(page.Purchases), nil
}

// searchSample returns a few thousand of a centre's purchases, taken from
// all through its feed.
func searchSample(b *testing.B, db shop.DB, centreID string) []skranke.Purchase {
	b.Helper()
	var out []skranke.Purchase
	err := db.View(context.Background(), func(tx shop.Tx) error {
		for since := int64(0); since < 1_000_000; since += 50_000 {
			ch, err := tx.Changes(centreID, since, 200)
			if err != nil {
				return err
			}
			for _, raw := range ch.Purchases {
				var p skranke.Purchase
				if err := json.Unmarshal(raw, &p); err != nil {
					return err
				}
				if p.Buyer.Name != "" && p.Buyer.Email != "" {
					out = append(out, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("sample of %s: %v", centreID, err)
	}
	return out
}

// search1MKey names the seeded chain: its size and shape and the
// migrations of both stores, so that a cache is rebuilt when either
// changes.
func search1MKey(b *testing.B) string {
	b.Helper()
	h := sha256.New()
	for _, glob := range []string{"migrations/*.sql", "migrations/postgres/*.sql"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			h.Write(text)
		}
	}
	return fmt.Sprintf("%d-%s-%x", search1MOwn+3*search1MOther, search1MData, h.Sum(nil)[:4])
}

// seedSearch1M fills db with the demo data and the chain's bulk purchases.
func seedSearch1M(b *testing.B, db shop.DB) {
	b.Helper()
	seedSearch1MChain(b, db)
	seedSearch1MBulk(b, db)
}

// seedSearch1MChain fills db with the demo data and the chain's other
// centres.
func seedSearch1MChain(b *testing.B, db shop.DB) {
	b.Helper()
	ctx := context.Background()
	if _, err := shop.SeedDemo(ctx, db, time.Now()); err != nil {
		b.Fatal(err)
	}
	err := db.Update(ctx, func(tx shop.Tx) error {
		for _, id := range search1MOthers[1:] {
			if err := tx.PutCentre(skranke.Centre{ID: id, Name: "Aktiv Trening " + id, OrgNo: "998 877 665"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// seedSearch1MBulk adds the chain's bulk purchases to db, in rounds.
func seedSearch1MBulk(b *testing.B, db shop.DB) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	for r := range search1MRounds {
		if _, err := db.SeedBulk(ctx, shop.DemoCentreID, search1MOwn/search1MRounds); err != nil {
			b.Fatal(err)
		}
		for _, id := range search1MOthers {
			if _, err := db.SeedBulk(ctx, id, search1MOther/search1MRounds); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("seeded round %d of %d: %v", r+1, search1MRounds, time.Since(start).Round(time.Second))
	}
}

// search1MSQLite returns the path of a SQLite shop holding the chain,
// seeded once under os.TempDir and reused; callers copy it.
func search1MSQLite(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "skranke-bench-shopsearch-sqlite-"+search1MKey(b))
	path := filepath.Join(dir, "shop.db")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return path
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	db, err := shop.Open(context.Background(), path, shop.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	seedSearch1M(b, db)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// copyFile copies the SQLite file at from (checkpointed: no WAL beside
// it) to to.
func copyFile(b *testing.B, from, to string) {
	b.Helper()
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}

// search1MPostgres returns the URL of a new database on c holding the
// chain, dropped when b ends. The first run seeds it and keeps the bulk
// purchases and their lines under os.TempDir as COPY files; later runs
// seed the demo data and load those, the tables' indexes dropped during
// the load and built again after it (as pg_restore does).
func search1MPostgres(b *testing.B, c *shoptest.Cluster) string {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), "skranke-bench-shopsearch-pg-"+search1MKey(b))
	url := c.NewDatabase(b)
	db, err := shop.Open(ctx, url, shop.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	seedSearch1MChain(b, db)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var demoSeq int64
	if err := conn.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'seq'").Scan(&demoSeq); err != nil {
		b.Fatal(err)
	}
	seqFile := filepath.Join(dir, "demo-seq")
	if s, err := os.ReadFile(seqFile); err == nil && string(s) == fmt.Sprint(demoSeq) {
		db.Close()
		loadSearch1M(b, conn, dir)
		b.Logf("PostgreSQL: chain loaded from %s in %v", dir, time.Since(start).Round(time.Second))
		return url
	}
	seedSearch1MBulk(b, db)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("PostgreSQL: chain seeded in %v", time.Since(start).Round(time.Second))
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, t := range search1MTables {
		f, err := os.Create(filepath.Join(dir, t+".copy"))
		if err != nil {
			b.Fatal(err)
		}
		q := "SELECT * FROM purchases WHERE seq > $1"
		if t == "purchase_lines" {
			q = "SELECT l.* FROM purchase_lines l JOIN purchases p ON p.code = l.purchase_code WHERE p.seq > $1"
		}
		q = strings.Replace(q, "$1", fmt.Sprint(demoSeq), 1)
		if _, err := conn.PgConn().CopyTo(ctx, f, "COPY ("+q+") TO STDOUT"); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// Written last: the files are complete when it is there.
	if err := os.WriteFile(seqFile, []byte(fmt.Sprint(demoSeq)), 0o644); err != nil {
		b.Fatal(err)
	}
	return url
}

// search1MTables are the tables SeedBulk fills, in the order they load.
var search1MTables = []string{"purchases", "purchase_lines"}

// loadSearch1M loads the COPY files in dir into the database of conn,
// which holds the demo data and the chain's centres.
func loadSearch1M(b *testing.B, conn *pgx.Conn, dir string) {
	b.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// The indexes that back no constraint, built again after the load.
		rows, err := tx.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1)
			AND indexname NOT IN (SELECT conname FROM pg_constraint)`, search1MTables)
		if err != nil {
			return err
		}
		defs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Def string }])
		if err != nil {
			return err
		}
		for _, d := range defs {
			if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{d.Name}.Sanitize()); err != nil {
				return err
			}
		}
		for _, t := range search1MTables {
			f, err := os.Open(filepath.Join(dir, t+".copy"))
			if err != nil {
				return err
			}
			_, err = tx.Conn().PgConn().CopyFrom(ctx, f, "COPY "+t+" FROM STDIN")
			f.Close()
			if err != nil {
				return fmt.Errorf("load %s: %w", t, err)
			}
		}
		if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		for _, d := range defs {
			if _, err := tx.Exec(ctx, d.Def); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "UPDATE meta SET value = (SELECT max(seq) FROM purchases) WHERE key = 'seq'")
		return err
	})
	if err != nil {
		b.Fatalf("load the chain: %v", err)
	}
	// Statistics for the planner, as SeedBulk gathers them.
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}
