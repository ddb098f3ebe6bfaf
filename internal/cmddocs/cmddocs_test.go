package cmddocs

import (
	"bytes"
	"testing"

	"github.com/damselfly-db/damselfly/internal/resp"
)

func TestRoundTrip(t *testing.T) {
	for name, data := range map[string][]byte{"command.resp": commandRESP, "docs.resp": docsRESP} {
		n, used, err := Parse(data)
		if err != nil || used != len(data) {
			t.Fatalf("%s: parse used %d of %d: %v", name, used, len(data), err)
		}
		if out := n.Append(nil); !bytes.Equal(out, data) {
			t.Fatalf("%s does not round-trip", name)
		}
	}
}

func TestParseShort(t *testing.T) {
	if _, _, err := Parse([]byte("*2\r\n:1\r\n")); !IsShort(err) {
		t.Fatalf("err = %v, want short", err)
	}
}

func TestLookups(t *testing.T) {
	n, ok := Info("GET")
	if !ok || n.Elems[0].Str != "get" || n.Elems[1].Int != 2 {
		t.Fatalf("Info(get) = %v %v", n, ok)
	}
	if _, ok := Info("config|get"); !ok {
		t.Fatal("no subcommand info")
	}
	if tips := Tips("dbsize"); len(tips) != 2 || tips[0] != "request_policy:all_shards" {
		t.Fatalf("Tips(dbsize) = %v", tips)
	}
	if cats := Categories("get"); len(cats) != 3 || cats[0] != "read" {
		t.Fatalf("Categories(get) = %v", cats)
	}
	d, ok := Docs("set")
	if !ok {
		t.Fatal("no docs for set")
	}
	if args, ok := d.Get("arguments"); !ok || len(args.Elems) == 0 {
		t.Fatal("set has no arguments")
	}
	if _, ok := Docs("config|set"); !ok {
		t.Fatal("no subcommand docs")
	}
}

func TestWriteDowngradesForRESP2(t *testing.T) {
	n := Node{Type: '%', Elems: []Node{{Type: '$', Str: "k"}, {Type: '~', Elems: []Node{{Type: '+', Str: "x"}}}}}
	var w resp.Writer
	w.Proto = 2
	n.Write(&w)
	if got := string(w.Buf); got != "*2\r\n$1\r\nk\r\n*1\r\n+x\r\n" {
		t.Fatalf("RESP2 = %q", got)
	}
	w = resp.Writer{Proto: 3}
	n.Write(&w)
	if got := string(w.Buf); got != "%1\r\n$1\r\nk\r\n~1\r\n+x\r\n" {
		t.Fatalf("RESP3 = %q", got)
	}
}
