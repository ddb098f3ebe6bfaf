package main

import (
	"bufio"
	"crypto/sha1"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recorder is a TCP proxy between Directus and the Redis server that
// writes down every command and every error reply, paired with the command
// that got it. Unlike MONITOR it also sees commands the server rejects
// (unknown commands, wrong arity), which is what a Redis replacement needs
// to know. It only observes: bytes are forwarded as they arrive.
type recorder struct {
	ln     net.Listener
	target string
	start  time.Time

	mu       sync.Mutex
	out      *bufio.Writer
	file     *os.File
	conns    int
	commands map[string]int    // "SET PX", "CLIENT SETINFO", ...
	scripts  map[string]string // Lua bodies sent with EVAL or SCRIPT LOAD, by SHA1
	errors   map[string]int    // "CLIENT SETINFO -> ERR unknown subcommand ..."
	wg       sync.WaitGroup
	live     map[net.Conn]struct{}
	closed   bool
}

func startRecorder(bind, target, path string) (*recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &recorder{ln: ln, target: target, start: time.Now(), file: f, out: bufio.NewWriterSize(f, 64*1024),
		commands: map[string]int{}, errors: map[string]int{}, scripts: map[string]string{}, live: map[net.Conn]struct{}{}}
	fmt.Fprintf(r.out, "# Redis traffic of Directus through cmd/stack --record, proxied to %s, started %s\n", target, r.start.Format(time.RFC3339))
	fmt.Fprintf(r.out, "# <ms> c<conn> > command (arguments cut at 80 bytes)   |   <ms> c<conn> < error reply  [command]\n")
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

func (r *recorder) addr() string { return r.ln.Addr().String() }

func (r *recorder) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			c.Close()
			return
		}
		r.conns++
		id := r.conns
		r.live[c] = struct{}{}
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.serve(id, c)
		}()
	}
}

// pending is a command waiting for its reply (or replies: SUBSCRIBE a b
// gets one confirmation per channel).
type pending struct {
	name   string
	expect int
}

type connState struct {
	mu      sync.Mutex
	queue   []pending
	pubsub  bool
	inMulti bool
	multi   []string // commands queued since MULTI
	execFor [][]string
}

func (r *recorder) serve(id int, client net.Conn) {
	server, err := net.DialTimeout("tcp", r.target, 5*time.Second)
	if err != nil {
		r.logf(id, "! cannot reach %s: %v", r.target, err)
		client.Close()
		return
	}
	r.mu.Lock()
	r.live[server] = struct{}{}
	r.mu.Unlock()
	st := &connState{}
	done := make(chan struct{}, 2)
	go func() { // client -> server
		rd := bufio.NewReaderSize(io.TeeReader(client, server), 64*1024)
		for {
			v, err := readRESP(rd)
			if err != nil {
				break
			}
			r.request(id, st, v)
		}
		server.(*net.TCPConn).CloseWrite()
		done <- struct{}{}
	}()
	go func() { // server -> client
		rd := bufio.NewReaderSize(io.TeeReader(server, client), 64*1024)
		for {
			v, err := readRESP(rd)
			if err != nil {
				break
			}
			r.reply(id, st, v)
		}
		client.(*net.TCPConn).CloseWrite()
		done <- struct{}{}
	}()
	<-done
	<-done
	client.Close()
	server.Close()
	r.mu.Lock()
	delete(r.live, client)
	delete(r.live, server)
	r.mu.Unlock()
}

// containers are the commands whose first argument is a subcommand.
var containers = map[string]bool{
	"CLIENT": true, "CONFIG": true, "COMMAND": true, "SCRIPT": true, "FUNCTION": true, "OBJECT": true,
	"MEMORY": true, "CLUSTER": true, "ACL": true, "PUBSUB": true, "LATENCY": true, "SLOWLOG": true,
	"MODULE": true, "DEBUG": true, "XINFO": true, "XGROUP": true,
}

// optionWords are argument words worth recording as part of a command's shape.
var optionWords = map[string]bool{
	"NX": true, "XX": true, "EX": true, "PX": true, "EXAT": true, "PXAT": true, "KEEPTTL": true, "GET": true,
	"MATCH": true, "COUNT": true, "TYPE": true, "WITHSCORES": true, "LIMIT": true, "BYSCORE": true, "BYLEX": true,
	"REV": true, "CH": true, "INCR": true, "GT": true, "LT": true, "BLOCK": true, "STREAMS": true, "MAXLEN": true,
	"MINID": true, "NOMKSTREAM": true, "LIB-NAME": true, "LIB-VER": true, "ASYNC": true, "SYNC": true, "REPLACE": true,
}

