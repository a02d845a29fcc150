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

// RunMutationsForTest runs fns as one group commit on db, a *Postgres, as
// it runs mutations (Updates that read ahead; here they read nothing
// ahead), and returns each one's result.
func RunMutationsForTest(db DB, fns ...func(Tx) error) []error {
	var group []*updateJob
	for _, fn := range fns {
		group = append(group, &updateJob{ctx: context.Background(), fn: fn, ahead: &readAhead{}, done: make(chan error, 1)})
	}
	db.(*Postgres).runGroup(group)
	out := make([]error, len(group))
	for i, j := range group {
		out[i] = <-j.done
	}
	return out
}

// MutationForTest is a mutation of RunMutationsAheadForTest: Fn, and the
// rows it reads ahead (see readAhead).
type MutationForTest struct {
	IdemScope, IdemKey, Session, Purchase, Delivery string
	Cards                                           bool
	Fn                                              func(Tx) error
}

// RunMutationsAheadForTest runs ms as one group commit on db, a
// *Postgres, each reading its rows ahead, and returns each one's result.
func RunMutationsAheadForTest(db DB, ms ...MutationForTest) []error {
	var group []*updateJob
	for _, m := range ms {
		ra := &readAhead{idemScope: m.IdemScope, idemKey: m.IdemKey, session: m.Session,
			purchase: m.Purchase, purchaseCards: m.Cards, delivery: m.Delivery}
		group = append(group, &updateJob{ctx: context.Background(), fn: m.Fn, ahead: ra, done: make(chan error, 1)})
	}
	db.(*Postgres).runGroup(group)
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

// PostgresCommits says how many group commits db, a *Postgres, ran and
// how many Updates they held (0, 0 for another store).
func PostgresCommits(db DB) (groups, updates int64) {
	if s, ok := db.(*Postgres); ok {
		return s.groups.Load(), s.updates.Load()
	}
	return 0, 0
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

// StaffLocksForTest counts the PIN mutexes s keeps for its staff.
func StaffLocksForTest(s *Server) int { return len(s.staffLocks) }

// PostgresWriteLockForTest is the key of the advisory lock that a
// PostgreSQL store's write transactions take (see Postgres).
const PostgresWriteLockForTest = pgWriteLock

// EnqueueMutationsForTest hands ms to the committer of db, a *Postgres,
// one after another, each as a mutation that reads its rows ahead, and
// returns a function that waits for their results. When it returns, ms
// are the committer's: running, or queued for its next group.
func EnqueueMutationsForTest(db DB, ms ...MutationForTest) (wait func() []error) {
	s := db.(*Postgres)
	var jobs []*updateJob
	for _, m := range ms {
		ra := &readAhead{idemScope: m.IdemScope, idemKey: m.IdemKey, session: m.Session,
			purchase: m.Purchase, purchaseCards: m.Cards, delivery: m.Delivery}
		j := &updateJob{ctx: context.Background(), fn: m.Fn, ahead: ra, done: make(chan error, 1)}
		s.commits.jobs <- j
		jobs = append(jobs, j)
	}
	return func() []error {
		out := make([]error, len(jobs))
		for i, j := range jobs {
			out[i] = <-j.done
		}
		return out
	}
}

// SkipDurableBarrierForTest makes db, a *Postgres, answer its groups of
// mutations without waiting for the barrier that says they are durable
// (see asyncCommitSetting): visible before durable, as every group is for
// a moment.
func SkipDurableBarrierForTest(db DB) { db.(*Postgres).skipBarrier = true }

// DurableBarrierForTest is the statement that waits for the flush of the
// groups committed before it started (see asyncCommitSetting).
const DurableBarrierForTest = durableBarrier

// WithDurableHeadForTest is withDurableHead: a View on ctx computes a page
// of the feed for requests that found head, durable.
func WithDurableHeadForTest(ctx context.Context, head int64) context.Context {
	return withDurableHead(ctx, head)
}
