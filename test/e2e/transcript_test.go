package e2e

// Transcript tests: testdata/transcripts/*.txt list commands and the exact
// replies Redis gives. Every file is replayed against a fresh redis-server
// (the oracle: it must pass 100%, which proves the transcript) and against a
// fresh damselfly. See testdata/transcripts/README.md for the format.
//
//	go test ./test/e2e -run Transcripts                       # both servers
//	go test ./test/e2e -run 'Transcripts/strings/damselfly'  # one file, one server
//	go test ./test/e2e -run Transcripts -update               # record replies from redis-server
//	TRANSCRIPTS_UPDATE=1 go test ./test/e2e -run Transcripts  # same
//	TRANSCRIPTS_STRICT=1 go test ./test/e2e -run Transcripts  # ignore KNOWN_FAILURES

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var transcriptDir = filepath.Join("..", "..", "testdata", "transcripts")

func init() {
	// Share -update with other golden-file tests of this package if one of
	// them (initialised earlier: files init in name order) defined it.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "re-record transcript expectations (testdata/transcripts) from redis-server")
	}
}

func updatingTranscripts() bool {
	if v := os.Getenv("TRANSCRIPTS_UPDATE"); v != "" && v != "0" {
		return true
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// outcome is what one step produced.
type outcome struct {
	st  *tStep
	got rval
	err error // the step could not run (I/O or protocol error, bad handshake)
	ok  bool
}

type transcriptRun struct {
	addr   string
	target string // "redis" or "damselfly"
	update bool
	conns  map[int]*tconn
}

// serverGone reports that the server stopped answering (crashed).
type serverGone struct {
	err error
	log string
}

func (e serverGone) Error() string {
	return fmt.Sprintf("%v\n    the server is gone; stopping this transcript. Server log (tail):\n%s", e.err, e.log)
}

// dialError means the server could not be reached at all.
type dialError struct{ err error }

func (e dialError) Error() string { return e.err.Error() }

func (r *transcriptRun) conn(n int) (*tconn, error) {
	if c := r.conns[n]; c != nil {
		return c, nil
	}
	c, err := dialT(r.addr)
	if err != nil {
		return nil, dialError{err}
	}
	r.conns[n] = c
	return c, nil
}

func (r *transcriptRun) drop(n int) {
	if c := r.conns[n]; c != nil {
		c.close()
		delete(r.conns, n)
	}
}

// call sends args on connection n and reads the reply. expectNone is set
// when the transcript expects (no reply): then a short wait that sees
// nothing is the expected outcome.
func (r *transcriptRun) call(n int, args [][]byte, expectNone bool) (rval, error) {
	c, err := r.conn(n)
	if err != nil {
		return rval{}, err
	}
	if err := c.send(args); err != nil {
		r.drop(n)
		return rval{kind: kClosed}, nil
	}
	wait := 10 * time.Second
	switch {
	case expectNone:
		wait = 150 * time.Millisecond
	case r.update:
		wait = time.Second
	}
	v, err := c.recv(wait)
	if err != nil {
		r.drop(n)
		return rval{}, err
	}
	switch v.kind {
	case kTimeout:
		if expectNone || r.update {
			return rval{kind: kNoReply}, nil
		}
		r.drop(n)
	case kClosed:
		r.drop(n)
	}
	return v, nil
}

// runTranscript replays tr against srv. It stops at the first step that
// cannot connect: the server is gone (crashed) and its log is reported.
func runTranscript(tr *transcript, srv *Server, target string, update bool) []outcome {
	r := &transcriptRun{addr: srv.Addr, target: target, update: update, conns: map[int]*tconn{}}
	defer func() {
		for n := range r.conns {
			r.drop(n)
		}
	}()
	var out []outcome
	for _, st := range tr.steps {
		if st.only != "" && st.only != target {
			continue
		}
		switch st.directive {
		case "sleep":
			time.Sleep(time.Duration(st.sleepMs) * time.Millisecond)
			continue
		case "resp2", "resp3":
			v, err := r.call(st.conn, [][]byte{[]byte("HELLO"), []byte(st.directive[4:])}, false)
			if err == nil && v.kind != kMap && v.kind != kArray {
				err = fmt.Errorf("@%s: HELLO replied %s", st.directive, scalarText(v))
			}
			if err != nil {
				out = append(out, outcome{st: st, err: err})
			}
			continue
		}
		expectNone := st.exp != nil && st.exp.kind == expLiteral && st.exp.lit.kind == kNoReply
		v, err := r.call(st.conn, st.args, expectNone)
		o := outcome{st: st, got: v, err: err}
		o.ok = err == nil && st.exp != nil && st.exp.match(v, st.unordered)
		out = append(out, o)
		if de, ok := err.(dialError); ok {
			o.err = serverGone{de.err, logTail(srv.Log(), 40)}
			out[len(out)-1] = o
			return out
		}
	}
	// Nothing may be left unread: a reply the transcript did not expect.
	for n, c := range r.conns {
		if v, err := c.recv(50 * time.Millisecond); err != nil || v.kind != kTimeout {
			got := "(closed)"
			if err != nil {
				got = err.Error()
			} else if v.kind != kClosed {
				got = strings.Join(render(v), "\n")
			}
			if v.kind != kClosed {
				out = append(out, outcome{st: &tStep{line: len(tr.lines), text: fmt.Sprintf("(end of file, connection %d)", n)},
					err: fmt.Errorf("unread reply left on the connection: %s", got)})
			}
		}
	}
	return out
}

func logTail(log string, n int) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "        | " + strings.Join(lines, "\n        | ")
}

// report describes a failed step: file:line, command, expected and got.
func (o outcome) report(tr *transcript) string {
	var b strings.Builder
	if o.st.directive != "" {
		fmt.Fprintf(&b, "%s:%d: @%s", tr.name, o.st.line, o.st.directive)
	} else {
		fmt.Fprintf(&b, "%s:%d: > %s", tr.name, o.st.line, o.st.text)
	}
	if o.st.conn > 1 {
		fmt.Fprintf(&b, "   (connection %d)", o.st.conn)
	}
	if o.err != nil {
		fmt.Fprintf(&b, "\n    error: %v", o.err)
		return b.String()
	}
	b.WriteString("\n    expected:")
	if o.st.exp == nil {
		b.WriteString(" nothing written (record it with -update)")
	}
	for _, l := range tr.lines[o.st.expFrom:o.st.expTo] {
		b.WriteString("\n        " + l)
	}
	b.WriteString("\n    got:")
	for _, l := range render(o.got) {
		b.WriteString("\n        " + l)
	}
	return b.String()
}

// rewrite returns the transcript with the expectations of the recorded
// steps replaced by what the server replied. An expectation the reply still
// matches (patterns, (any), @unordered order) is kept as written.
func (tr *transcript) rewrite(res []outcome) (string, error) {
	type repl struct {
		to    int
		lines []string
	}
	at := map[int]repl{}
	for _, o := range res {
		if o.err != nil {
			return "", fmt.Errorf("%s", o.report(tr))
		}
		st := o.st
		if st.directive != "" || o.ok {
			continue
		}
		v := o.got
		if st.unordered {
			v = sortedCopy(v)
		}
		at[st.expFrom] = repl{st.expTo, render(v)}
	}
	var out []string
	for i := 0; i <= len(tr.lines); i++ {
		if r, ok := at[i]; ok {
			out = append(out, r.lines...)
			if r.to > i {
				i = r.to - 1
				continue
			}
		}
		if i < len(tr.lines) {
			out = append(out, tr.lines[i])
		}
	}
	return strings.Join(out, "\n") + "\n", nil
}

// loadKnownFailures reads KNOWN_FAILURES: "file:line reason" per line.
func loadKnownFailures() (map[string]string, error) {
	known := map[string]string{}
	f, err := os.Open(filepath.Join(transcriptDir, "KNOWN_FAILURES"))
	if os.IsNotExist(err) {
		return known, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		loc, reason, _ := strings.Cut(l, " ")
		file, line, ok := strings.Cut(loc, ":")
		if _, err := strconv.Atoi(line); !ok || err != nil || !strings.HasSuffix(file, ".txt") {
			return nil, fmt.Errorf("KNOWN_FAILURES:%d: want \"file.txt:LINE reason\", got %q", n, l)
		}
		known[loc] = strings.TrimSpace(reason)
	}
	return known, sc.Err()
}

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in %s (%v)", transcriptDir, err)
	}
	known, err := loadKnownFailures()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("TRANSCRIPTS_STRICT") != "" {
		known = map[string]string{}
	}
	update := updatingTranscripts()
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := parseTranscript(name, string(src))
			if err != nil {
				t.Fatal(err)
			}
			if update {
				res := runTranscript(tr, StartRedis(t), "redis", true)
				text, err := tr.rewrite(res)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := parseTranscript(name, text); err != nil {
					t.Fatalf("recorded transcript does not parse back: %v", err)
				}
				if text != string(src) {
					if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("updated %s from redis-server: review the diff", path)
				}
				return
			}
			t.Run("redis", func(t *testing.T) {
				for _, o := range runTranscript(tr, StartRedis(t), "redis", false) {
					if !o.ok {
						t.Error(o.report(tr))
					}
				}
			})
			t.Run("damselfly", func(t *testing.T) {
				res := runTranscript(tr, Start(t), "damselfly", false)
				passed := map[string]bool{}
				for _, o := range res {
					loc := fmt.Sprintf("%s:%d", name, o.st.line)
					if o.ok {
						passed[loc] = true
						continue
					}
					if reason, ok := known[loc]; ok {
						t.Logf("known failure (KNOWN_FAILURES: %s)\n%s", reason, o.report(tr))
						continue
					}
					t.Error(o.report(tr))
				}
				if last := res[len(res)-1]; last.err != nil {
					if _, gone := last.err.(serverGone); gone {
						t.Logf("%s: the steps after line %d were not run", name, last.st.line)
					}
				}
				var stale []string
				for loc := range known {
					if passed[loc] {
						stale = append(stale, loc)
					}
				}
				sort.Strings(stale)
				for _, loc := range stale {
					t.Errorf("%s is listed in KNOWN_FAILURES but passes now: remove it", loc)
				}
			})
		})
	}
}
