package shop

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/skranke/skranke"
)

// maxGroup caps how many Updates share one commit, so that the first of a
// group does not wait long for the last.
const maxGroup = 64

// updateJob is one Update waiting for its group.
type updateJob struct {
	ctx   context.Context
	fn    func(Tx) error
	ahead *readAhead // What fn reads first, if known (see readAhead).
	done  chan error
	// taken is set once the committer took the job: it runs, and its
	// caller is answered, also when the store closes meanwhile (a
	// group's answers may wait for a barrier, see Postgres).
	taken atomic.Bool
}

// take marks j taken by the committer and returns it.
func take(j *updateJob) *updateJob {
	j.taken.Store(true)
	return j
}

// groupCommitter is the one goroutine that runs a store's write
// transactions: it takes the Updates waiting at the moment (at most
// maxGroup) and hands them to the store's run, which runs them one after
// another in one transaction, commits them together and answers each job
// (PostgreSQL's once the commit is durable, which may be after run
// returned). While one group commits, the next gathers: the
// busier the shop, the larger the groups, and the fewer fsyncs per write.
type groupCommitter struct {
	op      string // Names the store's Update in errors.
	jobs    chan *updateJob
	quit    chan struct{}
	stopped chan struct{} // Closed when the goroutine has returned.
	once    sync.Once
	// held is an Update that more took and its caller did not want: the
	// next group's first. Only the committer's goroutine uses it.
	held *updateJob
}

func startCommitter(op string, run func(group []*updateJob)) *groupCommitter {
	// The queue holds a group's worth of jobs: a request hands its job
	// over without waiting for the committer to take it. With an
	// unbuffered channel every hand-over woke the sender a second time
	// (once taken, then again with its outcome), on the committer's own
	// processor, where the woken goroutines queued behind it.
	c := &groupCommitter{op: op, jobs: make(chan *updateJob, maxGroup), quit: make(chan struct{}), stopped: make(chan struct{})}
	go c.loop(run)
	return c
}

func (c *groupCommitter) loop(run func([]*updateJob)) {
	defer close(c.stopped)
	for {
		var group []*updateJob
		if c.held != nil {
			group, c.held = append(group, c.held), nil
		} else {
			select {
			case j := <-c.jobs:
				group = append(group, take(j))
			case <-c.quit:
				return
			}
		}
	more:
		for len(group) < maxGroup {
			select {
			case j := <-c.jobs:
				group = append(group, take(j))
			default:
				break more
			}
		}
		run(group)
	}
}

// poll returns a job waiting to be run, or nil if none is.
func (c *groupCommitter) poll() *updateJob {
	select {
	case j := <-c.jobs:
		return take(j)
	default:
		return nil
	}
}

// more returns an Update waiting now that want accepts, or nil: a store's
// run may take into its group the Updates that arrive while it runs. One
// want refuses is the next group's first. Only run may call it.
func (c *groupCommitter) more(want func(*updateJob) bool) *updateJob {
	if c.held != nil {
		return nil
	}
	select {
	case j := <-c.jobs:
		if want(take(j)) {
			return j
		}
		c.held = j
	default:
	}
	return nil
}

// update runs fn in a coming group and returns its outcome; ra, if not
// nil, names the rows fn reads first.
func (c *groupCommitter) update(ctx context.Context, ra *readAhead, fn func(Tx) error) error {
	j := &updateJob{ctx: ctx, fn: fn, ahead: ra, done: make(chan error, 1)}
	select {
	case c.jobs <- j:
	case <-ctx.Done():
		return skranke.E(c.op, skranke.Unavailable, ctx.Err())
	case <-c.quit:
		return skranke.E(c.op, skranke.Unavailable, "the shop database is closed")
	}
	// Once handed over, the job may commit: wait for the outcome. Should
	// the committer stop first, a job still queued never runs.
	select {
	case err := <-j.done:
		return err
	case <-c.stopped:
		if j.taken.Load() {
			return <-j.done
		}
		select {
		case err := <-j.done:
			return err
		default:
			return skranke.E(c.op, skranke.Unavailable, "the shop database is closed")
		}
	}
}

// stop waits for the group being committed; Updates after it fail, and
// those it took are answered when their group is, perhaps after stop.
func (c *groupCommitter) stop() {
	c.once.Do(func() {
		close(c.quit)
		<-c.stopped
	})
}

// answer sends each job of a group its result, err for those without one.
func answer(group []*updateJob, results []error, err error) {
	for i, j := range group {
		if results[i] == nil {
			results[i] = err
		}
		j.done <- results[i]
	}
}

// runUpdate runs fn, turning a panic into an error: the committer serves
// every request, and one bug must not take the process down.
func runUpdate(op string, tx Tx, fn func(Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = skranke.E(op, skranke.Internal, fmt.Sprintf("panic: %v", p))
		}
	}()
	return fn(tx)
}
