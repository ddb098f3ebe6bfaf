package admin

import (
	"reflect"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"+OK\r\n", []byte("OK")},
		{":42\r\n", int64(42)},
		{"$3\r\nfoo\r\n", []byte("foo")},
		{"$-1\r\n", nil},
		{"*2\r\n$1\r\na\r\n:1\r\n", []any{[]byte("a"), int64(1)}},
		{"*-1\r\n", nil},
		{"-ERR bad\r\n", replyError("ERR bad")},
		{"%1\r\n+k\r\n+v\r\n", []any{[]byte("k"), []byte("v")}},
		{"=7\r\ntxt:abc\r\n", []byte("abc")},
		{"#t\r\n", int64(1)},
		{"_\r\n", nil},
	}
	for _, tt := range tests {
		got, rest, err := decode([]byte(tt.in))
		if err != nil || len(rest) != 0 || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("decode(%q) = %#v, %q, %v; want %#v", tt.in, got, rest, err, tt.want)
		}
	}
	for _, bad := range []string{"", "$5\r\nab\r\n", "*2\r\n:1\r\n", "?x\r\n"} {
		if _, _, err := decode([]byte(bad)); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
}

func TestDisplay(t *testing.T) {
	for in, want := range map[string]string{
		"hello":      "hello",
		"with space": "with space",
		"é":          "é",
		"a\x00b":     `"a\x00b"`,
		"\xff":       `"\xff"`,
		"line\n":     `"line\n"`,
	} {
		if got := display([]byte(in)); got != want {
			t.Errorf("display(%q) = %q, want %q", in, got, want)
		}
	}
}
