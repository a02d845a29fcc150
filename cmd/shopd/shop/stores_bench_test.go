package shop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// benchShop is a shop under benchmark: one or more shopd on one database,
// with desks spread over them as a load balancer would.
type benchShop struct {
	srvs  []*shoptest.Server
	codes []string // Purchases a desk may deliver, in random order.
	next  atomic.Int64
	head  int64 // The feed's last seq when set up.
	hc    *http.Client
	pgPID int // The PostgreSQL server's process, whose CPU time counts too; 0 on SQLite.
	// sessions holds the staff session the desks deliver under, opened
	// once as a desk's staff log in once, not per delivery.
	sessions sync.Map
}

func (s *benchShop) url(desk int) string { return s.srvs[desk%len(s.srvs)].URL + shop.APIPrefix }

// BenchmarkStores measures SQLite (one shopd) and PostgreSQL (three shopd
// on one database) side by side in one run, on a centre of 100,000
// purchases: deliveries from 1 and from 20 desks sending one after another
// (as an outbox drains), a desk's first sync, and bursts of lookups and
// changes-feed polls from 100 or 200 desks at once. "fsync" measures the
// disk's synchronous write rate in the same run, the ceiling of durable
// commits one at a time. Latencies are percentiles of at least minSamples
// requests, and each figure says how many ("samples").
func BenchmarkStores(b *testing.B) {
	b.Run("fsync", benchFsync)
	for _, kind := range []string{"sqlite", "postgres-3"} {
		b.Run(kind, func(b *testing.B) {
			s := &benchShop{hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}}}
			first := []shoptest.Option{shoptest.WithBulk(benchPurchases)}
			if kind == "sqlite" {
				s.srvs = append(s.srvs, shoptest.Start(b, first...))
			} else {
				c := pg.Cluster(b)
				s.pgPID = c.PID()
				s.srvs = append(s.srvs, shoptest.Start(b, append(first, shoptest.WithPostgres(c))...))
				for range 2 {
					s.srvs = append(s.srvs, shoptest.Start(b, shoptest.WithDBPath(s.srvs[0].DBPath)))
				}
			}
			s.codes, s.head = deliverable(b, s.srvs[0].DB)
			rand.Shuffle(len(s.codes), func(i, j int) { s.codes[i], s.codes[j] = s.codes[j], s.codes[i] })
			b.Run("deliver-1-desk", func(b *testing.B) { s.benchDeliver(b, 1) })
			b.Run("deliver-20-desks", func(b *testing.B) { s.benchDeliver(b, 20) })
			b.Run("first-sync-100k", s.benchFirstSync)
			b.Run("lookup-200-desks", s.benchLookup)
			b.Run("lookup-200-desks-1-per-s", s.benchLookupOpen)
			b.Run("changes-poll-100-desks-100-behind", s.benchPollBehind)
			b.Run("changes-poll-100-desks-100-behind-every-5s", s.benchPollBehindOpen)
			b.Run("changes-poll-200-desks", s.benchPoll)
			b.Run("changes-poll-200-desks-up-to-date", s.benchPollIdle)
		})
	}
}

