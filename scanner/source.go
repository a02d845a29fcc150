package scanner

import (
	"fmt"
	"time"
)

// State is the condition of a scanner device.
type State int

// The states a device reports.
const (
	Connected    State = iota // Open and reading.
	Disconnected              // Not there (unplugged, not yet plugged in); the source keeps retrying.
	Failed                    // There but unusable (no permission, wrong mode); the source keeps retrying, slowly.
)

// String returns the state name in English, for logs.
func (s State) String() string {
	switch s {
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// DeviceStatus is a change of a device's state.
type DeviceStatus struct {
	Source string // As in Reading.Source.
	State  State
	Err    error // Why the device is not connected; nil when Connected.
	At     time.Time
}

// Source is a device that delivers readings until closed. Both channels are
// closed after Close returns. Statuses never blocks the device: when nobody
// reads it, older statuses are dropped and the newest kept.
type Source interface {
	Readings() <-chan Reading
	Statuses() <-chan DeviceStatus
	Close() error
}

// statusQueue is a small buffered channel of statuses where a full buffer
// drops its oldest entry, so a device loop never waits for the UI.
type statusQueue chan DeviceStatus

func newStatusQueue() statusQueue { return make(statusQueue, 16) }

func (q statusQueue) push(s DeviceStatus) {
	for {
		select {
		case q <- s:
			return
		default:
		}
		select {
		case <-q:
		default:
		}
	}
}
