package shop

import (
	"context"
	"time"
)

// RunGroupForTest runs fns as one group commit on db and returns each
// one's result.
func RunGroupForTest(db DB, fns ...func(Tx) error) []error {
	var group []*updateJob
	for _, fn := range fns {
		group = append(group, &updateJob{ctx: context.Background(), fn: fn, done: make(chan error, 1)})
	}
	switch s := db.(type) {
	case *Postgres:
		s.runGroup(group)
	case *SQLite:
		s.runGroup(group)
	}
	out := make([]error, len(group))
	for i, j := range group {
		out[i] = <-j.done
	}
	return out
}

// SQLiteCommits says how many group commits db, a *SQLite, ran, how
// many Updates they held and how long the committer spent running them
// (zeros for another store).
func SQLiteCommits(db DB) (groups, updates int64, busy time.Duration) {
	if s, ok := db.(*SQLite); ok {
		return s.groups.Load(), s.updates.Load(), time.Duration(s.busy.Load())
	}
	return 0, 0, 0
}

// CheckpointedFrames says how many frames of the WAL db's checkpointer
// last left copied back into the database file, db a *SQLite, and
// returns a channel closed when its next checkpoint has run.
func CheckpointedFrames(db DB) (int64, <-chan struct{}) {
	c := db.(*SQLite).ckpt
	next := c.next()
	return c.backfilled.Load(), next
}

// CheckpointEvery is how many committed Updates wake SQLite's checkpointer.
const CheckpointEvery = checkpointEvery
