package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is a child process of the launcher. It runs in its own process
// group, so that Ctrl-C reaches the launcher only and the launcher stops the
// children in order; stopping signals that group (the child and whatever it
// started), nothing else.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
	wg   sync.WaitGroup
}

// lineFilter decides what of a child's output reaches the terminal: the
// text to show, or "" to keep it in the log file only.
type lineFilter func(line string) string

// startProc starts path with args, writing its output to logPath and the
// lines filter keeps to the terminal.
func startProc(u *ui, name, path string, args, env []string, dir, logPath string, filter lineFilter) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logf, "==== %s %s %v\n", time.Now().Format(time.RFC3339), path, args)
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logf, done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 8*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if u.verbose {
				u.child(name, line)
			} else if filter != nil {
				if s := filter(line); s != "" {
					u.child(name, s)
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		p.wg.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) error {
	if p == nil || p.exited() {
		return nil
	}
	syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
	// Whatever the child left in its group goes too.
	syscall.Kill(-p.pid(), syscall.SIGKILL)
	return p.err
}

// exitText describes how the process ended.
func (p *proc) exitText() string {
	if p.err == nil {
		return "exited with status 0"
	}
	return p.err.Error()
}
