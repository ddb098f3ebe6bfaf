package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed snapshot_cron value: a standard five-field crontab
// expression, "minute hour day-of-month month day-of-week". Each field is
// "*", a number, a range "a-b", a step "*/n", "a/n" or "a-b/n", or a comma
// list of those; months and weekdays also take names (JAN, MON), "?"
// equals "*" in the day fields, and both 0 and 7 are Sunday.
type Cron struct {
	text           string
	minute, hour   uint64 // bit i set: value i matches
	dom, month     uint64
	dow            uint64
	domAny, dowAny bool
}

// cronField describes the range and names of one position.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
	wildcard bool     // "?" allowed
}

func cronFields() [5]cronField {
	return [5]cronField{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day-of-month", min: 1, max: 31, wildcard: true},
		{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
		{name: "day-of-week", min: 0, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, wildcard: true},
	}
}

// ParseCron parses a five-field crontab expression.
func ParseCron(s string) (*Cron, error) {
	parts := strings.Fields(s)
	if len(parts) != 5 {
		return nil, fmt.Errorf("invalid cron expression %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", s, len(parts))
	}
	c := &Cron{text: strings.Join(parts, " ")}
	dst := [5]*uint64{&c.minute, &c.hour, &c.dom, &c.month, &c.dow}
	for i, f := range cronFields() {
		bits, err := f.parse(parts[i])
		if err != nil {
			return nil, fmt.Errorf("invalid cron expression %q: %s field %q: %w", s, f.name, parts[i], err)
		}
		*dst[i] = bits
	}
	if c.dow&(1<<7) != 0 {
		c.dow = c.dow&^(1<<7) | 1
	}
	c.domAny = parts[2] == "*" || parts[2] == "?"
	c.dowAny = parts[4] == "*" || parts[4] == "?"
	return c, nil
}

func (f cronField) parse(text string) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(text, ",") {
		base, stepText, hasStep := strings.Cut(item, "/")
		lo, hi := f.min, f.max
		switch {
		case base == "*" || (base == "?" && f.wildcard):
		case base == "":
			return 0, fmt.Errorf("empty item")
		default:
			first, last, isRange := strings.Cut(base, "-")
			var err error
			if lo, err = f.value(first); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = f.value(last); err != nil {
					return 0, err
				}
				if lo > hi {
					return 0, fmt.Errorf("range %s starts after it ends", base)
				}
			} else if hasStep {
				hi = f.max // "a/n" runs from a to the end
			}
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q must be a positive number", stepText)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%d is outside %d-%d", v, f.min, f.max)
	}
	return v, nil
}

// String returns the expression as written, with spacing normalised.
func (c *Cron) String() string { return c.text }

// Matches reports whether the minute containing t (in t's location) is one
// the expression names. As in POSIX cron, when both day fields are
// restricted a day matching either one matches.
func (c *Cron) Matches(t time.Time) bool {
	return c.minute&(1<<uint(t.Minute())) != 0 &&
		c.hour&(1<<uint(t.Hour())) != 0 &&
		c.month&(1<<uint(t.Month())) != 0 &&
		c.dayMatches(t)
}

func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	switch {
	case c.domAny && c.dowAny:
		return true
	case c.domAny:
		return dow
	case c.dowAny:
		return dom
	}
	return dom || dow
}

// Next returns the first whole minute after t that matches, in t's
// location, or the zero Time if none does within five years (as for
// "0 0 30 2 *").
func (c *Cron) Next(t time.Time) time.Time {
	// Steps are taken on the wall clock with time.Date, not with Truncate,
	// which rounds absolute time and so misplaces hours in zones offset by
	// a fraction of an hour.
	loc := t.Location()
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute()+1, 0, 0, loc)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		var next time.Time
		switch {
		case c.month&(1<<uint(t.Month())) == 0:
			next = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
		case !c.dayMatches(t):
			next = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		case c.hour&(1<<uint(t.Hour())) == 0:
			next = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
		case c.minute&(1<<uint(t.Minute())) == 0:
			next = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute()+1, 0, 0, loc)
		default:
			return t
		}
		// An ambiguous wall time when clocks go back may resolve to the
		// earlier instant; never step backwards.
		if !next.After(t) {
			next = t.Add(time.Minute)
		}
		t = next
	}
	return time.Time{}
}

func cronCodec() codec[*Cron] {
	return codec[*Cron]{
		typ: "cron",
		parse: func(s string) (*Cron, error) {
			if strings.TrimSpace(s) == "" {
				return nil, nil
			}
			return ParseCron(s)
		},
		format: func(v *Cron) string {
			if v == nil {
				return ""
			}
			return v.String()
		},
	}
}
