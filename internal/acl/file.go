package acl

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ParseFile reads an ACL file (lines "user <name> <rules...>", as ACL SAVE
// writes them) into new users. Errors name the file and line as Redis
// does; all of them are reported, joined by spaces.
func (us *Users) ParseFile(path string) (map[string]*User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Error loading ACLs, opening file '%s': %s", path, strings.TrimPrefix(errText(err), "open "+path+": "))
	}
	users := map[string]*User{}
	seen := map[string]bool{}
	var errs strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<26)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		fields := strings.Fields(text)
		if fields[0] != "user" || len(fields) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, line)
			continue
		}
		name := fields[1]
		if seen[name] {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, line)
			continue
		}
		seen[name] = true
		rules, err := MergeSelectors(fields[2:])
		if err != nil {
			fmt.Fprintf(&errs, "%s:%d: %s ", path, line, err)
			continue
		}
		u := us.newUser(name)
		u.resetAllChannels = us.allChannels.Load()
		if err := u.apply(rules); err != nil {
			msg := err.Error()
			if re, ok := err.(*RuleError); ok {
				msg = fmt.Sprintf("Error in applying operation '%s': %s", re.Rule, re.Err)
				if re.Err == errBadHash {
					msg = re.Err.Error()
				}
			}
			fmt.Fprintf(&errs, "%s:%d: %s. ", path, line, msg)
			continue
		}
		users[name] = u
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, fmt.Errorf("%s", errs.String())
	}
	return users, nil
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		s := pe.Err.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// Replace installs users loaded from a file: the default user keeps its
// handle (connections using it stay) and gets the file's rules, or the
// fresh default's when the file has none; every other user is new. It
// returns the handles that no longer exist, whose connections must go.
func (us *Users) Replace(users map[string]*User) []*Handle {
	us.mu.Lock()
	defer us.mu.Unlock()
	def := users["default"]
	if def == nil {
		def = defaultUser(us.cat)
	}
	us.def.u.Store(def)
	var gone []*Handle
	m := map[string]*Handle{"default": us.def}
	for _, h := range *us.byName.Load() {
		if h != us.def {
			gone = append(gone, h)
		}
	}
	for n, u := range users {
		if n == "default" {
			continue
		}
		h := &Handle{name: n}
		h.u.Store(u)
		m[n] = h
	}
	us.byName.Store(&m)
	return gone
}

// Save writes every user to path, through a temporary file renamed over
// it, so a crash leaves the old file or the new one.
func (us *Users) Save(path string) error {
	var b strings.Builder
	for _, l := range us.List() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".acl-*.tmp")
	if err != nil {
		return fmt.Errorf("opening temp ACL file for ACL SAVE: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing ACL file for ACL SAVE: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing ACL file for ACL SAVE: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing ACL file for ACL SAVE: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming ACL file for ACL SAVE: %w", err)
	}
	return nil
}
