//go:build !linux || !cgo

package main

// newRestLoop returns nil where the main thread cannot be told apart: Fyne's
// event loop then ticks at rest as it does by itself.
func newRestLoop() *restLoop { return nil }
