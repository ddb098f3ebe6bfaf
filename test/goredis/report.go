//go:build ignore

// report.go compares a Ginkgo JSON report from the go-redis suite with a
// tracked list of expected failures. It is run by run.sh with `go run` and is
// excluded from the main module's build by the build tag above.
//
//	go run report.go -report report.json -expected expected-failures.txt [-update] [-strict] [-v]
//	go run report.go -list -report dry-run-report.json
//
// Exit status: 0 when no spec failed that is not listed, 1 when there are new
// failures (or, with -strict, listed specs that now pass), 2 on usage/IO
// errors or when the suite did not run to completion.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

type codeLocation struct {
	FileName   string
	LineNumber int
}

type specReport struct {
	ContainerHierarchyTexts []string
	LeafNodeText            string
	LeafNodeType            string
	LeafNodeLocation        codeLocation
	State                   string
	RunTime                 time.Duration
	Failure                 struct {
		Message        string
		Location       codeLocation
		ForwardedPanic string
	}
}

type suiteReport struct {
	SuiteDescription           string
	SuiteSucceeded             bool
	SpecialSuiteFailureReasons []string
	RunTime                    time.Duration
	SpecReports                []specReport
}

// fullName is the name used in expected-failures.txt: container texts and
// the It text joined by single spaces (what `ginkgo --focus` matches, minus
// the suite description prefix).
func fullName(s specReport) string {
	if s.LeafNodeType != "It" {
		return "[" + s.LeafNodeType + "]"
	}
	parts := append(append([]string{}, s.ContainerHierarchyTexts...), s.LeafNodeText)
	return strings.Join(parts, " ")
}

func isFailure(state string) bool {
	switch state {
	case "passed", "skipped", "pending":
		return false
	}
	return true
}

// agg aggregates the instances of one spec name: duplicate names exist in the
// suite; a name counts as failed if any instance failed, and as passed if every
// instance that ran passed.
type agg struct {
	ran, failed bool
	states      []string
	fail        specReport
}

type entry struct {
	name, reason string
}

// readExpected parses "spec full name  # reason" lines. Blank lines and lines
// starting with '#' are comments; the leading comment block is kept as the
// header when the file is rewritten with -update.
func readExpected(path string) (header []string, entries []entry, err error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	inHeader := true
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			if inHeader {
				header = append(header, line)
			}
			continue
		}
		inHeader = false
		name, reason := trimmed, ""
		if i := strings.Index(trimmed, "#"); i >= 0 {
			name, reason = strings.TrimSpace(trimmed[:i]), strings.TrimSpace(trimmed[i+1:])
		}
		entries = append(entries, entry{name, reason})
	}
	return header, entries, sc.Err()
}

func firstLines(s string, n int) string {
	s = strings.TrimSpace(s)
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return strings.ReplaceAll(s, "#", "")
}