// deliverable returns the codes of the demo centre's purchases that can
// be delivered whole without a signature (services and drop-ins; physical
// goods need one uploaded first), and the feed's head.
func deliverable(tb testing.TB, db shop.Store) (codes []string, head int64) {
	err := db.View(context.Background(), func(tx shop.Tx) error {
		ch, err := tx.Changes(shop.DemoCentreID, 0, 1_000_000)
		head = ch.Next
		for _, raw := range ch.Purchases {
			var p skranke.Purchase
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			rest := map[string]int{}
			for _, l := range p.Lines {
				rest[l.ID] = l.Remaining()
			}
			if p.Status.Deliverable() && p.Remaining() && !p.NeedsSignature(rest) {
				codes = append(codes, p.Code)
			}
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return codes, head
}

// benchFsync writes 4 KiB and fdatasyncs it, over and over, in a file in
// the temporary folder where the test databases live.
func benchFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	i := int64(0)
	for b.Loop() {
		if _, err := f.WriteAt(buf, (i%256)*4096); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "fsyncs/s")
}

func (s *benchShop) get(url string) (int, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// minSamples is how many requests a latency benchmark times at least, so
// that its p99 is a percentile of enough samples and not the slowest of a
// hundred. The count is reported with every figure ("samples").
const minSamples = 2000

// run spreads max(b.N, minSamples) requests over desks goroutines, all
// sending at once, timing each, and reports the rate and the latency's p50,
// p99 (nearest rank) and mean; ns/op is the wall time per request.
func (s *benchShop) run(b *testing.B, desks int, unit string, op func(desk, i int) error) {
	total := max(b.N, minSamples)
	lat := make([][]time.Duration, desks)
	var n atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	cpu0, db0 := cpuUsed(s.pgPID)
	for d := range desks {
		wg.Go(func() {
			for {
				i := int(n.Add(1))
				if i > total {
					return
				}
				t0 := time.Now()
				if err := op(d, i); err != nil {
					b.Error(err)
					return
				}
				lat[d] = append(lat[d], time.Since(t0))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	elapsed := time.Since(start)
	cpu1, db1 := cpuUsed(s.pgPID)
	reportLatency(b, lat, elapsed, unit)
	reportCPU(b, lat, cpu1-cpu0, db1-db0, s.pgPID != 0)
}

// burst sends one request from each of desks goroutines at the same
// moment, waits for all answers, and repeats until at least
// max(b.N, minSamples) requests were timed: desks polling "at once", as
// after a shop restart or on timers that line up. Each request is timed
// from its own send; the p99 of a burst is about the time the server takes
// to answer all of it. It reports as run does.
func (s *benchShop) burst(b *testing.B, desks int, unit string, op func(desk, i int) error) {
	rounds := (max(b.N, minSamples) + desks - 1) / desks
	lat := make([][]time.Duration, desks)
	b.ResetTimer()
	start := time.Now()
	cpu0, db0 := cpuUsed(s.pgPID)
	for r := range rounds {
		var ready, wg sync.WaitGroup
		gate := make(chan struct{})
		for d := range desks {
			ready.Add(1)
			wg.Go(func() {
				ready.Done()
				<-gate
				t0 := time.Now()
				if err := op(d, r); err != nil {
					b.Error(err)
					return
				}
				lat[d] = append(lat[d], time.Since(t0))
			})
		}
		ready.Wait()
		close(gate)
		wg.Wait()
	}
	b.StopTimer()
	elapsed := time.Since(start)
	cpu1, db1 := cpuUsed(s.pgPID)
	reportLatency(b, lat, elapsed, unit)
	reportCPU(b, lat, cpu1-cpu0, db1-db0, s.pgPID != 0)
}

// open sends max(b.N, minSamples) requests from desks desks at random
// moments, perSecond a second in all (exponential gaps between sends, as
// when many desks act independently), without waiting for earlier answers
// (an open loop: a slow answer does not hold the next request back, so
// its delay is not hidden). Each request is timed from its send. It
// reports as run does.
func (s *benchShop) open(b *testing.B, desks int, perSecond float64, unit string, op func(desk, i int) error) {
	total := max(b.N, minSamples)
	lat := make([]time.Duration, total)
	var wg sync.WaitGroup
	gap := func() time.Duration { return time.Duration(rand.ExpFloat64() / perSecond * float64(time.Second)) }
	b.ResetTimer()
	start := time.Now()
	cpu0, db0 := cpuUsed(s.pgPID)
	next := start
	for i := range total {
		next = next.Add(gap())
		time.Sleep(time.Until(next))
		wg.Go(func() {
			t0 := time.Now()
			if err := op(rand.IntN(desks), i); err != nil {
				b.Error(err)
				return
			}
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	b.StopTimer()
	elapsed := time.Since(start)
	cpu1, db1 := cpuUsed(s.pgPID)
	all := [][]time.Duration{lat}
	reportLatency(b, all, elapsed, unit)
	reportCPU(b, all, cpu1-cpu0, db1-db0, s.pgPID != 0)
}

// reportCPU reports the CPU time spent per request: by this process (the
// desks, their HTTP client and the shopd servers; "cpu-us/op") and, with
// PostgreSQL, by the database server ("pg-cpu-us/op"). Unlike latencies
// these hardly depend on how busy the machine is, and rate × CPU per
// request against the cores there are says whether a target is within
// the machine's reach.
func reportCPU(b *testing.B, lat [][]time.Duration, self, db time.Duration, withDB bool) {
	n := 0
	for _, l := range lat {
		n += len(l)
	}
	if n == 0 {
		return
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	b.ReportMetric(us(self+db), "cpu-us/op")
	if withDB {
		b.ReportMetric(us(db), "pg-cpu-us/op")
	}
}

// reportLatency reports the rate, p50, p99 and mean of the samples (one
// slice per desk) taken over elapsed, and how many there were.
func reportLatency(b *testing.B, lat [][]time.Duration, elapsed time.Duration, unit string) {
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(ms(percentile(all, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(all, 99)), "p99-ms")
	b.ReportMetric(ms(sum/time.Duration(len(all))), "mean-ms")
	b.ReportMetric(float64(len(all)), "samples")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(len(all)), "ns/op")
}

// percentile returns the p-th percentile of sorted by nearest rank: the
// smallest sample with at least p% of all at or below it.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100 // ceil(n·p/100), a rank from 1
	return sorted[max(i, 1)-1]
}

// benchDeliver is desks desks handing over purchases at once, each
// delivery a POST with its idempotency key, as a desk's outbox sends it.
func (s *benchShop) benchDeliver(b *testing.B, desks int) {
	// The staff member logs in before the clock starts (a PIN check takes
	// a good 100 ms and is no part of a delivery).
	(&client{t: b, base: s.url(0), token: shop.DemoDeskToken, staff: shop.DemoStaffID, http: s.hc, sessions: &s.sessions}).session()
	// On SQLite, how many Updates shared a commit: the fewer, the more
	// each pays of the commit's fixed CPU, which explains much of how CPU
	// per delivery varies with the load. On PostgreSQL the same, over
	// all shopd. And, on SQLite, how much of the run the group committer
	// was busy, with the wall time it took per delivery: it runs the
	// deliveries one after another, so near 100 % it is what bounds the
	// rate.
	commits := func() (g, u int64, busy time.Duration) {
		for _, srv := range s.srvs {
			sg, su, sb := shop.SQLiteCommits(srv.DB)
			pq, pu := shop.PostgresCommits(srv.DB)
			g, u, busy = g+sg+pq, u+su+pu, busy+sb
		}
		return g, u, busy
	}
	g0, u0, busy0 := commits()
	start := time.Now()
	defer func() {
		if g, u, busy := commits(); g > g0 {
			b.ReportMetric(float64(u-u0)/float64(g-g0), "updates/commit")
			if busy > busy0 {
				b.ReportMetric(100*float64(busy-busy0)/float64(time.Since(start)), "writer-busy-%")
				b.ReportMetric(float64((busy-busy0).Microseconds())/float64(u-u0), "writer-us/op")
			}
		}
	}()
	s.run(b, desks, "deliveries", func(desk, _ int) error {
		i := int(s.next.Add(1)) - 1
		if i >= len(s.codes) {
			return fmt.Errorf("out of purchases to deliver after %d", i)
		}
		c := &client{t: b, base: s.url(desk), token: shop.DemoDeskToken, staff: shop.DemoStaffID, http: s.hc, sessions: &s.sessions}
		a, err := tryPost(c, "/purchases/"+s.codes[i]+"/deliveries", newKey(), shop.DeliveryRequest{ID: newKey()})
		if err == nil && a.status != http.StatusCreated {
			err = fmt.Errorf("deliver: %d %s", a.status, a.body)
		}
		return err
	})
}

// benchFirstSync is one desk's first sync: the whole feed in pages of 1000,
// decoded as a desk does.
func (s *benchShop) benchFirstSync(b *testing.B) {
	total := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		since := int64(0)
		for {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/changes?since=%d&limit=1000", s.url(i), since), nil)
			req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
			resp, err := s.hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var p page
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			total += len(p.Purchases)
			if !p.More {
				break
			}
			since = p.Next
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "purchases/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sync")
	b.ReportMetric(0, "ns/op")
}

// benchLookup is 200 desks looking up a purchase each, at once: the
// worst case, as if every desk scanned in the same millisecond.
func (s *benchShop) benchLookup(b *testing.B) {
	s.burst(b, 200, "lookups", s.lookup)
}

// benchLookupOpen is 200 desks each looking up a purchase once a second
// at moments of their own, as desks scan independently: lookups arrive
// at random (a Poisson stream of 200 a second), each whether or not
// earlier ones were answered. The lookup target is judged on this one.
func (s *benchShop) benchLookupOpen(b *testing.B) {
	s.open(b, 200, 200, "lookups", s.lookup)
}

// lookup is desk's i-th lookup of a purchase.
func (s *benchShop) lookup(desk, i int) error {
	code := s.codes[(desk*7919+i)%len(s.codes)]
	st, err := s.get(s.url(desk) + "/purchases/" + code)
	if err == nil && st != http.StatusOK {
		err = fmt.Errorf("lookup %s: %d", code, st)
	}
	return err
}

// benchPollBehind is 100 desks asking at once for the 100 changes each is
// behind, every desk at its own cursor and every round at new ones (so
// that no two requests ask for the same page, and no shopd has one ready),
// through Go's default client, which asks for gzip.
func (s *benchShop) benchPollBehind(b *testing.B) {
	const desks, behind = 100, 100
	cursors := s.behindCursors(b, (max(b.N, minSamples)+desks-1)/desks*desks, behind)
	s.burst(b, desks, "polls", func(desk, round int) error {
		return s.pollBehind(desk, cursors[round*desks+desk], behind)
	})
	s.reportPageBytes(b, cursors[0], behind)
}

// benchPollBehindOpen is the same 100 desks, each 100 changes behind at a
// cursor of its own, polling as real desks do: every 5 seconds, each at a
// random phase of its own, whether or not the shop has answered the last
// poll (an open loop). Each poll is timed from when it was due, so a
// late send counts against the shop. It takes max(b.N, minSamples) polls
// at 20 a second, at cursors no other benchmark asked from.
func (s *benchShop) benchPollBehindOpen(b *testing.B) {
	const desks, behind, period = 100, 100, 5 * time.Second
	total := max(b.N, minSamples)
	// Cursors the burst above did not use: the shop keeps the pages it
	// computed for those, and this is about pages no desk asked before.
	skip := 5 * total
	cursors := s.behindCursors(b, skip+total, behind)[skip:]
	lat := make([][]time.Duration, desks)
	var mu sync.Mutex // Guards lat: a late poll may still run when the next is due.
	var n atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	cpu0, db0 := cpuUsed(s.pgPID)
	for d := range desks {
		due := start.Add(rand.N(period))
		wg.Go(func() {
			var polls sync.WaitGroup
			defer polls.Wait()
			for ; ; due = due.Add(period) {
				i := int(n.Add(1)) - 1
				if i >= total {
					return
				}
				// Pacing the load, not waiting for an event: a desk's
				// timer fires whether or not the shop is ready.
				time.Sleep(time.Until(due))
				due := due
				polls.Go(func() {
					err := s.pollBehind(d, cursors[i], behind)
					if err != nil {
						b.Error(err)
						return
					}
					took := time.Since(due)
					mu.Lock()
					lat[d] = append(lat[d], took)
					mu.Unlock()
				})
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	elapsed := time.Since(start)
	cpu1, db1 := cpuUsed(s.pgPID)
	reportLatency(b, lat, elapsed, "polls")
	reportCPU(b, lat, cpu1-cpu0, db1-db0, s.pgPID != 0)
}

// behindCursors returns n cursors near the head of the feed with at least
// behind items after each, all different: the first is behind items
// before the head, and each next one item earlier.
func (s *benchShop) behindCursors(b *testing.B, n, behind int) []int64 {
	var seqs []int64
	s.srvs[0].DB.View(context.Background(), func(tx shop.Tx) error {
		ch, err := tx.Changes(shop.DemoCentreID, max(0, s.head-int64(4*(n+behind))), 1_000_000)
		for _, raw := range slices.Concat(ch.Purchases, ch.Cards) {
			var x struct{ Seq int64 }
			json.Unmarshal(raw, &x)
			seqs = append(seqs, x.Seq)
		}
		return err
	})
	slices.Sort(seqs)
	if len(seqs) < n+behind+1 {
		b.Fatalf("only %d items near the head of the feed", len(seqs))
	}
	seqs = seqs[len(seqs)-n-behind-1:]
	cursors := make([]int64, n)
	for i := range cursors {
		cursors[i] = seqs[len(seqs)-1-behind-i]
	}
	return cursors
}

// pollBehind is a desk's poll from since for a page of limit changes.
func (s *benchShop) pollBehind(desk int, since int64, limit int) error {
	st, err := s.get(fmt.Sprintf("%s/changes?since=%d&limit=%d", s.url(desk), since, limit))
	if err == nil && st != http.StatusOK {
		err = fmt.Errorf("poll: %d", st)
	}
	return err
}

// reportPageBytes reports the size of the page of limit changes from
// since as sent gzipped ("gz-bytes/page") and plain ("plain-bytes/page").
func (s *benchShop) reportPageBytes(b *testing.B, since int64, limit int) {
	for _, enc := range []string{"gzip", "identity"} {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/changes?since=%d&limit=%d", s.url(0), since, limit), nil)
		req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
		req.Header.Set("Accept-Encoding", enc) // By hand: the transport leaves the body compressed.
		resp, err := s.hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		name := "plain-bytes/page"
		if enc == "gzip" {
			name = "gz-bytes/page"
		}
		b.ReportMetric(float64(n), name)
	}
}

// benchPoll is 200 desks asking for what changed since their cursor near
// the head of the feed, as idle desks do all day.
func (s *benchShop) benchPoll(b *testing.B) {
	since := max(0, s.feedHead()-20) // A desk 20 changes behind.
	s.burst(b, 200, "polls", func(desk, _ int) error {
		st, err := s.get(fmt.Sprintf("%s/changes?since=%d", s.url(desk), since))
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("poll: %d", st)
		}
		return err
	})
}

// benchPollIdle is 200 desks that have every change asking at once whether
// anything changed, as idle desks do all day: the commonest request.
func (s *benchShop) benchPollIdle(b *testing.B) {
	head := s.feedHead()
	s.burst(b, 200, "polls", func(desk, _ int) error {
		st, err := s.get(fmt.Sprintf("%s/changes?since=%d", s.url(desk), head))
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("poll: %d", st)
		}
		return err
	})
}

// feedHead is the seq of the centre's last item in the feed now: the
// last above what setup saw.
func (s *benchShop) feedHead() int64 {
	head := s.head
	s.srvs[0].DB.View(context.Background(), func(tx shop.Tx) error {
		ch, err := tx.Changes(shop.DemoCentreID, s.head, 1_000_000)
		head = ch.Next
		return err
	})
	return head
}
