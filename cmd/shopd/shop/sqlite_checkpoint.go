package shop

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// checkpointEvery is how many committed Updates wake the checkpointer. A
// delivery writes about ten pages to the WAL, so that is about 4,000 pages
// (16 MB), half the writer's own wal_autocheckpoint. Pages many commits
// write (the ends of indexes, the feed's counter) are copied once for
// all of them: at 100 a delivery cost about a tenth more CPU.
const checkpointEvery = 400

// checkpointer copies the pages of the WAL back into the database file
// (a checkpoint) on a connection of its own. SQLite would do it in the
// commit that fills the WAL past wal_autocheckpoint pages: on the group
// committer's goroutine, delaying that group's answers and the groups
// behind it by the copy and its fsync. Here the committer only wakes it;
// the writer keeps a higher wal_autocheckpoint in case it falls behind.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	quit chan struct{}
	done chan struct{}
	// backfilled is how many frames of the WAL the last checkpoint left
	// copied back.
	backfilled atomic.Int64
	mu         sync.Mutex
	ran        chan struct{} // Closed when the next checkpoint has run.
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}), ran: make(chan struct{})}
	go c.loop()
	return c
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.kick:
		case <-c.quit:
			return
		}
		// PASSIVE waits for no one: pages that readers still need stay
		// in the WAL for the next time. An error (the writer was
		// checkpointing itself) is no worse than a checkpoint skipped.
		var busy, frames, copied int64
		if c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied) == nil {
			c.backfilled.Store(copied)
		}
		c.mu.Lock()
		close(c.ran)
		c.ran = make(chan struct{})
		c.mu.Unlock()
	}
}

// next returns a channel closed when the next checkpoint has run.
func (c *checkpointer) next() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ran
}

// wake asks for a checkpoint without waiting for it.
func (c *checkpointer) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// stop waits for a checkpoint under way and closes the connection.
func (c *checkpointer) stop() error {
	close(c.quit)
	<-c.done
	return c.db.Close()
}
