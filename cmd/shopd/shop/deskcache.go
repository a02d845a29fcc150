package shop

import (
	"sync"
	"time"

	"github.com/skranke/skranke"
)

// DefaultDeskCacheTTL is how long a shopd trusts a desk token it has
// looked up (Config.DeskCacheTTL).
const DefaultDeskCacheTTL = 30 * time.Second

// maxCachedDesks bounds the desk cache; past it the cache starts afresh.
// A chain has hundreds of desks, not tens of thousands.
const maxCachedDesks = 10_000

// deskCache keeps the desks whose tokens were accepted lately, by token
// hash, so that a request costs no database read to authenticate: desks
// poll the changes feed every few seconds, and that read was half of what
// an idle desk's poll cost. Only accepted tokens are kept; a wrong one is
// looked up every time (and counted by failLimiter). Entries outlive ttl
// (until the cache starts afresh): seen tells the tokens accepted here
// before from those never seen, which an address refused for wrong tokens
// may not try freely. Desks are added and
// removed by the shop's operators, not through the API, so a desk removed
// from the database is refused at the latest ttl later.
type deskCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[string]cachedDesk
}

type cachedDesk struct {
	desk skranke.DeskInfo
	at   time.Time
}

func newDeskCache(ttl time.Duration) *deskCache {
	return &deskCache{ttl: ttl, m: map[string]cachedDesk{}}
}

// get returns the desk of a token hash if it was looked up less than ttl
// before now.
func (c *deskCache) get(hash string, now time.Time) (skranke.DeskInfo, bool) {
	if c.ttl <= 0 {
		return skranke.DeskInfo{}, false
	}
	c.mu.RLock()
	e, ok := c.m[hash]
	c.mu.RUnlock()
	if !ok || now.Sub(e.at) >= c.ttl || now.Before(e.at) {
		return skranke.DeskInfo{}, false
	}
	return e.desk, true
}

// seen reports whether hash was accepted on this shopd lately, however
// long ago within the cache's bounds: not enough to trust it without the
// database, but enough to let it be looked up from an address refused for
// wrong tokens (see Server.authDesk).
func (c *deskCache) seen(hash string) bool {
	c.mu.RLock()
	_, ok := c.m[hash]
	c.mu.RUnlock()
	return ok
}

// forget drops hash: the database no longer knows it.
func (c *deskCache) forget(hash string) {
	c.mu.Lock()
	delete(c.m, hash)
	c.mu.Unlock()
}

// put notes that hash belongs to desk, as read from the database at now.
// It is kept even when the cache trusts nothing (ttl <= 0), for seen.
func (c *deskCache) put(hash string, desk skranke.DeskInfo, now time.Time) {
	c.mu.Lock()
	if len(c.m) >= maxCachedDesks {
		clear(c.m)
	}
	c.m[hash] = cachedDesk{desk: desk, at: now}
	c.mu.Unlock()
}
