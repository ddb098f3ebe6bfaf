// Command report turns bench/suite.sh's raw runs (one CSV row per run)
// into the results: a table of medians and Damselfly/Redis ratios on
// stdout, a machine-readable JSON file and a hand-written SVG bar chart of
// the ratios. It is separate from the script so the arithmetic is tested.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	raw := flag.String("raw", "", "CSV of runs written by bench/suite.sh (required)")
	jsonOut := flag.String("json", "", "write the summary as JSON here")
	svgOut := flag.String("svg", "", "write the ratio chart as SVG here")
	title := flag.String("title", "Damselfly vs Redis", "chart and table title")
	var meta metaFlags
	flag.Var(&meta, "meta", "KEY=VALUE recorded in the JSON meta object (repeatable)")
	flag.Parse()
	if *raw == "" {
		fmt.Fprintln(os.Stderr, "report: -raw is required")
		os.Exit(2)
	}
	f, err := os.Open(*raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	runs, err := readRuns(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "report: %s: %v\n", *raw, err)
		os.Exit(1)
	}
	sum := summarize(runs)
	writeTable(os.Stdout, sum)
	if *jsonOut != "" {
		if err := writeFile(*jsonOut, func(f *os.File) error { return writeJSON(f, sum, meta.m) }); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
	}
	if *svgOut != "" {
		sub := meta.m["date"] + " · " + meta.m["machine"] + " · commit " + meta.m["commit"]
		if err := writeFile(*svgOut, func(f *os.File) error { return writeSVG(f, sum, *title, strings.Trim(sub, " ·")) }); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
	}
}

// writeFile writes through a temporary file so a failed run never leaves
// half a result behind.
func writeFile(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(dirOf(path), ".report-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return "."
}

type metaFlags struct{ m map[string]string }

func (m *metaFlags) String() string { return "" }

func (m *metaFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	if m.m == nil {
		m.m = map[string]string{}
	}
	m.m[k] = v
	return nil
}
