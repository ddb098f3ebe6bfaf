package metrics

import (
	"math"
	"strconv"
	"strings"
)

// Type is a metric family's TYPE.
type Type uint8

// The family types the text format knows.
const (
	Counter Type = iota
	Gauge
	Summary
	Untyped
)

func (t Type) String() string {
	switch t {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	case Summary:
		return "summary"
	}
	return "untyped"
}

// Writer builds Prometheus text exposition format 0.0.4: for each family a
// "# HELP" and a "# TYPE" line, then its samples, one per line. It is the
// caller's job to keep a family's samples together (the format requires
// it) and to name each family once.
type Writer struct {
	b []byte
}

// Prefix is what every family name starts with.
const Prefix = "dragonfly_"

// Family starts a family: prefix+name with its help text and type.
func (w *Writer) Family(name, help string, t Type) {
	w.b = append(w.b, "# HELP "...)
	w.b = append(w.b, Prefix...)
	w.b = append(w.b, name...)
	w.b = append(w.b, ' ')
	w.b = appendHelp(w.b, help)
	w.b = append(w.b, "\n# TYPE "...)
	w.b = append(w.b, Prefix...)
	w.b = append(w.b, name...)
	w.b = append(w.b, ' ')
	w.b = append(w.b, t.String()...)
	w.b = append(w.b, '\n')
}

// Int writes one integer sample of prefix+name; labels are name, value
// pairs.
func (w *Writer) Int(name string, v int64, labels ...string) {
	w.name(name, labels)
	w.b = strconv.AppendInt(w.b, v, 10)
	w.b = append(w.b, '\n')
}

// Float writes one floating-point sample.
func (w *Writer) Float(name string, v float64, labels ...string) {
	w.name(name, labels)
	w.b = AppendFloat(w.b, v)
	w.b = append(w.b, '\n')
}

func (w *Writer) name(name string, labels []string) {
	w.b = append(w.b, Prefix...)
	w.b = append(w.b, name...)
	if len(labels) >= 2 {
		w.b = append(w.b, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, labels[i]...)
			w.b = append(w.b, '=', '"')
			w.b = appendLabelValue(w.b, labels[i+1])
			w.b = append(w.b, '"')
		}
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ' ')
}

// Bytes returns what was written.
func (w *Writer) Bytes() []byte { return w.b }

// String returns what was written.
func (w *Writer) String() string { return string(w.b) }

// AppendFloat formats v as the text format wants: integers without an
// exponent where exact, +Inf, -Inf and NaN spelled out.
func AppendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendLabelValue escapes backslash, double quote and line feed, and
// replaces invalid UTF-8 so a client-chosen library name cannot break the
// page.
func appendLabelValue(b []byte, s string) []byte {
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch r {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, string(r)...)
		}
	}
	return b
}

// appendHelp escapes backslash and line feed, as HELP lines require.
func appendHelp(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, s[i])
		}
	}
	return b
}
