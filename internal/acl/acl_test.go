package acl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCatalog is a small command table: enough categories and a container
// command to exercise rules, descriptions and checks.
func testCatalog() *Catalog {
	c := NewCatalog()
	bits := func(names ...string) uint32 {
		var m uint32
		for _, n := range names {
			m |= CategoryBit(n)
		}
		return m
	}
	c.Add("get", bits("read", "string", "fast"), -1, false)
	c.Add("set", bits("write", "string", "slow"), -1, false)
	c.Add("append", bits("write", "string", "fast"), -1, false)
	c.Add("strlen", bits("read", "string", "fast"), -1, false)
	c.Add("hget", bits("read", "hash", "fast"), -1, false)
	c.Add("hset", bits("write", "hash", "fast"), -1, false)
	c.Add("select", bits("connection", "fast"), -1, false)
	c.Add("auth", bits("connection", "fast"), -1, true)
	c.Add("publish", bits("pubsub", "fast"), -1, false)
	cfg := c.Add("config", bits("slow"), -1, false)
	c.Add("config|get", bits("admin", "slow", "dangerous"), cfg, false)
	c.Add("config|set", bits("admin", "slow", "dangerous"), cfg, false)
	return c
}

func setUser(t *testing.T, us *Users, name string, rules ...string) *User {
	t.Helper()
	h, _, err := us.SetUser(name, rules)
	if err != nil {
		t.Fatalf("SETUSER %s %v: %v", name, rules, err)
	}
	return h.Load()
}

func TestDescribe(t *testing.T) {
	us := NewUsers(testCatalog())
	cases := []struct {
		rules []string
		want  string
	}{
		{nil, "user u off resetchannels -@all"},
		{[]string{"on", "nopass", "~*", "&*", "+@all"}, "user u on nopass ~* &* +@all"},
		{[]string{"+@all", "-get"}, "user u off resetchannels +@all -get"},
		{[]string{"+@string", "-set"}, "user u off resetchannels -@all +@string -set"},
		// In this small catalog @admin is exactly CONFIG's subcommands, so
		// the best fit names the category, as Redis would.
		{[]string{"+config"}, "user u off resetchannels -@all +@admin +config"},
		{[]string{"+config|get"}, "user u off resetchannels -@all +config|get"},
		{[]string{"+@all", "-@dangerous"}, "user u off resetchannels +@all -@admin"},
		{[]string{"+@all", "-@write"}, "user u off resetchannels +@all -@write"},
		{[]string{"+select|0"}, "user u off resetchannels -@all +select|0"},
		{[]string{"%R~a", "%W~a", "%R~b", "~c"}, "user u off ~a %R~b ~c resetchannels -@all"},
		{[]string{"%R~*", "%W~*"}, "user u off ~* resetchannels -@all"},
		{[]string{"&x", "&y", "&x"}, "user u off resetchannels &x &y -@all"},
		{[]string{">a", ">b", "<a"}, "user u off #" + HashPassword("b") + " resetchannels -@all"},
		{[]string{"reset"}, "user u off sanitize-payload resetchannels -@all"},
		{[]string{"(~a +get)", "(&c +publish)"}, "user u off resetchannels -@all (~a resetchannels -@all +get) (resetchannels &c -@all +@pubsub)"},
	}
	for _, tc := range cases {
		us.DelUsers([]string{"u"})
		if got := setUser(t, us, "u", tc.rules...).Describe(); got != tc.want {
			t.Errorf("%v:\n got %q\nwant %q", tc.rules, got, tc.want)
		}
	}
}

