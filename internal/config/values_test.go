package config

import (
	"strings"
	"testing"
	"time"
)

// Expected texts and read-backs below were taken from redis-server 7.0.15.

func TestKeyspaceEvents(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"KEA", "AKE"},
		{"Ex", "xE"},
		{"gx", "gx"},
		{"AKE", "AKE"},
		{"A$lshzxetmdnK", "AKm"},
		{"K", "K"},
		{"n", "n"},
		{"mE$", "$Em"},
		{"g$lshzxetd", "A"},
	}
	for _, tt := range tests {
		ev, err := ParseKeyspaceEvents(tt.in)
		if err != nil || ev.String() != tt.want {
			t.Errorf("ParseKeyspaceEvents(%q) = %q, %v; want %q", tt.in, ev, err, tt.want)
		}
	}
	if _, err := ParseKeyspaceEvents("KQ"); err == nil || err.Error() != "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." {
		t.Errorf("error %v", err)
	}
	ev, _ := ParseKeyspaceEvents("Ex")
	if !ev.Has(EventKeyevent|EventExpired) || ev.Has(EventKeyspace) {
		t.Errorf("Has on %q", ev)
	}
}

func TestParseSave(t *testing.T) {
	ok := []struct{ in, want string }{
		{"", ""},
		{"3600 1 300 100", "3600 1 300 100"},
		{"3600  1", "3600 1"},
		{"1 0", "1 0"},
	}
	for _, tt := range ok {
		p, err := ParseSave(tt.in)
		if err != nil || p.String() != tt.want {
			t.Errorf("ParseSave(%q) = %q, %v; want %q", tt.in, p, err, tt.want)
		}
	}
	p, _ := ParseSave("3600 1 300 100")
	if len(p) != 2 || p[1] != (SavePoint{Seconds: 300, Changes: 100}) {
		t.Errorf("parsed %v", p)
	}
	for _, in := range []string{"100", "a b", "100 1 x 2", "0 1", "1 -1", `""`} {
		if _, err := ParseSave(in); err == nil || err.Error() != "Invalid save parameters" {
			t.Errorf("ParseSave(%q) error %v", in, err)
		}
	}
}

func TestOutputBufferLimits(t *testing.T) {
	def := defaultOutputBufferLimits()
	if got := def.String(); got != "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60" {
		t.Errorf("default %q", got)
	}
	l, err := def.Update("normal 1mb 2kb 3")
	if err != nil || l.String() != "normal 1048576 2048 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60" {
		t.Errorf("got %q, %v", l, err)
	}
	l, err = l.Update("pubsub 32mb 8mb 60 REPLICA 1 2 3")
	if err != nil || l.String() != "normal 1048576 2048 3 slave 1 2 3 pubsub 33554432 8388608 60" {
		t.Errorf("got %q, %v", l, err)
	}
	if l, err = l.Update(""); err != nil || l.Replica != (BufferLimit{1, 2, 3}) {
		t.Errorf("empty update changed %v, %v", l, err)
	}
	errs := map[string]string{
		"foo 1 2 3":     "Invalid client class specified in buffer limit configuration.",
		"master 1 2 3":  "Invalid client class specified in buffer limit configuration.",
		"normal 1 2":    "Wrong number of arguments in buffer limit configuration.",
		"normal a 2 3":  "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
		"normal 1 2 -1": "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
		// Redis checks every class before changing any.
		"normal 5 5 5 foo 1 2 3": "Invalid client class specified in buffer limit configuration.",
	}
	for in, want := range errs {
		got, err := def.Update(in)
		if err == nil || err.Error() != want {
			t.Errorf("Update(%q) error %v, want %q", in, err, want)
		}
		if got != def {
			t.Errorf("Update(%q) failed but changed the limits", in)
		}
	}
}

