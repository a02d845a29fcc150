package shop

import (
	"context"
	"sync"
	"time"
)

// The changes feed is what every desk asks for every few seconds, mostly
// to hear that nothing changed, and the desks of a centre mostly ask from
// the same cursor (where the last change left them all). So a poll is
// answered in two steps, neither of which may ever tell a desk less than
// the database held when its request arrived:
//
//  1. The feed's head: the last sequence number committed, on whichever
//     shopd (Tx.FeedHead); on PostgreSQL, once durable (see
//     asyncCommitSetting). It is read afresh for each request, but one
//     read serves every request that arrived before it started
//     (headReader): a burst of a hundred polls costs a read or two. A desk
//     at or past the head is answered "nothing new" from memory.
//  2. The page: computed once in a snapshot and kept, compressed, with the
//     head that snapshot saw (feedPages). Every desk asking the same page
//     while the head has not moved past it gets those bytes.
//
// Sequence numbers are handed out in commit order (see Store), so a state
// of the feed is named by its head: a page computed at head h is the
// answer for any request that found the head at or below h.

// durableHeadKey is the context key of withDurableHead.
type durableHeadKey struct{}

// withDurableHead tells a store's View that it computes a page of the feed
// for requests that found the feed's head at head, durable (see
// pgTx.FeedHead): a page up to a durable number at least as high answers
// them.
func withDurableHead(ctx context.Context, head int64) context.Context {
	return context.WithValue(ctx, durableHeadKey{}, head)
}

// durableHeadOf returns what withDurableHead put in ctx.
func durableHeadOf(ctx context.Context) (head int64, ok bool) {
	head, ok = ctx.Value(durableHeadKey{}).(int64)
	return head, ok
}

// headReadTimeout bounds one read of the feed's head, which all the polls
// waiting for it share, whatever their own deadlines.
const headReadTimeout = 10 * time.Second

// headReader reads the feed's head for many requests at once. A request
// joins the next read to start, never one already running: a read that
// started before a request arrived may have missed a commit the request
// must see. While a read runs, the requests arriving gather for the next
// one.
type headReader struct {
	read func(ctx context.Context) (int64, error)
	// timeout bounds each read; 0 means headReadTimeout.
	timeout time.Duration
	mu      sync.Mutex
	running bool
	next    *headCall // The read the requests arriving now will share.
}

type headCall struct {
	done chan struct{}
	head int64
	err  error
}

// get returns the feed's head as read after the call began.
func (h *headReader) get(ctx context.Context) (int64, error) {
	h.mu.Lock()
	if h.next == nil {
		h.next = &headCall{done: make(chan struct{})}
	}
	c := h.next
	if !h.running {
		h.running, h.next = true, nil
		go h.loop(c)
	}
	h.mu.Unlock()
	select {
	case <-c.done:
		return c.head, c.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// loop runs c, then the read gathered meanwhile, until none gathered.
func (h *headReader) loop(c *headCall) {
	for c != nil {
		timeout := h.timeout
		if timeout == 0 {
			timeout = headReadTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		c.head, c.err = h.read(ctx)
		cancel()
		close(c.done)
		h.mu.Lock()
		c, h.next = h.next, nil
		h.running = c != nil
		h.mu.Unlock()
	}
}

// Limits of the page cache: pages larger than maxCachedPage (a first
// sync's, which no two desks share) are not kept, and the cache starts
// afresh past maxCachedBytes.
const (
	maxCachedPage  = 1 << 20
	maxCachedBytes = 32 << 20
)

// pageKey names a page of the feed as a desk asks for it.
type pageKey struct {
	centre string
	since  int64
	limit  int
	gzip   bool
}

// feedPage is a page being computed or computed. head is the feed's head
// in the snapshot it was computed from, once done is closed; until then
// minHead is the head known when it was started, which its snapshot will
// see at least.
type feedPage struct {
	minHead int64
	done    chan struct{}
	head    int64
	body    []byte
	gzipped bool
	err     error
	kept    bool // Counted in feedPages.bytes; guarded by its mu.
}

// feedPages keeps the pages of the changes feed computed at the newest
// head this shopd has seen. Pages of an older head are useless once a newer
// one is known (heads only grow), so they are dropped.
type feedPages struct {
	mu    sync.Mutex
	head  int64 // The newest head of a computed page.
	m     map[pageKey]*feedPage
	bytes int
}

// get returns the page key as of a head at least head, computing it with
// compute (which returns the page and the head its snapshot saw) unless a
// page computed or being computed from such a snapshot is there to share.
func (f *feedPages) get(key pageKey, head int64, compute func() (body []byte, gzipped bool, at int64, err error)) (*feedPage, error) {
	f.mu.Lock()
	p := f.m[key]
	if p != nil {
		select {
		case <-p.done:
			if p.err != nil || p.head < head {
				p = nil
			}
		default:
			if p.minHead < head {
				p = nil
			}
		}
	}
	if p != nil {
		f.mu.Unlock()
		<-p.done
		return p, p.err
	}
	p = &feedPage{minHead: head, done: make(chan struct{})}
	if f.m == nil {
		f.m = map[pageKey]*feedPage{}
	}
	if old := f.m[key]; old != nil && old.kept {
		f.bytes -= len(old.body)
	}
	f.m[key] = p
	f.mu.Unlock()

	p.body, p.gzipped, p.head, p.err = compute()
	close(p.done)

	f.mu.Lock()
	defer f.mu.Unlock()
	mine := f.m[key] == p
	if p.err != nil || len(p.body) > maxCachedPage || p.head < f.head {
		if mine {
			delete(f.m, key)
		}
		return p, p.err
	}
	if p.head > f.head {
		// A newer state: pages of older ones will not be asked for again.
		f.head = p.head
		for k, q := range f.m {
			if q.kept && q.head < p.head {
				f.bytes -= len(q.body)
				delete(f.m, k)
			}
		}
	}
	if !mine {
		return p, nil // A newer computation of the page took its place.
	}
	if f.bytes+len(p.body) > maxCachedBytes {
		clear(f.m)
		f.bytes = 0
		return p, nil
	}
	p.kept = true
	f.bytes += len(p.body)
	return p, nil
}
