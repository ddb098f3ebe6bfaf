package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

func f(format string, v num) string {
	if v.nan() {
		return "-"
	}
	return fmt.Sprintf(format, float64(v))
}

// writeTable prints one row per scenario: medians of A and B, their ratio,
// the noise between rounds and the targets of issue 9.
func writeTable(w io.Writer, sum []scenario) {
	const hdr = "%-15s %-19s| %7s %7s %5s %4s | %13s %13s %5s | %6s %6s %5s %4s | %s\n"
	fmt.Fprintf(w, hdr, "scenario", "A vs B", "A rps", "B rps", "ratio", "±%", "A p50/p99", "B p50/p99", "p99", "A cpu", "B cpu", "ratio", "±%", "targets")
	fmt.Fprintf(w, hdr, "", "", "", "", "A/B", "", "ms", "ms", "A/B", "us/req", "us/req", "A/B", "", "")
	fmt.Fprintln(w, strings.Repeat("-", 140))
	for _, s := range sum {
		var ts []string
		for _, t := range s.Targets {
			ts = append(ts, t.String())
		}
		fmt.Fprintf(w, hdr, s.ID, s.A.Server+" vs "+s.B.Server,
			f("%.0f", s.A.RPS), f("%.0f", s.B.RPS), f("%.2f", s.Ratio.RPS), f("%.0f", s.RPSNoise),
			f("%.3f", s.A.P50)+"/"+f("%.3f", s.A.P99), f("%.3f", s.B.P50)+"/"+f("%.3f", s.B.P99), f("%.2f", s.Ratio.P99),
			f("%.2f", s.A.CPU), f("%.2f", s.B.CPU), f("%.2f", s.Ratio.CPU), f("%.0f", s.CPUNoise),
			strings.Join(ts, ", "))
		if s.A.Failed+s.B.Failed > 0 || s.A.Errors > 0 || s.B.Errors > 0 {
			fmt.Fprintf(w, "%-22s   (failed runs A %d B %d; median error replies per run A %s B %s)\n", "",
				s.A.Failed, s.B.Failed, f("%.0f", s.A.Errors), f("%.0f", s.B.Errors))
		}
	}
}

func writeJSON(w io.Writer, sum []scenario, meta map[string]string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Meta      map[string]string `json:"meta"`
		Scenarios []scenario        `json:"scenarios"`
	}{meta, sum})
}