func TestParseBind(t *testing.T) {
	ok := map[string]string{
		"":                    "",
		"0.0.0.0":             "0.0.0.0",
		"127.0.0.1 ::1":       "127.0.0.1 ::1",
		"127.0.0.1,::1":       "127.0.0.1 ::1",
		" 127.0.0.1 , ::1 ":   "127.0.0.1 ::1",
		"localhost":           "localhost",
		"my-host.example.com": "my-host.example.com",
		"* -::*":              "* -::*",
		"fe80::1%eth0":        "fe80::1%eth0",
	}
	for in, want := range ok {
		got, err := parseBind(in)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("parseBind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"host!", "-bad-.com", "a..b", strings.Repeat("1.1.1.1 ", 17)} {
		if got, err := parseBind(in); err == nil {
			t.Errorf("parseBind(%q) = %q, want an error", in, got)
		}
	}
}

func at(hour, min int) time.Time { return time.Date(2024, 1, 1, hour, min, 0, 0, time.UTC) }

func TestSaveSchedule(t *testing.T) {
	for _, in := range []string{"*:30", "1*:00", "23:59", "*:*", "1:05", "**:30", "2*:00", "0*:3*"} {
		s, err := ParseSaveSchedule(in)
		if err != nil || s.String() != in {
			t.Errorf("ParseSaveSchedule(%q) = %v, %v", in, s, err)
		}
	}
	for _, in := range []string{"", "24:00", "*:60", "*:6*", "30", ":30", "1:5", "123:00", "a:00", "1:0a", "3*:00"} {
		if _, err := ParseSaveSchedule(in); err == nil || !strings.Contains(err.Error(), "save_schedule") {
			t.Errorf("ParseSaveSchedule(%q) error %v", in, err)
		}
	}
	tests := []struct {
		spec string
		t    time.Time
		want bool
	}{
		{"*:30", at(10, 30), true},
		{"*:30", at(0, 30), true},
		{"*:30", at(10, 31), false},
		{"1*:00", at(13, 0), true},
		{"1*:00", at(3, 0), false},
		{"1*:00", at(21, 0), false},
		{"2*:00", at(23, 0), true},
		{"*:*", at(7, 42), true},
		{"1:05", at(1, 5), true},
		{"01:05", at(1, 5), true},
		{"1:05", at(11, 5), false},
	}
	for _, tt := range tests {
		s, _ := ParseSaveSchedule(tt.spec)
		if got := s.Matches(tt.t); got != tt.want {
			t.Errorf("%q.Matches(%s) = %v", tt.spec, tt.t.Format("15:04"), got)
		}
	}
}

func TestParseCron(t *testing.T) {
	for in, want := range map[string]string{
		"*/30 * * * *":       "*/30 * * * *",
		"  0  3 * * *  ":     "0 3 * * *",
		"0 0 1 JAN,jul *":    "0 0 1 JAN,jul *",
		"5 4 * * sun":        "5 4 * * sun",
		"0 22 * * 1-5":       "0 22 * * 1-5",
		"0 0 * * 7":          "0 0 * * 7",
		"15 10 ? * MON-FRI":  "15 10 ? * MON-FRI",
		"0 5/15 * * *":       "0 5/15 * * *",
		"0-59/10 0-23 * * *": "0-59/10 0-23 * * *",
	} {
		c, err := ParseCron(in)
		if err != nil || c.String() != want {
			t.Errorf("ParseCron(%q) = %v, %v", in, c, err)
		}
	}
	for _, in := range []string{"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
		"* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "1,,2 * * * *", "? * * * *", "L * * * *",
		"-1 * * * *", "+1 * * * *", `"0 * * * *"`, "1-2-3 * * * *", "JANX * * * *"} {
		if c, err := ParseCron(in); err == nil {
			t.Errorf("ParseCron(%q) = %v, want an error", in, c)
		}
	}
}

func TestCronNext(t *testing.T) {
	day := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		spec string
		from time.Time
		want time.Time
	}{
		{"30 2 * * *", day(2024, 1, 1, 2, 30), day(2024, 1, 2, 2, 30)},
		{"30 2 * * *", day(2024, 1, 1, 2, 29), day(2024, 1, 1, 2, 30)},
		{"*/30 * * * *", day(2024, 1, 1, 10, 0).Add(time.Second), day(2024, 1, 1, 10, 30)},
		{"0 0 29 2 *", day(2023, 3, 1, 0, 0), day(2024, 2, 29, 0, 0)},
		{"0 0 30 2 *", day(2024, 1, 1, 0, 0), time.Time{}},
		// Both day fields restricted: either matches, as in POSIX cron.
		{"0 0 13 * 5", day(2024, 1, 1, 0, 0), day(2024, 1, 5, 0, 0)},
		{"0 0 * * 7", day(2024, 1, 1, 0, 0), day(2024, 1, 7, 0, 0)},
		{"0 0 * * SUN", day(2024, 1, 1, 0, 0), day(2024, 1, 7, 0, 0)},
		{"0 9 * DEC *", day(2024, 1, 1, 0, 0), day(2024, 12, 1, 9, 0)},
		{"0 12 1 * ?", day(2024, 1, 31, 13, 0), day(2024, 2, 1, 12, 0)},
	}
	for _, tt := range tests {
		c, err := ParseCron(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Next(tt.from); !got.Equal(tt.want) {
			t.Errorf("%q.Next(%v) = %v, want %v", tt.spec, tt.from, got, tt.want)
		}
		if !tt.want.IsZero() && !c.Matches(tt.want) {
			t.Errorf("%q does not match its own Next %v", tt.spec, tt.want)
		}
	}

	// A zone half an hour off UTC: hours must step on the wall clock.
	india := time.FixedZone("IST", 5*3600+1800)
	c, _ := ParseCron("0 3 * * *")
	from := time.Date(2024, 1, 1, 1, 15, 0, 0, india)
	if got, want := c.Next(from), time.Date(2024, 1, 1, 3, 0, 0, 0, india); !got.Equal(want) {
		t.Errorf("Next in IST = %v, want %v", got, want)
	}
}
