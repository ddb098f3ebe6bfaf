package command

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SLOWLOG and LATENCY: the commands over the slow log (slowlog.go) and the
// latency monitor (latency.go), which Exec feeds.

func cmdSlowlogGet(c *Ctx) {
	n := 10
	if len(c.Args) > 3 {
		c.Err("ERR wrong number of arguments for 'slowlog|get' command")
		return
	}
	if len(c.Args) == 3 {
		v, err := strconv.ParseInt(string(c.Args[2]), 10, 64)
		if err != nil || v < -1 {
			c.Err("ERR count should be greater than or equal to -1")
			return
		}
		if v > math.MaxInt32 {
			v = math.MaxInt32
		}
		n = int(v)
	}
	entries := c.Env.Slowlog.Get(n)
	c.W.Array(len(entries))
	for _, e := range entries {
		c.W.Array(6)
		c.W.Int(e.ID)
		c.W.Int(e.Time)
		c.W.Int(e.Micros)
		c.W.Array(len(e.Args))
		for _, a := range e.Args {
			c.W.Bulk(a)
		}
		c.W.BulkString(e.Addr)
		c.W.BulkString(e.Name)
	}
}

func slowlogHelp(c *Ctx) {
	writeHelp(c, "SLOWLOG",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
		"HELP",
		"    Prints this help.",
	)
}

func latencyHelp(c *Ctx) {
	writeHelp(c, "LATENCY",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
		"HELP",
		"    Prints this help.",
	)
}

func sortedEvents(l *Latency) []LatencyEvent {
	ev := l.Events()
	sort.Slice(ev, func(i, j int) bool { return ev[i].Name < ev[j].Name })
	return ev
}

func findEvent(l *Latency, name string) (LatencyEvent, bool) {
	for _, e := range l.Events() {
		if e.Name == name {
			return e, true
		}
	}
	return LatencyEvent{}, false
}

func cmdLatencyLatest(c *Ctx) {
	ev := sortedEvents(&c.Env.Latency)
	c.W.Array(len(ev))
	for _, e := range ev {
		last := e.History[len(e.History)-1]
		c.W.Array(4)
		c.W.BulkString(e.Name)
		c.W.Int(last.Time)
		c.W.Int(last.Millis)
		c.W.Int(e.Max)
	}
}

func cmdLatencyHistory(c *Ctx) {
	e, ok := findEvent(&c.Env.Latency, string(c.Args[2]))
	if !ok {
		c.W.Array(0)
		return
	}
	c.W.Array(len(e.History))
	for _, s := range e.History {
		c.W.Array(2)
		c.W.Int(s.Time)
		c.W.Int(s.Millis)
	}
}

func cmdLatencyReset(c *Ctx) {
	names := make([]string, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		names = append(names, string(a))
	}
	c.W.Int(int64(c.Env.Latency.Reset(names...)))
}

func cmdLatencyGraph(c *Ctx) {
	name := string(c.Args[2])
	e, ok := findEvent(&c.Env.Latency, name)
	if !ok {
		c.Err("ERR No samples available for event '" + name + "'")
		return
	}
	c.W.Verbatim(latencyGraph(e, time.Now().Unix()))
}

// latencyGraph is Redis's latencyCommandGenSparkeline: a header, a rule
// and an 80-column, 4-row sparkline with "how long ago" labels.
func latencyGraph(e LatencyEvent, now int64) string {
	var seq sparkSeq
	for _, s := range e.History {
		elapsed := now - s.Time
		var label string
		switch {
		case elapsed < 60:
			label = strconv.FormatInt(elapsed, 10) + "s"
		case elapsed < 3600:
			label = strconv.FormatInt(elapsed/60, 10) + "m"
		case elapsed < 86400:
			label = strconv.FormatInt(elapsed/3600, 10) + "h"
		default:
			label = strconv.FormatInt(elapsed/86400, 10) + "d"
		}
		seq.add(float64(s.Millis), label)
	}
	var b strings.Builder
	b.WriteString(e.Name + " - high " + strconv.FormatInt(int64(seq.max), 10) + " ms, low " +
		strconv.FormatInt(int64(seq.min), 10) + " ms (all time high " + strconv.FormatInt(e.Max, 10) + " ms)\n")
	b.WriteString(strings.Repeat("-", 80) + "\n")
	b.WriteString(seq.render(80, 4))
	return b.String()
}

// sparkSeq is Redis's sparkline.c sequence, rendered with the "fill"
// charset.
type sparkSeq struct {
	vals     []float64
	labels   []string
	min, max float64
}

func (s *sparkSeq) add(v float64, label string) {
	if len(s.vals) == 0 || v < s.min {
		s.min = v
	}
	if len(s.vals) == 0 || v > s.max {
		s.max = v
	}
	s.vals = append(s.vals, v)
	s.labels = append(s.labels, label)
}

func (s *sparkSeq) render(columns, rows int) string {
	var out strings.Builder
	for j := 0; j < len(s.vals); j += columns {
		n := len(s.vals) - j
		if n > columns {
			n = columns
		}
		if j != 0 {
			out.WriteByte('\n')
		}
		s.renderRange(&out, rows, j, n)
	}
	return out.String()
}

