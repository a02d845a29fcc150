package shop

import (
	"context"
	"sync"
	"testing"
)

// TestUpdateAnsweredAfterStopIsNotClosed: a group's callers may be
// answered after the committer moved on (PostgreSQL answers a group once a
// barrier says it is durable), also after the store began to close. A
// caller whose Update the committer took must get its outcome, not "the
// shop database is closed", which would have it resend a delivery that
// was done.
func TestUpdateAnsweredAfterStopIsNotClosed(t *testing.T) {
	inRun, release, answered := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var once sync.Once
	c := startCommitter("test", func(group []*updateJob) {
		once.Do(func() { close(inRun) })
		go func() {
			<-release
			answer(group, make([]error, len(group)), nil)
			close(answered)
		}()
	})
	got := make(chan error, 1)
	go func() { got <- c.update(context.Background(), nil, func(Tx) error { return nil }) }()
	<-inRun
	c.stop() // The committer's goroutine has returned; the answer is to come.
	close(release)
	<-answered
	if err := <-got; err != nil {
		t.Errorf("an Update whose group committed got %q once the store began to close; want its outcome (nil)", err)
	}
}
