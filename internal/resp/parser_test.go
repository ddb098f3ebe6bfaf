package resp

import (
	"bytes"
	"fmt"
	"testing"
)

func TestParseMultibulk(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		n    int
		err  error
	}{
		{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET", "k"}, 20, nil},
		{"*1\r\n$0\r\n\r\n", []string{""}, 10, nil},
		{"*2\r\n$3\r\nGET\r\n$1\r\n", nil, 0, nil}, // incomplete
		{"*2\r\n$3\r\nGET", nil, 0, nil},
		{"*0\r\n", []string{}, 4, nil},
		{"*-1\r\n", []string{}, 5, nil},
		{"*x\r\n", nil, 0, ErrInvalidMultibulkLength},
		{"*1\r\n:1\r\n", nil, 0, errExpectedDollar(':')},
		{"*1\r\n$-1\r\n", nil, 0, ErrInvalidBulkLength},
		{"*1\r\n$abc\r\n", nil, 0, ErrInvalidBulkLength},
		{"*1\n$1\nx\r\n", []string{"x"}, 9, nil},
	}
	for _, c := range cases {
		args, n, err := ParseCommand([]byte(c.in), nil, Limits{MaxBulk: 512 << 20})
		if fmt.Sprint(err) != fmt.Sprint(c.err) {
			t.Errorf("%q: err %v, want %v", c.in, err, c.err)
			continue
		}
		if n != c.n {
			t.Errorf("%q: n=%d want %d", c.in, n, c.n)
		}
		if c.want != nil && len(args) != len(c.want) {
			t.Errorf("%q: args %q want %q", c.in, args, c.want)
			continue
		}
		for i := range c.want {
			if string(args[i]) != c.want[i] {
				t.Errorf("%q: arg %d = %q want %q", c.in, i, args[i], c.want[i])
			}
		}
	}
}

func TestParseLimits(t *testing.T) {
	_, _, err := ParseCommand([]byte("*1\r\n$2000\r\n"), nil, Limits{MaxBulk: 1000})
	if err != ErrInvalidBulkLength {
		t.Fatalf("bulk over proto-max-bulk-len: %v", err)
	}
	_, _, err = ParseCommand([]byte("*11\r\n"), nil, Limits{Unauthenticated: true})
	if err != ErrUnauthenticatedMbulk {
		t.Fatalf("unauthenticated multibulk: %v", err)
	}
	_, _, err = ParseCommand([]byte("*1\r\n$16385\r\n"), nil, Limits{Unauthenticated: true})
	if err != ErrUnauthenticatedBulk {
		t.Fatalf("unauthenticated bulk: %v", err)
	}
	big := bytes.Repeat([]byte("a"), InlineMax+1)
	if _, _, err = ParseCommand(big, nil, Limits{}); err != ErrTooBigInline {
		t.Fatalf("inline too big: %v", err)
	}
	big[0] = '*'
	if _, _, err = ParseCommand(big, nil, Limits{}); err != ErrTooBigMbulkCount {
		t.Fatalf("mbulk count too big: %v", err)
	}
}

func TestParseInline(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  error
	}{
		{"PING\r\n", []string{"PING"}, nil},
		{"set  a   b\n", []string{"set", "a", "b"}, nil},
		{"\r\n", []string{}, nil},
		{"set k \"a b\\n\\x41\"\r\n", []string{"set", "k", "a b\nA"}, nil},
		{"set k 'it\\'s'\r\n", []string{"set", "k", "it's"}, nil},
		{"set k \"\"\r\n", []string{"set", "k", ""}, nil},
		{"set k \"abc\r\n", nil, ErrUnbalancedQuotes},
		{"set k \"abc\"x\r\n", nil, ErrUnbalancedQuotes},
	}
	for _, c := range cases {
		args, n, err := ParseCommand([]byte(c.in), nil, Limits{})
		if err != c.err {
			t.Errorf("%q: err %v want %v", c.in, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		if n != len(c.in) {
			t.Errorf("%q: n=%d", c.in, n)
		}
		if len(args) != len(c.want) {
			t.Errorf("%q: args %q want %q", c.in, args, c.want)
			continue
		}
		for i := range c.want {
			if string(args[i]) != c.want[i] {
				t.Errorf("%q: arg %d = %q want %q", c.in, i, args[i], c.want[i])
			}
		}
	}
}

func TestBulkNeeded(t *testing.T) {
	if got := BulkNeeded([]byte("*2\r\n$3\r\nSET\r\n$100\r\nab")); got != 4+9+6+102 {
		t.Fatalf("BulkNeeded = %d", got)
	}
}

func TestParseNoAllocs(t *testing.T) {
	in := []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
	args := make([][]byte, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		args, _, _ = ParseCommand(in, args, Limits{MaxBulk: 1 << 20})
	})
	if allocs != 0 {
		t.Fatalf("ParseCommand allocates %v times per command", allocs)
	}
}

func BenchmarkParseSet(b *testing.B) {
	in := []byte("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$100\r\n" + string(bytes.Repeat([]byte("x"), 100)) + "\r\n")
	args := make([][]byte, 0, 8)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		args, _, _ = ParseCommand(in, args, Limits{MaxBulk: 1 << 20})
	}
}