func (r *recorder) request(id int, st *connState, v any) {
	args := strs(v)
	if len(args) == 0 {
		return
	}
	name := strings.ToUpper(args[0])
	key := name
	if containers[name] && len(args) > 1 {
		key += " " + strings.ToUpper(args[1])
	}
	for _, a := range args[1:] {
		if u := strings.ToUpper(a); len(a) <= 10 && optionWords[u] && !strings.Contains(key, " "+u) {
			key += " " + u
		}
	}
	expect := 1
	switch name {
	case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE":
		expect = max(1, len(args)-1)
	}
	st.mu.Lock()
	switch {
	case name == "MULTI":
		st.inMulti, st.multi = true, nil
	case name == "EXEC" || name == "DISCARD":
		if name == "EXEC" {
			st.execFor = append(st.execFor, st.multi)
			r.mu.Lock()
			r.commands["(transaction) MULTI "+strings.Join(st.multi, ", ")+" EXEC"]++
			r.mu.Unlock()
		}
		st.inMulti, st.multi = false, nil
	case st.inMulti:
		st.multi = append(st.multi, key)
	}
	st.queue = append(st.queue, pending{name: key, expect: expect})
	if name == "SUBSCRIBE" || name == "PSUBSCRIBE" || name == "SSUBSCRIBE" {
		st.pubsub = true
	}
	st.mu.Unlock()

	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(showArg(a))
		if b.Len() > 400 {
			b.WriteString(" …")
			break
		}
	}
	r.mu.Lock()
	r.commands[key]++
	body := ""
	switch {
	case (name == "EVAL" || name == "EVAL_RO") && len(args) > 1:
		body = args[1]
	case key == "SCRIPT LOAD" && len(args) > 2:
		body = args[2]
	}
	if body != "" {
		r.scripts[fmt.Sprintf("%x", sha1.Sum([]byte(body)))] = body
	}
	r.mu.Unlock()
	r.logf(id, "> %s", b.String())
}

func (r *recorder) reply(id int, st *connState, v any) {
	st.mu.Lock()
	if st.pubsub {
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			if kind, _ := arr[0].(string); kind == "message" || kind == "pmessage" || kind == "smessage" {
				st.mu.Unlock()
				return // a published message, not a reply
			}
		}
	}
	// The command's bytes reach the server before its parse is queued here
	// (the proxy forwards as it reads), so a fast reply can overtake it:
	// wait a moment for the command rather than misattribute the reply.
	for wait := 0; len(st.queue) == 0 && wait < 200; wait++ {
		st.mu.Unlock()
		time.Sleep(time.Millisecond)
		st.mu.Lock()
	}
	cmd := "?"
	if len(st.queue) > 0 {
		cmd = st.queue[0].name
		st.queue[0].expect--
		if st.queue[0].expect <= 0 {
			st.queue = st.queue[1:]
		}
	}
	var queued []string
	if strings.HasPrefix(cmd, "EXEC") && len(st.execFor) > 0 {
		queued, st.execFor = st.execFor[0], st.execFor[1:]
	}
	st.mu.Unlock()

	if e, ok := v.(respError); ok {
		r.recordError(id, cmd, string(e))
		return
	}
	if arr, ok := v.([]any); ok && queued != nil {
		for i, x := range arr {
			if e, ok := x.(respError); ok && i < len(queued) {
				r.recordError(id, "EXEC/"+queued[i], string(e))
			}
		}
	}
}

func (r *recorder) recordError(id int, cmd, msg string) {
	short := msg
	if len(short) > 120 {
		short = short[:120] + "…"
	}
	r.mu.Lock()
	r.errors[cmd+" -> "+short]++
	r.mu.Unlock()
	r.logf(id, "< -%s  [%s]", short, cmd)
}

func showArg(a string) string {
	if len(a) > 80 {
		a = a[:80] + "…"
	}
	for _, c := range []byte(a) {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return strconv.Quote(a)
		}
	}
	if a == "" {
		return `""`
	}
	return a
}

func (r *recorder) logf(id int, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	fmt.Fprintf(r.out, "%d c%d %s\n", time.Since(r.start).Milliseconds(), id, fmt.Sprintf(format, args...))
}

// summaryLine is the recorder's part of the status line.
func (r *recorder) summaryLine() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, e := 0, 0
	for _, c := range r.commands {
		n += c
	}
	for _, c := range r.errors {
		e += c
	}
	return fmt.Sprintf("recorded %d commands, %d error replies", n, e)
}

// close stops the proxy and appends the summary: commands by count, then
// error replies by count.
func (r *recorder) close() {
	r.ln.Close()
	r.mu.Lock()
	for c := range r.live {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	fmt.Fprintf(r.out, "# summary: %d connections\n", r.conns)
	writeCounts(r.out, "# command", r.commands)
	writeCounts(r.out, "# error", r.errors)
	shas := make([]string, 0, len(r.scripts))
	for sha := range r.scripts {
		shas = append(shas, sha)
	}
	sort.Strings(shas)
	for _, sha := range shas {
		fmt.Fprintf(r.out, "# script %s\n", sha)
		for _, l := range strings.Split(strings.TrimRight(r.scripts[sha], "\n"), "\n") {
			fmt.Fprintf(r.out, "#| %s\n", l)
		}
	}
	r.closed = true
	r.out.Flush()
	r.file.Close()
}

func writeCounts(w io.Writer, prefix string, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "%s %6d %s\n", prefix, m[k], k)
	}
}
