package shop

import "context"

// RunGroupForTest runs fns as one group commit on db, a *Postgres, and
// returns each one's result.
func RunGroupForTest(db DB, fns ...func(Tx) error) []error {
	p := db.(*Postgres)
	var group []*updateJob
	for _, fn := range fns {
		group = append(group, &updateJob{ctx: context.Background(), fn: fn, done: make(chan error, 1)})
	}
	p.runGroup(group)
	out := make([]error, len(group))
	for i, j := range group {
		out[i] = <-j.done
	}
	return out
}
