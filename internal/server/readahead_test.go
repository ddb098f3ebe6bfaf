package server

import (
	"bytes"
	"testing"
)

// peekKey only hints a prefetch, but it reads raw client bytes before the
// parser has checked them: it must never panic, and must find the name
// and key of a well-formed command.
func TestPeekKey(t *testing.T) {
	for _, tc := range []struct {
		in, name, key string
		ok            bool
	}{
		{"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n", "GET", "foo", true},
		{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n", "SET", "k", true},
		{"*1\r\n$4\r\nPING\r\n", "", "", false},
		{"*2\r\n$3\r\nGET\r\n$10\r\nfoo\r\n", "", "", false}, // key not all here
		{"GET foo\r\n", "", "", false},                       // inline
		{"", "", "", false},
		{"*", "", "", false},
		{"*2\r\n$", "", "", false},
		{"*2\r\n$99999999999\r\n", "", "", false},
	} {
		name, key, ok := peekKey([]byte(tc.in))
		if ok != tc.ok || string(name) != tc.name || string(key) != tc.key {
			t.Errorf("peekKey(%q) = %q, %q, %v; want %q, %q, %v", tc.in, name, key, ok, tc.name, tc.key, tc.ok)
		}
	}
}

func FuzzPeekKey(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"))
	f.Add([]byte("*2\r\n$-1\r\n$3\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		name, key, ok := peekKey(b)
		if ok && (!bytes.Contains(b, name) || !bytes.Contains(b, key)) {
			t.Fatalf("peekKey(%q) returned bytes not in its input", b)
		}
	})
}