func TestRuleErrors(t *testing.T) {
	us := NewUsers(testCatalog())
	before := setUser(t, us, "u", "on", ">p", "~k", "+get").Describe()
	for rule, want := range map[string]string{
		"+nosuch":        "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL",
		"+@nosuch":       "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL",
		"+config|nope":   "Error in ACL SETUSER modifier '+config|nope': Unknown command or category name in ACL",
		"-select|0":      "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL",
		"%X~a":           "Error in ACL SETUSER modifier '%X~a': Syntax error",
		"bogus":          "Error in ACL SETUSER modifier 'bogus': Syntax error",
		"#abc":           "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
		"<nope":          "Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist",
		"(~a +get":       "Unmatched parenthesis in acl selector starting at '(~a +get'.",
		"(~a +nosuch)":   "Error in ACL SETUSER modifier '(~a +nosuch)': Unknown command or category name in ACL",
		"(on)":           "Error in ACL SETUSER modifier '(on)': Syntax error",
		"+set\x00ignore": "Error in ACL SETUSER modifier '+set\x00ignore': Unknown command or category name in ACL",
	} {
		_, _, err := us.SetUser("u", []string{"+set", rule})
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", rule, err, want)
		}
	}
	if got := us.Get("u").Load().Describe(); got != before {
		t.Errorf("a failed SETUSER changed the user: %q, was %q", got, before)
	}
	if _, _, err := us.SetUser("u", []string{"~*", "~x"}); err == nil || !strings.Contains(err.Error(), "after the * pattern") {
		t.Errorf("pattern after ~*: %v", err)
	}
	if _, _, err := us.SetUser("a b", nil); err != ErrBadName {
		t.Errorf("bad name: %v", err)
	}
	if _, err := us.DelUsers([]string{"default"}); err != ErrDeleteDefault {
		t.Errorf("delete default: %v", err)
	}
}

