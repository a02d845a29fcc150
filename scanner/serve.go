package scanner

import (
	"context"
	"sync"
)

// Event is what Serve delivers: a scan, a rejected reading, or a device's
// change of state. Exactly one of the three is set: Status non-nil, or Err
// non-nil (an *InvalidError, with Scan.Raw and Scan.Source filled in), or
// Scan. Empty readings and repeats are not delivered.
type Event struct {
	Scan   Scan
	Err    error
	Status *DeviceStatus
}

// Serve reads every source through the pipeline and delivers the outcome on
// one channel, in the order each source produced it. The channel is closed
// when ctx ends or all sources have closed their channels; Serve does not
// close the sources.
func (p *Pipeline) Serve(ctx context.Context, sources ...Source) <-chan Event {
	out := make(chan Event, 16)
	var wg sync.WaitGroup
	send := func(e Event) bool {
		select {
		case out <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readings, statuses := src.Readings(), src.Statuses()
			for readings != nil || statuses != nil {
				select {
				case r, ok := <-readings:
					if !ok {
						readings = nil
						continue
					}
					sc, err := p.Process(r)
					if err == ErrEmpty || err == ErrDuplicate {
						continue
					}
					if !send(Event{Scan: sc, Err: err}) {
						return
					}
				case st, ok := <-statuses:
					if !ok {
						statuses = nil
						continue
					}
					if !send(Event{Status: &st}) {
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}