func (s *sparkSeq) renderRange(out *strings.Builder, rows, offset, n int) {
	const fill = "_o#"
	relmax := s.max - s.min
	if relmax == 0 {
		relmax = 1
	}
	steps := len(fill) * rows
	chars := make([]byte, n)
	for row := 0; ; row++ {
		loop := false
		for j := range chars {
			chars[j] = ' '
		}
		for j := 0; j < n; j++ {
			relval := s.vals[j+offset] - s.min
			step := int(float64(int(relval*float64(steps))) / relmax)
			if step < 0 {
				step = 0
			}
			if step >= steps {
				step = steps - 1
			}
			if row < rows {
				loop = true
				idx := step - (rows-row-1)*len(fill)
				if idx >= 0 && idx < len(fill) {
					chars[j] = fill[idx]
				} else if idx >= len(fill) {
					chars[j] = '|'
				}
				continue
			}
			if row-rows < 1 { // one blank line above the labels
				loop = true
				break
			}
			label := s.labels[j+offset]
			if at := row - rows - 1; len(label) > at {
				loop = true
				chars[j] = label[at]
			}
		}
		if !loop {
			return
		}
		out.Write(chars)
		out.WriteByte('\n')
	}
}

func cmdLatencyDoctor(c *Ctx) {
	c.W.Verbatim(latencyDoctor(c.Env, time.Now().Unix()))
}

// latencyDoctor is a port of Redis's latencyCommandGenReport for the
// events Damselfly records.
func latencyDoctor(e *Env, now int64) string {
	ev := sortedEvents(&e.Latency)
	threshold := e.Config.LatencyMonitorThreshold.Get()
	if len(ev) == 0 && threshold == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	if len(ev) == 0 {
		return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n"
	}
	var b strings.Builder
	b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
	var slowlogEnable, slowlogTune, slowlogInspect, largeObjects, scheduler bool
	for i, x := range ev {
		var sum, oldest int64
		for _, s := range x.History {
			sum += s.Millis
			if oldest == 0 || s.Time < oldest {
				oldest = s.Time
			}
		}
		n := int64(len(x.History))
		avg := sum / n
		period := now - oldest
		if period <= 0 {
			period = 1
		}
		var dev int64
		for _, s := range x.History {
			d := avg - s.Millis
			if d < 0 {
				d = -d
			}
			dev += d
		}
		mad := dev / n
		b.WriteString(strconv.Itoa(i+1) + ". " + x.Name + ": " + strconv.FormatInt(n, 10) +
			" latency spikes (average " + strconv.FormatInt(avg, 10) + "ms, mean deviation " +
			strconv.FormatInt(mad, 10) + "ms, period " + strconv.FormatFloat(float64(period)/float64(n), 'f', 2, 64) +
			" sec). Worst all time event " + strconv.FormatInt(x.Max, 10) + "ms.\n")
		switch x.Name {
		case "command":
			if sl := e.Config.SlowlogSlowerThan.Get(); sl < 0 {
				slowlogEnable = true
			} else if sl/1000 > threshold {
				slowlogTune = true
			}
			slowlogInspect, largeObjects = true, true
		case "fast-command":
			scheduler = true
		}
	}
	if !(slowlogEnable || slowlogTune || slowlogInspect || largeObjects || scheduler) {
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n")
		return b.String()
	}
	b.WriteString("\nI have a few advices for you:\n\n")
	if slowlogEnable {
		b.WriteString("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than " +
			strconv.FormatInt(threshold*1000, 10) + "'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n")
	}
	if slowlogTune {
		b.WriteString("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than " +
			strconv.FormatInt(threshold*1000, 10) + "'.\n")
	}
	if slowlogInspect {
		b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
	}
	if scheduler {
		b.WriteString("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
			"  1) Lower the system load.\n" +
			"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
			"  3) Check if you have a \"noisy neighbour\" problem.\n" +
			"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n")
	}
	if largeObjects {
		b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
	}
	return b.String()
}

// cmdLatencyHistogram is LATENCY HISTOGRAM [command ...]: per command, the
// call count and the cumulative latency distribution. A container named
// alone reports its subcommands too, as in Redis.
func cmdLatencyHistogram(c *Ctx) {
	type row struct {
		name string
		h    *Histogram
	}
	var rows []row
	cmds := c.Env.CommandStats()
	add := func(name string, s *Spec) {
		if h := cmds.Histogram(s); h != nil {
			rows = append(rows, row{name, h})
		}
	}
	if len(c.Args) == 2 {
		c.Env.eachSpec(add)
	} else {
		seen := map[string]bool{}
		for _, a := range c.Args[2:] {
			s, parent := c.Env.Table.lookupFull(strings.ToLower(string(a)))
			if s == nil {
				continue
			}
			name := s.FullName(parent)
			if seen[name] {
				continue
			}
			seen[name] = true
			add(name, s)
			for _, sub := range s.Subcommands {
				add(sub.FullName(s), sub)
			}
		}
	}
	c.W.Map(len(rows))
	for _, r := range rows {
		total, points := r.h.CDF()
		c.W.BulkString(r.name)
		c.W.Map(2)
		c.W.BulkString("calls")
		c.W.Int(total)
		c.W.BulkString("histogram_usec")
		c.W.Map(len(points))
		for _, p := range points {
			c.W.Int(p[0])
			c.W.Int(p[1])
		}
	}
}
