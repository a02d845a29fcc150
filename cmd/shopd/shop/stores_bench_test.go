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
}

func (s *benchShop) url(desk int) string { return s.srvs[desk%len(s.srvs)].URL + shop.APIPrefix }

// BenchmarkStores measures SQLite (one shopd) and PostgreSQL (three shopd
// on one database) side by side in one run, on a centre of 100,000
// purchases: deliveries from 20 desks at once, a desk's first sync, lookups
// and changes-feed polls from 200 desks at once. "fsync" measures the
// disk's synchronous write rate in the same run, the ceiling of durable
// commits one at a time.
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
				s.srvs = append(s.srvs, shoptest.Start(b, append(first, shoptest.WithPostgres(c))...))
				for range 2 {
					s.srvs = append(s.srvs, shoptest.Start(b, shoptest.WithDBPath(s.srvs[0].DBPath)))
				}
			}
			s.srvs[0].DB.View(context.Background(), func(tx shop.Tx) error {
				ch, err := tx.Changes(shop.DemoCentreID, 0, 1_000_000)
				s.head = ch.Next
				for _, raw := range ch.Purchases {
					var p skranke.Purchase
					json.Unmarshal(raw, &p)
					if p.Status.Deliverable() && p.Remaining() {
						s.codes = append(s.codes, p.Code)
					}
				}
				return err
			})
			rand.Shuffle(len(s.codes), func(i, j int) { s.codes[i], s.codes[j] = s.codes[j], s.codes[i] })
			b.Run("deliver-20-desks", s.benchDeliver)
			b.Run("first-sync-100k", s.benchFirstSync)
			b.Run("lookup-200-desks", s.benchLookup)
			b.Run("changes-poll-200-desks", s.benchPoll)
		})
	}
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

// run spreads b.N operations over desks goroutines, each sending its next
// request as soon as it has the answer to the last (every period when
// period > 0, as real desks do), timing each, and reports the p99 and mean
// latency and the rate.
func (s *benchShop) run(b *testing.B, desks int, period time.Duration, unit string, op func(desk, i int) error) {
	lat := make([][]time.Duration, desks)
	var n atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for d := range desks {
		wg.Go(func() {
			var tick <-chan time.Time
			if period > 0 {
				// Desks start spread over one period, as desks do that
				// were switched on at different times.
				time.Sleep(period * time.Duration(d) / time.Duration(desks))
				t := time.NewTicker(period)
				defer t.Stop()
				tick = t.C
			}
			for first := true; ; first = false {
				if tick != nil && !first {
					<-tick
				}
				i := int(n.Add(1))
				if i > b.N {
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
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(sum.Microseconds())/float64(len(all))/1000, "mean-ms")
	b.ReportMetric(0, "ns/op")
}

func (s *benchShop) benchDeliver(b *testing.B) {
	s.run(b, 20, 0, "deliveries", func(desk, _ int) error {
		i := int(s.next.Add(1)) - 1
		if i >= len(s.codes) {
			return fmt.Errorf("out of purchases to deliver after %d", i)
		}
		c := &client{t: b, base: s.url(desk), token: shop.DemoDeskToken, staff: shop.DemoStaffID, http: s.hc}
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

// benchLookup is 200 desks each looking a purchase up once a second, far
// more often than staff scan (a closed loop would measure only how long
// the queue grows).
func (s *benchShop) benchLookup(b *testing.B) {
	s.run(b, 200, time.Second, "lookups", func(desk, i int) error {
		code := s.codes[(desk*7919+i)%len(s.codes)]
		st, err := s.get(s.url(desk) + "/purchases/" + code)
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("lookup %s: %d", code, st)
		}
		return err
	})
}

// benchPoll is 200 desks asking for what changed since their cursor near
// the head of the feed, each once a second (desks poll every 5 s).
func (s *benchShop) benchPoll(b *testing.B) {
	// The head of the feed: the last item above what setup saw.
	head := s.head
	s.srvs[0].DB.View(context.Background(), func(tx shop.Tx) error {
		ch, err := tx.Changes(shop.DemoCentreID, s.head, 1_000_000)
		head = ch.Next
		return err
	})
	since := max(0, head-20) // A desk 20 changes behind.
	s.run(b, 200, time.Second, "polls", func(desk, _ int) error {
		st, err := s.get(fmt.Sprintf("%s/changes?since=%d", s.url(desk), since))
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("poll: %d", st)
		}
		return err
	})
}
