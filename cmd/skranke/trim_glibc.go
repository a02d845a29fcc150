//go:build linux && cgo

package main

// #include <malloc.h>
import "C"

// trimCHeap gives the C heap's free memory back to the system. Fyne's GL
// driver (Mesa's software renderer under Xvfb, and GPU drivers too) keeps
// text textures in C memory: a scan draws tens of new texts, whose
// textures Fyne frees a minute after they were last drawn, and glibc
// keeps the freed pages inside its heap, where the next allocation may
// never reach them. malloc_trim hands every free page back.
func trimCHeap() { C.malloc_trim(0) }
