package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// writeSVG draws one group of horizontal bars per scenario, all oriented
// so that longer is better for A: throughput A/B, CPU per request B/A and
// p99 latency B/A, with a line at 1.0 (parity). Plain SVG 1.1 with inline
// styles, readable on GitHub and in any browser; no dependency.
func writeSVG(w io.Writer, sum []scenario, title, subtitle string) error {
	type bar struct {
		name  string
		color string
		value num
	}
	const (
		width   = 960
		labelW  = 330
		plotW   = 560
		barH    = 11
		barGap  = 2
		groupGp = 14
		top     = 78
	)
	groupH := 3*(barH+barGap) + groupGp
	height := top + len(sum)*groupH + 40
	maxV := 2.0
	bars := func(s scenario) []bar {
		return []bar{
			{"throughput A/B", "#2f6fb3", s.Ratio.RPS},
			{"CPU per request B/A", "#3c9a5f", div(1, s.Ratio.CPU)},
			{"p99 latency B/A", "#d08c1f", div(1, s.Ratio.P99)},
		}
	}
	for _, s := range sum {
		for _, b := range bars(s) {
			if !b.value.nan() {
				maxV = math.Max(maxV, float64(b.value))
			}
		}
	}
	maxV = math.Ceil(maxV*2) / 2
	x := func(v float64) float64 { return labelW + v/maxV*plotW }

	var sb strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...) }
	esc := html.EscapeString
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="16" y="24" font-size="17" font-weight="bold">%s</text>`+"\n", esc(title))
	p(`<text x="16" y="42" fill="#555">%s</text>`+"\n", esc(subtitle))
	lx := 16.0
	for _, b := range bars(scenario{}) {
		p(`<rect x="%.0f" y="52" width="12" height="12" fill="%s"/><text x="%.0f" y="62">%s</text>`+"\n", lx, b.color, lx+16, esc(b.name))
		lx += 190
	}
	p(`<text x="%.0f" y="62" fill="#555">longer is better for A; line = parity</text>`+"\n", lx)
	// Grid every 0.5.
	for v := 0.0; v <= maxV+1e-9; v += 0.5 {
		stroke, dash := "#dddddd", ""
		if v == 1 {
			stroke, dash = "#333333", ` stroke-dasharray="4 3"`
		}
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"%s/>`+"\n", x(v), top-6, x(v), height-34, stroke, dash)
		p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%.1f×</text>`+"\n", x(v), height-20, v)
	}
	for i, s := range sum {
		y := top + i*groupH
		p(`<text x="%d" y="%d" text-anchor="end" font-weight="bold">%s</text>`+"\n", labelW-8, y+barH, esc(s.ID))
		p(`<text x="%d" y="%d" text-anchor="end" fill="#555">%s</text>`+"\n", labelW-8, y+2*barH+barGap+2, esc(s.A.Server+" vs "+s.B.Server))
		for j, b := range bars(s) {
			by := y + j*(barH+barGap)
			if b.value.nan() {
				p(`<text x="%d" y="%d" fill="#999">n/a</text>`+"\n", labelW+4, by+barH-1)
				continue
			}
			v := math.Min(float64(b.value), maxV)
			p(`<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %.2f</title></rect>`+"\n",
				labelW, by, x(v)-labelW, barH, b.color, esc(s.ID+" "+b.name), float64(b.value))
			p(`<text x="%.1f" y="%d" font-size="10">%.2f</text>`+"\n", x(v)+4, by+barH-1, float64(b.value))
		}
	}
	p("</svg>\n")
	_, err := io.WriteString(w, sb.String())
	return err
}
