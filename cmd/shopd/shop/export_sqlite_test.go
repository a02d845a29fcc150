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

// RunSQLiteMutationsMissingForTest is RunSQLiteMutationsForTest with
// every mutation told, as a reader may have told it before it was queued,
// that idempotency key scope/key and delivery id delivery have no row.
func RunSQLiteMutationsMissingForTest(db DB, scope, key, delivery string, fns ...func(Tx) error) []error {
	a := absent{scope: scope, key: key, delivery: delivery}
	wrapped := make([]func(Tx) error, len(fns))
	for i, fn := range fns {
		wrapped[i] = func(tx Tx) error {
			if t, ok := tx.(*sqlTx); ok && t.assume {
				t.absent = a
			}
			return fn(tx)
		}
	}
	return RunSQLiteMutationsForTest(db, wrapped...)
}
