//go:build !linux || !cgo

package main

// trimCHeap does nothing where the C library is not glibc: other C
// libraries give freed memory back by themselves or offer no call for it.
func trimCHeap() {}
