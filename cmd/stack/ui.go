package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

const (
	defaultStartTimeout = 3 * time.Minute
	defaultStatusEvery  = 15 * time.Second
)

// ui prints the launcher's lines, one at a time, with a clock.
type ui struct {
	mu      sync.Mutex
	w       io.Writer
	verbose bool
	start   time.Time
}

func newUI(w io.Writer, verbose bool) *ui {
	return &ui{w: w, verbose: verbose, start: time.Now()}
}

func (u *ui) printf(format string, args ...any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fmt.Fprintf(u.w, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// child prints a line of a child process, prefixed with its name.
func (u *ui) child(name, line string) {
	u.printf("[%s] %s", name, line)
}

// duration is a flag.Value for time.Duration that also takes plain seconds.
type duration time.Duration

func (d *duration) String() string { return time.Duration(*d).String() }

func (d *duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		var secs float64
		if _, err2 := fmt.Sscanf(s, "%g", &secs); err2 != nil {
			return err
		}
		v = time.Duration(secs * float64(time.Second))
	}
	*d = duration(v)
	return nil
}

func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return d.String()
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
