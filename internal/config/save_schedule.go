package config

import (
	"fmt"
	"strings"
	"time"
)

// SaveSchedule is Dragonfly's older save_schedule setting, "HH:MM" with
// digits that may be "*" wildcards: "*:30" is half past every hour, "1*:00"
// every hour from 10:00 to 19:00. Dragonfly now prefers snapshot_cron.
type SaveSchedule struct {
	hour, minute string
}

// ParseSaveSchedule parses and validates a save_schedule value with
// Dragonfly's rules: the hour is one or two characters, the minute two
// (or a single "*"), and some time must match.
func ParseSaveSchedule(s string) (*SaveSchedule, error) {
	hour, minute, ok := strings.Cut(s, ":")
	if !ok || hour == "" || len(hour) > 2 || (minute != "*" && len(minute) != 2) ||
		!feasible(hour, 23) || !feasible(minute, 59) {
		return nil, fmt.Errorf("invalid save_schedule %q: want HH:MM where digits may be * (e.g. *:30 or 1*:00)", s)
	}
	return &SaveSchedule{hour: hour, minute: minute}, nil
}

// feasible reports whether a part has only digits and wildcards and some
// value no greater than max matches it: the smallest match replaces every
// wildcard with 0.
func feasible(part string, max int) bool {
	least := 0
	for i := 0; i < len(part); i++ {
		c := part[i]
		switch {
		case c == '*':
			least *= 10
		case c >= '0' && c <= '9':
			least = least*10 + int(c-'0')
		default:
			return false
		}
	}
	return least <= max
}

// String returns the schedule as it was written.
func (s *SaveSchedule) String() string { return s.hour + ":" + s.minute }

// Matches reports whether the wall-clock time t (in t's location) is one
// the schedule names.
func (s *SaveSchedule) Matches(t time.Time) bool {
	return partMatches(s.hour, t.Hour()) && partMatches(s.minute, t.Minute())
}

// partMatches compares digits from the right; a lone "*" matches any value.
func partMatches(part string, v int) bool {
	if part == "*" {
		return true
	}
	for i := len(part) - 1; i >= 0; i-- {
		if part[i] != '*' && int(part[i]-'0') != v%10 {
			return false
		}
		v /= 10
	}
	return v == 0
}

func saveScheduleCodec() codec[*SaveSchedule] {
	return codec[*SaveSchedule]{
		typ: "HH:MM",
		parse: func(s string) (*SaveSchedule, error) {
			if s == "" {
				return nil, nil
			}
			return ParseSaveSchedule(s)
		},
		format: func(v *SaveSchedule) string {
			if v == nil {
				return ""
			}
			return v.String()
		},
	}
}
