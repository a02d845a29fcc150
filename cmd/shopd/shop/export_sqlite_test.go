package shop

import "context"

// RunSQLiteMutationsForTest runs fns as one group commit on db, a *SQLite,
// as it runs mutations (Updates under an idempotency key, which may run
// again), and returns each one's result.
func RunSQLiteMutationsForTest(db DB, fns ...func(Tx) error) []error {
	var group []*updateJob
	for _, fn := range fns {
		group = append(group, &updateJob{ctx: context.Background(), fn: fn, ahead: &readAhead{}, done: make(chan error, 1)})
	}
	db.(*SQLite).runGroup(group)
	out := make([]error, len(group))
	for i, j := range group {
		out[i] = <-j.done
	}
	return out
}
