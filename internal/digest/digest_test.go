package digest

import "testing"

// The value digest of the string "hello", as redis-server 7.0.15 reports
// it for DEBUG DIGEST-VALUE.
func TestRedisValueDigest(t *testing.T) {
	var d Sum
	d.Mix([]byte{0, 0, 0, 0}) // htonl(OBJ_STRING)
	d.Mix([]byte("hello"))
	if got, want := d.Hex(), "36b23a1456b2dce2c3ed252c456761301dba8060"; got != want {
		t.Fatalf("digest = %s, want %s", got, want)
	}
}

func TestXorCommutes(t *testing.T) {
	var a, b Sum
	a.Xor([]byte("x"))
	a.Xor([]byte("y"))
	b.Xor([]byte("y"))
	b.Xor([]byte("x"))
	if a != b || a.IsZero() {
		t.Fatal("xor digest depends on order")
	}
}
