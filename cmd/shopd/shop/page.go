package shop

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// gzipMin is the smallest answer worth compressing.
const gzipMin = 8 << 10

// pagePool keeps what writing a page of the changes feed needs between
// requests: the page's JSON, and a gzip writer with its output buffer. A
// gzip writer holds about a megabyte of compressor state, and making one per
// answer cost more than the compression itself when a hundred desks poll at
// once (allocation, zeroing, and the garbage collector's work after it).
type pagePool struct {
	bufs sync.Pool // *[]byte: a page's JSON.
	gz   sync.Pool // *pageGzip
}

type pageGzip struct {
	w   *gzip.Writer
	out bytes.Buffer
}

// maxPooled is the largest buffer kept for reuse: a full page of 1000
// purchases fits; a rare bigger one goes to the garbage collector.
const maxPooled = 4 << 20

// render returns the body of the page ch, gzip-compressed when it is
// large enough and gz is set (and says whether it is), in a slice of its
// own that the caller may keep. The documents are stored ready to send, so
// they are copied into the answer without being decoded or encoded.
func (p *pagePool) render(ch Changes, gz bool) (body []byte, gzipped bool) {
	bp, _ := p.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer func() {
		if cap(*bp) <= maxPooled {
			p.bufs.Put(bp)
		}
	}()
	buf := appendPage((*bp)[:0], ch)
	*bp = buf
	// JSON documents shrink about tenfold, which matters to a desk syncing
	// over a gym's mobile broadband; compressing at the fastest level costs
	// a fraction of a millisecond for a page of 100.
	if len(buf) < gzipMin || !gz {
		return slices.Clone(buf), false
	}
	z, _ := p.gz.Get().(*pageGzip)
	if z == nil {
		z = &pageGzip{}
		z.w, _ = gzip.NewWriterLevel(&z.out, gzip.BestSpeed)
	}
	defer func() {
		if z.out.Cap() <= maxPooled {
			p.gz.Put(z)
		}
	}()
	z.out.Reset()
	z.w.Reset(&z.out)
	z.w.Write(buf)
	z.w.Close()
	return slices.Clone(z.out.Bytes()), true
}

// writePage answers 200 with a page's body as render made it.
func writePage(w http.ResponseWriter, body []byte, gzipped bool) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Vary", "Accept-Encoding")
	if gzipped {
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// appendPage appends the JSON of a page of the changes feed to buf.
func appendPage(buf []byte, ch Changes) []byte {
	size := 64
	for _, d := range ch.Purchases {
		size += len(d) + 1
	}
	for _, d := range ch.Cards {
		size += len(d) + 1
	}
	buf = slices.Grow(buf, size)
	buf = appendDocs(append(buf, `{"purchases":`...), ch.Purchases)
	buf = appendDocs(append(buf, `,"cards":`...), ch.Cards)
	buf = append(buf, `,"next":`...)
	buf = strconv.AppendInt(buf, ch.Next, 10)
	buf = append(buf, `,"more":`...)
	buf = strconv.AppendBool(buf, ch.More)
	return append(buf, "}\n"...)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

func appendDocs(buf []byte, docs []json.RawMessage) []byte {
	buf = append(buf, '[')
	for i, d := range docs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, d...)
	}
	return append(buf, ']')
}
