package shop

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"hash/maphash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// gzipMin is the smallest answer worth compressing.
const gzipMin = 8 << 10

// pagePool keeps what writing a page of the changes feed needs between
// requests: the page's JSON, flate writers (each holds most of a megabyte
// of compressor state, and making one per answer cost more than the
// compression itself when a hundred desks poll at once), and the feed's
// documents already compressed (see fragments).
type pagePool struct {
	bufs  sync.Pool // *[]byte: a page's JSON.
	flate sync.Pool // *flateWriter
	frags fragments
}

type flateWriter struct {
	w   *flate.Writer
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
	// JSON documents shrink about sevenfold, which matters to a desk
	// syncing over a gym's mobile broadband.
	if len(buf) < gzipMin || !gz {
		return slices.Clone(buf), false
	}
	return p.gzipPage(buf, ch), true
}

// gzipPage returns the gzip member of the page ch, whose JSON is plain.
//
// Compressing was half of a page's CPU time, and desks at different
// cursors ask for pages that mostly hold the same documents: the latest
// changes. So the documents are compressed in runs (fragments), each
// compressed on its own and ended with a sync flush, which leaves a
// deflate stream on a byte boundary with no reference to what came before
// it; such pieces concatenate into one valid deflate stream. A page is a
// gzip header, the text between the runs as stored blocks, the runs'
// compressed bytes (from the cache when another page had them), a final
// empty block, and the CRC and length of plain. Where runs end is decided
// by the documents' content alone (see appendRuns), so two pages at
// different cursors cut their common documents into the same runs. The
// price is a slightly worse ratio than compressing the page whole, as
// every run starts with an empty dictionary: pages of 100 documents come
// out about 5x smaller than plain instead of 7x. So only pages of at most
// maxRunPage documents, those of desks polling near the head of the feed,
// are made of runs; the large pages of a first sync or a long catch-up,
// which no two desks share, are compressed whole, and stay out of the
// cache.
func (p *pagePool) gzipPage(plain []byte, ch Changes) []byte {
	z, _ := p.flate.Get().(*flateWriter)
	if z == nil {
		z = &flateWriter{}
		z.w, _ = flate.NewWriter(&z.out, flate.BestSpeed)
	}
	defer func() {
		if z.out.Cap() <= maxPooled {
			p.flate.Put(z)
		}
	}()
	out := make([]byte, 0, len(plain)/4)
	// The header as compress/gzip writes it with no name, time or comment.
	out = append(out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255)
	if len(ch.Purchases)+len(ch.Cards) > maxRunPage {
		z.out.Reset()
		z.w.Reset(&z.out)
		z.w.Write(plain)
		z.w.Close()
		out = append(out, z.out.Bytes()...)
	} else {
		out = appendStored(out, []byte(`{"purchases":[`))
		out = p.appendRuns(out, ch.Purchases, z)
		out = appendStored(out, []byte(`],"cards":[`))
		out = p.appendRuns(out, ch.Cards, z)
		// The rest of plain after the last document: the same bytes as
		// appendPage wrote, taken from there so that the two cannot differ.
		tail := appendPage(nil, Changes{Next: ch.Next, More: ch.More})
		out = appendStored(out, tail[len(`{"purchases":[],"cards":[`):])
		out = append(out, 1, 0, 0, 0xff, 0xff) // A final, empty stored block.
	}
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(plain))
	return binary.LittleEndian.AppendUint32(out, uint32(len(plain)))
}

// appendStored appends text as a stored (uncompressed) deflate block, not
// the last one; the stream must be on a byte boundary, and stays on one.
func appendStored(out, text []byte) []byte {
	for len(text) > 0 {
		n := min(len(text), 0xffff)
		out = append(out, 0)
		out = binary.LittleEndian.AppendUint16(out, uint16(n))
		out = binary.LittleEndian.AppendUint16(out, ^uint16(n))
		out = append(out, text[:n]...)
		text = text[n:]
	}
	return out
}

// maxRunPage is the most documents a page made of runs holds.
const maxRunPage = 250

// Runs of documents: a run ends after a document whose hash is 0 modulo
// runSpread (so runs hold runSpread documents on average) or at
// maxRunDocs documents.
const (
	runSpread  = 16
	maxRunDocs = 64
)

// appendRuns appends docs, separated by commas, to the deflate stream out
// as compressed runs (see gzipPage), with commas between the runs as
// stored blocks.
func (p *pagePool) appendRuns(out []byte, docs []json.RawMessage, z *flateWriter) []byte {
	p.frags.init()
	var run []byte
	start := 0
	for i, d := range docs {
		end := i == len(docs)-1 || i+1-start == maxRunDocs ||
			maphash.Bytes(p.frags.seed, d)%runSpread == 0
		if !end {
			continue
		}
		if start > 0 {
			out = appendStored(out, []byte{','})
		}
		run = appendDocList(run[:0], docs[start:i+1])
		out = append(out, p.frags.get(run, z)...)
		start = i + 1
	}
	return out
}

// maxFragmentBytes bounds the fragment cache: it starts afresh past that
// many plain bytes (and about a fifth as many compressed).
const maxFragmentBytes = 24 << 20

// fragments caches runs of documents compressed, by their plain bytes.
// The cache needs no invalidation: it maps bytes to bytes.
type fragments struct {
	once  sync.Once
	seed  maphash.Seed
	mu    sync.Mutex
	m     map[uint64]*fragment
	bytes int
}

// fragment is a run of documents, compressed once done is closed.
type fragment struct {
	plain []byte
	done  chan struct{}
	z     []byte
}

func (f *fragments) init() {
	f.once.Do(func() { f.seed = maphash.MakeSeed() })
}

// get returns run compressed into a deflate stream of its own that ends
// with a sync flush, compressing it with z unless another page did or is
// doing it.
func (f *fragments) get(run []byte, z *flateWriter) []byte {
	h := maphash.Bytes(f.seed, run)
	f.mu.Lock()
	if fr := f.m[h]; fr != nil && bytes.Equal(fr.plain, run) {
		f.mu.Unlock()
		<-fr.done
		return fr.z
	}
	fr := &fragment{plain: slices.Clone(run), done: make(chan struct{})}
	if f.m == nil || f.bytes+len(run) > maxFragmentBytes {
		f.m, f.bytes = map[uint64]*fragment{}, 0
	}
	f.m[h] = fr // A colliding run of other bytes loses its place.
	f.bytes += len(run)
	f.mu.Unlock()

	z.out.Reset()
	z.w.Reset(&z.out)
	z.w.Write(run)
	z.w.Flush()
	fr.z = slices.Clone(z.out.Bytes())
	close(fr.done)
	return fr.z
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
	return append(appendDocList(append(buf, '['), docs), ']')
}

// appendDocList appends docs to buf separated by commas.
func appendDocList(buf []byte, docs []json.RawMessage) []byte {
	for i, d := range docs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, d...)
	}
	return buf
}
