//go:build unix

package shop

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuPerOp runs the loop f and reports the process's CPU time per
// iteration ("cpu-us/op"), which unlike ns/op does not grow when other
// programs take the cores.
func cpuPerOp(b *testing.B, f func()) {
	var r0, r1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	n := 0
	for b.Loop() {
		f()
		n++
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	us := func(r syscall.Rusage) int64 { return r.Utime.Nano()/1000 + r.Stime.Nano()/1000 }
	b.ReportMetric(float64(us(r1)-us(r0))/float64(n), "cpu-us/op")
}

// BenchmarkPageRender measures the CPU a page of 100 changes costs the
// shop to read, encode and gzip, and a desk to unpack, one page at a time
// (so, unlike BenchmarkStores, hardly depending on how busy the machine
// is): "sql" reads it from SQLite, "render" makes its body as the shop
// does (JSON and gzip), and "gunzip" unpacks it as the desk's transport
// does.
func BenchmarkPageRender(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "shop.db"), OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := SeedDemo(ctx, db, time.Now()); err != nil {
		b.Fatal(err)
	}
	if _, err := db.SeedBulk(ctx, DemoCentreID, 5000); err != nil {
		b.Fatal(err)
	}
	var head int64
	db.View(ctx, func(tx Tx) error { head, err = tx.FeedHead(); return err })
	const behind, cursors = 100, 1000
	pages := make([]Changes, cursors)
	read := func(i int) Changes {
		var ch Changes
		err := db.View(ctx, func(tx Tx) error {
			var err error
			ch, err = tx.Changes(DemoCentreID, head-behind-int64(i), behind)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		return ch
	}
	for i := range pages {
		pages[i] = read(i)
	}
	b.Run("sql", func(b *testing.B) {
		i := 0
		cpuPerOp(b, func() {
			read(i % cursors)
			i++
		})
	})
	b.Run("render", func(b *testing.B) {
		var p pagePool
		i, n := 0, 0
		cpuPerOp(b, func() {
			body, _ := p.render(pages[i%cursors], true)
			n += len(body)
			i++
		})
		b.ReportMetric(float64(n)/float64(i), "gz-bytes/page")
	})
	b.Run("gunzip", func(b *testing.B) {
		var p pagePool
		body, _ := p.render(pages[0], true)
		zr, _ := gzip.NewReader(bytes.NewReader(body))
		cpuPerOp(b, func() {
			zr.Reset(bytes.NewReader(body))
			io.Copy(io.Discard, zr)
		})
	})
}
