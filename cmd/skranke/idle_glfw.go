//go:build linux && cgo

package main

import (
	"log/slog"
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
		post:   postEmptyEvent,
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

// postEmptyEvent ends GLFW's wait from any goroutine. go-gl's wrapper
// panics with the last GLFW error of the whole process after the call,
// which may be one a main-thread call raised and handles itself (no text
// on the clipboard): that is no failure of the post, and must not end
// the desk.
func postEmptyEvent() {
	defer func() {
		if r := recover(); r != nil {
			slog.Debug("wake the event loop", "glfw", r)
		}
	}()
	glfw.PostEmptyEvent()
}