func main() {
	reportPath := flag.String("report", "", "Ginkgo JSON report (--ginkgo.json-report)")
	expectedPath := flag.String("expected", "", "expected failures file")
	update := flag.Bool("update", false, "rewrite the expected file: drop specs that passed, add new failures")
	strict := flag.Bool("strict", false, "also fail when listed specs now pass")
	verbose := flag.Bool("v", false, "list expected failures that still fail")
	list := flag.Bool("list", false, "print the specs a --ginkgo.dry-run report selected, and exit")
	flag.Parse()
	if *list && *reportPath != "" {
		listSpecs(*reportPath)
		return
	}
	if *reportPath == "" || *expectedPath == "" {
		fmt.Fprintln(os.Stderr, "usage: go run report.go -report FILE -expected FILE [-update] [-strict] [-v]")
		os.Exit(2)
	}

	data, err := os.ReadFile(*reportPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goredis: cannot read report: %v\n", err)
		os.Exit(2)
	}
	var suites []suiteReport
	if err := json.Unmarshal(data, &suites); err != nil {
		fmt.Fprintf(os.Stderr, "goredis: cannot parse report: %v\n", err)
		os.Exit(2)
	}
	header, entries, err := readExpected(*expectedPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goredis: cannot read %s: %v\n", *expectedPath, err)
		os.Exit(2)
	}
	listed := map[string]string{}
	for _, e := range entries {
		listed[e.name] = e.reason
	}

	byName := map[string]*agg{}
	var order []string
	passed, skipped, failedTotal := 0, 0, 0
	incomplete := false
	var special []string
	var runTime time.Duration
	for _, s := range suites {
		if len(s.SpecialSuiteFailureReasons) > 0 {
			special = append(special, s.SpecialSuiteFailureReasons...)
		}
		runTime += s.RunTime
		for _, sp := range s.SpecReports {
			if sp.LeafNodeType != "It" && !isFailure(sp.State) {
				continue // successful suite-level nodes (BeforeSuite, ...)
			}
			name := fullName(sp)
			a := byName[name]
			if a == nil {
				a = &agg{}
				byName[name] = a
				order = append(order, name)
			}
			a.states = append(a.states, sp.State)
			switch {
			case sp.State == "passed":
				passed++
				a.ran = true
			case sp.State == "skipped" || sp.State == "pending":
				// Specs filtered out by focus/skip/labels have no message;
				// those that called Skip() (version gates etc.) do.
				if sp.Failure.Message != "" {
					skipped++
				}
			default:
				failedTotal++
				a.ran = true
				if !a.failed {
					a.fail = sp
				}
				a.failed = true
			}
		}
	}
	for _, r := range special {
		if strings.Contains(r, "Interrupted") || strings.Contains(r, "Timeout") {
			incomplete = true
		}
	}

	var newFailures, expectedStill, fixed []string
	for _, name := range order {
		a := byName[name]
		_, isListed := listed[name]
		switch {
		case a.failed && !isListed:
			newFailures = append(newFailures, name)
		case a.failed && isListed:
			expectedStill = append(expectedStill, name)
		case a.ran && isListed:
			fixed = append(fixed, name)
		}
	}
	var stale []string
	for _, e := range entries {
		if byName[e.name] == nil {
			stale = append(stale, e.name)
		}
	}

	for _, name := range newFailures {
		f := byName[name].fail
		loc := f.Failure.Location
		fmt.Printf("NEW FAILURE: %s\n", name)
		fmt.Printf("    [%s] %s:%d\n", f.State, baseName(loc.FileName), loc.LineNumber)
		msg := f.Failure.Message
		if f.Failure.ForwardedPanic != "" {
			msg = "panic: " + f.Failure.ForwardedPanic + "\n" + msg
		}
		for _, l := range strings.Split(firstLines(msg, 8), "\n") {
			fmt.Printf("      %s\n", l)
		}
	}
	for _, name := range fixed {
		fmt.Printf("FIXED (passes now, remove from %s): %s\n", baseName(*expectedPath), name)
	}
	if *verbose {
		for _, name := range expectedStill {
			fmt.Printf("expected failure: %s  # %s\n", name, listed[name])
		}
	}
	if len(stale) > 0 {
		fmt.Printf("note: %d listed spec(s) are not in this suite version (renamed/removed upstream?):\n", len(stale))
		for _, n := range stale {
			fmt.Printf("    %s\n", n)
		}
	}
	for _, r := range special {
		fmt.Printf("SUITE: %s\n", r)
	}

	if *update {
		drop := map[string]bool{}
		for _, n := range fixed {
			drop[n] = true
		}
		var out []entry
		for _, e := range entries {
			if !drop[e.name] {
				out = append(out, e)
			}
		}
		for _, n := range newFailures {
			f := byName[n].fail
			reason := "TODO triage: " + oneLine(firstLines(f.Failure.Message, 3))
			if f.State != "failed" {
				reason = "TODO triage (" + f.State + "): " + oneLine(firstLines(f.Failure.Message, 3))
			}
			out = append(out, entry{n, reason})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
		var b strings.Builder
		for _, h := range header {
			b.WriteString(h + "\n")
		}
		for _, e := range out {
			if e.reason != "" {
				fmt.Fprintf(&b, "%s  # %s\n", e.name, e.reason)
			} else {
				fmt.Fprintf(&b, "%s\n", e.name)
			}
		}
		if err := os.WriteFile(*expectedPath, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "goredis: cannot write %s: %v\n", *expectedPath, err)
			os.Exit(2)
		}
		fmt.Printf("updated %s: +%d new, -%d fixed, %d entries\n", *expectedPath, len(newFailures), len(fixed), len(out))
	}

	fmt.Printf("goredis: %d expected failures (%d specs listed in %s: %d fixed, %d not in suite), %d skipped by the specs themselves (version gates etc.), suite time %s\n",
		failedTotal-countInstances(byName, newFailures), len(entries), baseName(*expectedPath), len(fixed), len(stale), skipped, runTime.Round(time.Second))
	fmt.Printf("goredis: %d passed, %d failed\n", passed, countInstances(byName, newFailures))

	switch {
	case len(newFailures) > 0 && !*update:
		os.Exit(1)
	case incomplete:
		fmt.Fprintln(os.Stderr, "goredis: the suite did not run to completion (timeout/interrupt)")
		os.Exit(2)
	case *strict && len(fixed) > 0 && !*update:
		os.Exit(1)
	}
}

func countInstances(byName map[string]*agg, names []string) int {
	n := 0
	for _, name := range names {
		for _, st := range byName[name].states {
			if isFailure(st) {
				n++
			}
		}
	}
	return n
}

// listSpecs prints the specs selected in a dry-run report (Ginkgo reports
// selected specs as passed and filtered-out ones as skipped).
func listSpecs(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goredis: cannot read report: %v\n", err)
		os.Exit(2)
	}
	var suites []suiteReport
	if err := json.Unmarshal(data, &suites); err != nil {
		fmt.Fprintf(os.Stderr, "goredis: cannot parse report: %v\n", err)
		os.Exit(2)
	}
	n := 0
	for _, s := range suites {
		for _, sp := range s.SpecReports {
			if sp.LeafNodeType == "It" && sp.State == "passed" {
				fmt.Println(fullName(sp))
				n++
			}
		}
	}
	fmt.Printf("goredis: %d specs selected\n", n)
}

func baseName(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}
