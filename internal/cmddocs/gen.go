//go:build ignore

// gen records the COMMAND and COMMAND DOCS replies of a running
// redis-server into command.resp and docs.resp, sorted by name so the
// files diff cleanly between Redis versions:
//
//	redis-server --port 7300 --save '' &
//	go run gen.go -addr 127.0.0.1:7300
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sort"

	"github.com/damselfly-db/damselfly/internal/cmddocs"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "redis-server address")
	flag.Parse()
	nc, err := net.Dial("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	r := bufio.NewReader(nc)
	var buf []byte
	call := func(args ...string) cmddocs.Node {
		out := fmt.Sprintf("*%d\r\n", len(args))
		for _, a := range args {
			out += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := io.WriteString(nc, out); err != nil {
			log.Fatal(err)
		}
		for {
			n, used, err := cmddocs.Parse(buf)
			if err == nil {
				buf = buf[used:]
				return n
			}
			if !cmddocs.IsShort(err) {
				log.Fatal(err)
			}
			chunk := make([]byte, 64<<10)
			k, err := r.Read(chunk)
			if err != nil {
				log.Fatal(err)
			}
			buf = append(buf, chunk[:k]...)
		}
	}
	call("HELLO", "3")
	info := call("COMMAND")
	sortInfo(&info)
	docs := call("COMMAND", "DOCS")
	sortDocs(&docs)
	write("command.resp", &info)
	write("docs.resp", &docs)
}

func sortInfo(n *cmddocs.Node) {
	sort.Slice(n.Elems, func(i, j int) bool { return n.Elems[i].Elems[0].Str < n.Elems[j].Elems[0].Str })
	for i := range n.Elems {
		sortInfo(&n.Elems[i].Elems[9])
	}
}

func sortDocs(m *cmddocs.Node) {
	type pair struct{ k, v cmddocs.Node }
	var ps []pair
	for i := 0; i+1 < len(m.Elems); i += 2 {
		ps = append(ps, pair{m.Elems[i], m.Elems[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].k.Str < ps[j].k.Str })
	m.Elems = m.Elems[:0]
	for _, p := range ps {
		if sub, ok := p.v.Get("subcommands"); ok {
			sortDocs(sub)
		}
		m.Elems = append(m.Elems, p.k, p.v)
	}
}

func write(name string, n *cmddocs.Node) {
	if err := os.WriteFile(name, n.Append(nil), 0o644); err != nil {
		log.Fatal(err)
	}
}
