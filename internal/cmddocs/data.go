package cmddocs

import (
	_ "embed"
	"strings"
	"sync"
)

//go:generate go run gen.go -addr 127.0.0.1:6379

// command.resp is the reply of COMMAND, docs.resp the reply of COMMAND
// DOCS, both sorted by command name (see gen.go).
var (
	//go:embed command.resp
	commandRESP []byte
	//go:embed docs.resp
	docsRESP []byte
)

var (
	once  sync.Once
	infos map[string]*Node
	docs  map[string]*Node
)

func load() {
	infos = map[string]*Node{}
	docs = map[string]*Node{}
	all, _, err := Parse(commandRESP)
	if err != nil {
		panic("cmddocs: command.resp: " + err.Error())
	}
	var addInfo func(n *Node)
	addInfo = func(n *Node) {
		if len(n.Elems) < 10 {
			return
		}
		infos[strings.ToLower(n.Elems[0].Str)] = n
		for i := range n.Elems[9].Elems {
			addInfo(&n.Elems[9].Elems[i])
		}
	}
	for i := range all.Elems {
		addInfo(&all.Elems[i])
	}
	d, _, err := Parse(docsRESP)
	if err != nil {
		panic("cmddocs: docs.resp: " + err.Error())
	}
	var addDocs func(m *Node)
	addDocs = func(m *Node) {
		for i := 0; i+1 < len(m.Elems); i += 2 {
			v := &m.Elems[i+1]
			docs[strings.ToLower(m.Elems[i].Str)] = v
			if sub, ok := v.Get("subcommands"); ok {
				addDocs(sub)
			}
		}
	}
	addDocs(&d)
}

// Info returns Redis's COMMAND INFO entry for name ("get", "config|get"):
// name, arity, flags, first key, last key, step, ACL categories, tips, key
// specs and subcommands.
func Info(name string) (*Node, bool) {
	once.Do(load)
	n, ok := infos[strings.ToLower(name)]
	return n, ok
}

// Docs returns Redis's COMMAND DOCS map for name (summary, since, group,
// complexity, history, arguments, subcommands...).
func Docs(name string) (*Node, bool) {
	once.Do(load)
	n, ok := docs[strings.ToLower(name)]
	return n, ok
}

// Tips returns the command tips of name ("request_policy:all_shards", ...).
func Tips(name string) []string {
	n, ok := Info(name)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(n.Elems[7].Elems))
	for _, t := range n.Elems[7].Elems {
		out = append(out, t.Str)
	}
	return out
}

// KeySpecs returns the key specifications of name, as a RESP array of maps.
func KeySpecs(name string) (*Node, bool) {
	n, ok := Info(name)
	if !ok {
		return nil, false
	}
	return &n.Elems[8], true
}

// Categories returns the ACL categories of name without the leading '@'.
func Categories(name string) []string {
	n, ok := Info(name)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(n.Elems[6].Elems))
	for _, c := range n.Elems[6].Elems {
		out = append(out, strings.TrimPrefix(c.Str, "@"))
	}
	return out
}
