package server

import "testing"

func TestSniff(t *testing.T) {
	tests := []struct {
		in   string
		want sniffResult
	}{
		{"", sniffMore},
		{"G", sniffMore},
		{"GET", sniffMore},
		{"GET /", sniffMore},
		{"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", sniffHTTP},
		{"GET /metrics HTTP/1.0\n", sniffHTTP},
		{"HEAD / HTTP/1.1\r\n", sniffHTTP},
		{"POST /api HTTP/1.1\r\n", sniffHTTP},
		{"P", sniffMore},
		{"PING\r\n", sniffRESP},
		{"*1\r\n$4\r\nPING\r\n", sniffRESP},
		{"GET foo\r\n", sniffRESP},
		{"GET /foo\r\n", sniffRESP},              // an inline GET of the key "/foo"
		{"GET /foo bar\r\n", sniffRESP},          // not a request line
		{"get /metrics HTTP/1.1\r\n", sniffRESP}, // methods are case-sensitive
		{"PUT /x HTTP/1.1\r\n", sniffRESP},
		{"HEAD", sniffMore},
		{"HELLO 3\r\n", sniffRESP},
	}
	for _, tt := range tests {
		if got := sniff([]byte(tt.in)); got != tt.want {
			t.Errorf("sniff(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	long := make([]byte, maxRequestLine)
	copy(long, "GET /")
	for i := 5; i < len(long); i++ {
		long[i] = 'a'
	}
	if got := sniff(long); got != sniffRESP {
		t.Errorf("unterminated long line: %d", got)
	}
}
