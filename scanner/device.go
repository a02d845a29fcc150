package scanner

import (
	"context"
	"sync"
	"time"
)

// device is what Serial and HID share: the channels a Source delivers on,
// the device's current state, and the goroutine that runs it.
type device struct {
	name     string
	readings chan Reading
	statuses statusQueue
	cancel   context.CancelFunc
	done     chan struct{}

	mu     sync.Mutex
	status DeviceStatus
}

// init readies d to run under a context that cancel ends; the device starts
// out Disconnected.
func (d *device) init(name string, cancel context.CancelFunc) {
	d.name = name
	d.readings = make(chan Reading, 64)
	d.statuses = newStatusQueue()
	d.cancel = cancel
	d.done = make(chan struct{})
	d.status = DeviceStatus{Source: name, State: Disconnected, At: time.Now()}
}

// Readings returns the codes read, terminator removed.
func (d *device) Readings() <-chan Reading { return d.readings }

// Statuses returns the device's state changes.
func (d *device) Statuses() <-chan DeviceStatus { return d.statuses }

// Status returns the device's current state.
func (d *device) Status() DeviceStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// Name returns the Reading.Source of the device's readings.
func (d *device) Name() string { return d.name }

// Close stops reading and releases the device; both channels are closed
// when it returns.
func (d *device) Close() error {
	d.cancel()
	<-d.done
	return nil
}

// setStatus records a state. A repeat of the same failure is not sent again,
// so a scanner left unplugged does not flood the UI; Connected always is.
func (d *device) setStatus(st State, err error) {
	d.mu.Lock()
	same := d.status.State == st && errText(d.status.Err) == errText(err)
	d.status = DeviceStatus{Source: d.name, State: st, Err: err, At: time.Now()}
	s := d.status
	d.mu.Unlock()
	if !same || st == Connected {
		d.statuses.push(s)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// emit delivers a reading, or drops it when ctx ends first.
func (d *device) emit(ctx context.Context, r Reading) {
	select {
	case d.readings <- r:
	case <-ctx.Done():
	}
}

// finish reports the device Disconnected for good and closes the channels;
// the run loop defers it.
func (d *device) finish() {
	d.mu.Lock()
	d.status = DeviceStatus{Source: d.name, State: Disconnected, At: time.Now()}
	st := d.status
	d.mu.Unlock()
	d.statuses.push(st)
	close(d.statuses)
	close(d.readings)
	close(d.done)
}
