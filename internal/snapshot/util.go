package snapshot

import "unsafe"

// bytesOf views a string's bytes without copying; they must not be
// modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
