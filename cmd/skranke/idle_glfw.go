//go:build linux && cgo

package main

import (
	"time"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
	"golang.org/x/sys/unix"
)

// newRestLoop returns the restLoop for Fyne's GLFW driver, which runs its
// event loop on the process's main thread (on Linux the thread whose id
// is the process id) and polls GLFW's events there.
func newRestLoop() *restLoop {
	l := &restLoop{
		wait:   func(d time.Duration) { glfw.WaitEventsTimeout(d.Seconds()) },
		post:   glfw.PostEmptyEvent,
		onMain: fyne.DoAndWait,
		isMain: func() bool { return unix.Gettid() == unix.Getpid() },
		now:    time.Now,
		linger: restLinger,
		rest:   restMax,
		settle: restSettle,
		start:  restStart,
	}
	return l
}