func TestCheck(t *testing.T) {
	cat := testCatalog()
	us := NewUsers(cat)
	id := func(name string) int {
		i, ok := cat.Lookup(name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		return i
	}
	u := setUser(t, us, "u", "on", "~app:*", "%R~ro:*", "%W~wo:*", "&news.*", "+@string", "-set", "+publish", "+config|get", "+select|0", "(~other:* +set)")
	cases := []struct {
		name string
		r    Request
		want Denial
		idx  int
	}{
		{"allowed key", Request{ID: id("get"), Keys: []KeyRef{{[]byte("app:1"), PermRead}}}, Allowed, 0},
		{"read-only key read", Request{ID: id("get"), Keys: []KeyRef{{[]byte("ro:1"), PermRead}}}, Allowed, 0},
		{"read-only key written", Request{ID: id("append"), Keys: []KeyRef{{[]byte("ro:1"), PermAll}}}, DeniedKey, 0},
		{"write-only key written", Request{ID: id("append"), Keys: []KeyRef{{[]byte("wo:1"), PermWrite}}}, Allowed, 0},
		{"second key refused", Request{ID: id("get"), Keys: []KeyRef{{[]byte("app:1"), PermRead}, {[]byte("x"), PermRead}}}, DeniedKey, 1},
		{"key needing no permission", Request{ID: id("get"), Keys: []KeyRef{{[]byte("wo:1"), 0}}}, Allowed, 0},
		{"command removed", Request{ID: id("set"), Keys: []KeyRef{{[]byte("app:1"), PermWrite}}}, DeniedKey, 0},
		{"selector allows set", Request{ID: id("set"), Keys: []KeyRef{{[]byte("other:1"), PermWrite}}}, Allowed, 0},
		{"command never allowed", Request{ID: id("hget")}, DeniedCommand, 0},
		{"subcommand allowed", Request{ID: id("config|get")}, Allowed, 0},
		{"subcommand refused", Request{ID: id("config|set")}, DeniedCommand, 0},
		{"first arg allowed", Request{ID: id("select"), FirstArg: []byte("0")}, Allowed, 0},
		{"first arg refused", Request{ID: id("select"), FirstArg: []byte("1")}, DeniedCommand, 0},
		{"no-auth command", Request{ID: id("auth")}, Allowed, 0},
		{"channel", Request{ID: id("publish"), Channels: [][]byte{[]byte("news.a")}}, Allowed, 0},
		{"channel refused", Request{ID: id("publish"), Channels: [][]byte{[]byte("weather")}}, DeniedChannel, 0},
		{"pattern literal", Request{ID: id("publish"), Channels: [][]byte{[]byte("news.*")}, Patterns: true}, Allowed, 0},
		{"pattern narrower", Request{ID: id("publish"), Channels: [][]byte{[]byte("news.a*")}, Patterns: true}, DeniedChannel, 0},
	}
	for _, tc := range cases {
		d, idx := u.Check(&tc.r)
		if d != tc.want || (d != Allowed && idx != tc.idx) {
			t.Errorf("%s: got %v/%d, want %v/%d", tc.name, d, idx, tc.want, tc.idx)
		}
	}
	if !us.Default().Load().Unrestricted() || u.Unrestricted() {
		t.Error("Unrestricted: the default user is, u is not")
	}
}

func TestPasswords(t *testing.T) {
	us := NewUsers(testCatalog())
	u := setUser(t, us, "u", "on", ">one", "#"+HashPassword("two"))
	if !u.CheckPassword("one") || !u.CheckPassword("two") || u.CheckPassword("three") {
		t.Error("passwords one, two")
	}
	u = setUser(t, us, "u", "off")
	if u.CheckPassword("one") {
		t.Error("a disabled user authenticated")
	}
	u = setUser(t, us, "u", "on", "nopass")
	if !u.CheckPassword("anything") || len(u.Passwords()) != 0 {
		t.Error("nopass")
	}
	if us.AuthRequired() {
		t.Error("fresh default user needs no AUTH")
	}
	us.SetDefaultPassword("pw")
	if !us.AuthRequired() || !us.Default().Load().CheckPassword("pw") || us.Default().Load().CheckPassword("") {
		t.Error("requirepass pw")
	}
	us.SetDefaultPassword("")
	if us.AuthRequired() {
		t.Error("requirepass cleared")
	}
}

func TestLogGrouping(t *testing.T) {
	var l Log
	now := time.Unix(1000, 0)
	add := func(obj string, at time.Time) {
		l.Add(Entry{Reason: "key", Context: "toplevel", Object: obj, Username: "u", Created: at}, 3)
	}
	add("a", now)
	add("b", now)
	add("a", now.Add(time.Second))
	e := l.Entries(-1)
	if len(e) != 2 || e[0].Object != "a" || e[0].Count != 2 || e[1].Object != "b" {
		t.Fatalf("grouped: %+v", e)
	}
	add("a", now.Add(2*time.Minute)) // too late to group
	add("c", now)
	add("d", now)
	e = l.Entries(-1)
	if len(e) != 3 || e[0].Object != "d" || e[2].Object != "a" || e[2].Count != 1 {
		t.Fatalf("capped at 3: %+v", e)
	}
	if got := l.Entries(1); len(got) != 1 {
		t.Errorf("Entries(1): %d", len(got))
	}
	l.Reset()
	if len(l.Entries(-1)) != 0 {
		t.Error("Reset")
	}
}

func TestLimiter(t *testing.T) {
	l := Limiter{Every: time.Second}
	now := time.Unix(0, 0)
	if ok, _ := l.Allow(now); !ok {
		t.Fatal("first")
	}
	for i := 0; i < 5; i++ {
		if ok, _ := l.Allow(now.Add(time.Duration(i) * 100 * time.Millisecond)); ok {
			t.Fatal("within the interval")
		}
	}
	if ok, held := l.Allow(now.Add(time.Second)); !ok || held != 5 {
		t.Fatalf("after the interval: %v %d", ok, held)
	}
}

func TestFileRoundTrip(t *testing.T) {
	us := NewUsers(testCatalog())
	setUser(t, us, "alice", "on", ">pw", "~a*", "%R~b*", "&c", "+@string", "-set", "(~x +hget)")
	setUser(t, us, "bob", "off", "nopass", "allkeys", "+@all", "-@dangerous")
	us.SetDefaultPassword("secret")
	path := filepath.Join(t.TempDir(), "users.acl")
	if err := us.Save(path); err != nil {
		t.Fatal(err)
	}
	want := us.List()
	other := NewUsers(testCatalog())
	users, err := other.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gone := other.Replace(users)
	if len(gone) != 0 {
		t.Errorf("gone: %d", len(gone))
	}
	if got := other.List(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("loaded:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	bad := "user default on nopass ~* &* +@all\nfoo\nuser x on #zz\nuser y on +nosuch\nuser y on\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = other.ParseFile(path)
	wantErr := path + ":2 should start with user keyword followed by the username. " +
		path + ":3: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. " +
		path + ":4: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
		"WARNING: Duplicate user 'y' found on line 5. " +
		"WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != wantErr {
		t.Errorf("bad file:\n got %v\nwant %s", err, wantErr)
	}
}
