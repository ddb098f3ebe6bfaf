package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ACL end to end, with go-redis and redis-cli, on Damselfly and on
// redis-server: users and key patterns with read/write intent, channels,
// MULTI, Lua, the ACL file both ways, and what failed AUTH leaves behind.

// userClient is a go-redis client logged in as user.
func userClient(t *testing.T, s *Server, user, pass string) *redis.Client {
	t.Helper()
	// No CLIENT SETINFO at connect: it would count as refused commands.
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Username: user, Password: pass, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

const (
	nopermKey     = "NOPERM this user has no permissions to access one of the keys used as arguments"
	nopermChannel = "NOPERM this user has no permissions to access one of the channels used as arguments"
)

func nopermCmd(name string) string {
	return "NOPERM this user has no permissions to run the '" + name + "' command"
}

func TestACLKeyPatterns(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		ctx := Ctx(t)
		admin := s.Client(t, 2)
		if err := admin.Do(ctx, "ACL", "SETUSER", "app", "on", ">s3cret", "~app:*", "%R~ro:*", "%W~wo:*",
			"+@read", "+@write", "-@dangerous", "-flushdb").Err(); err != nil {
			t.Fatal(err)
		}
		admin.Set(ctx, "ro:1", "r", 0)
		app := userClient(t, s, "app", "s3cret")
		type step struct {
			name string
			run  func() error
			want string
		}
		steps := []step{
			{"set app key", func() error { return app.Set(ctx, "app:1", "v", 0).Err() }, "<nil>"},
			{"get app key", func() error { return app.Get(ctx, "app:1").Err() }, "<nil>"},
			{"get read-only key", func() error { return app.Get(ctx, "ro:1").Err() }, "<nil>"},
			{"set read-only key", func() error { return app.Set(ctx, "ro:1", "x", 0).Err() }, nopermKey},
			{"set write-only key", func() error { return app.Set(ctx, "wo:1", "x", 0).Err() }, "<nil>"},
			{"get write-only key", func() error { return app.Get(ctx, "wo:1").Err() }, nopermKey},
			{"SET GET reads the key", func() error { return app.SetArgs(ctx, "wo:1", "y", redis.SetArgs{Get: true}).Err() }, nopermKey},
			{"copy ro to wo", func() error { return app.Copy(ctx, "ro:1", "wo:2", 0, false).Err() }, "<nil>"},
			{"copy wo to ro", func() error { return app.Copy(ctx, "wo:1", "ro:2", 0, false).Err() }, nopermKey},
			{"other key", func() error { return app.Get(ctx, "other").Err() }, nopermKey},
			{"mget mixes allowed and refused keys", func() error { return app.MGet(ctx, "app:1", "other").Err() }, nopermKey},
			{"dangerous command", func() error { return app.FlushAll(ctx).Err() }, nopermCmd("flushall")},
			{"removed command", func() error { return app.FlushDB(ctx).Err() }, nopermCmd("flushdb")},
			{"subcommand of a dangerous container", func() error { return app.ConfigGet(ctx, "maxmemory").Err() }, nopermCmd("config|get")},
		}
		for _, st := range steps {
			if got := errText(st.run()); got != st.want {
				t.Errorf("%s: got %q, want %q", st.name, got, st.want)
			}
		}
		if got := admin.Get(ctx, "wo:2").Val(); got != "r" {
			t.Errorf("COPY by app wrote %q, want r", got)
		}
		// DRYRUN answers without running.
		if got := admin.Do(ctx, "ACL", "DRYRUN", "app", "set", "ro:1", "v").Val(); got != "This user has no permissions to access the 'ro:1' key" {
			t.Errorf("DRYRUN: %q", got)
		}
	})
}

func TestACLChannels(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		ctx := Ctx(t)
		admin := s.Client(t, 2)
		if err := admin.Do(ctx, "ACL", "SETUSER", "sub", "on", ">pw", "&news.*", "&exact", "+@pubsub").Err(); err != nil {
			t.Fatal(err)
		}
		c := userClient(t, s, "sub", "pw")
		if got := errText(c.Publish(ctx, "news.sport", "m").Err()); got != "<nil>" {
			t.Errorf("publish allowed channel: %s", got)
		}
		if got := errText(c.Publish(ctx, "weather", "m").Err()); got != nopermChannel {
			t.Errorf("publish other channel: %s", got)
		}
		// A pattern subscription must equal one of the user's patterns:
		// "news.*" does, "news.s*" does not even though it is narrower.
		ps := c.PSubscribe(ctx, "news.*")
		if _, err := ps.Receive(ctx); err != nil {
			t.Errorf("psubscribe news.*: %v", err)
		}
		ps.Close()
		ps = c.PSubscribe(ctx, "news.s*")
		if _, err := ps.Receive(ctx); errText(err) != nopermChannel {
			t.Errorf("psubscribe news.s*: %v", err)
		}
		ps.Close()
		sub := c.Subscribe(ctx, "news.tech")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatalf("subscribe news.tech: %v", err)
		}
		admin.Publish(ctx, "news.tech", "hello")
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil || msg.Payload != "hello" {
			t.Errorf("message: %v %v", msg, err)
		}
		// Entries in ACL LOG for the refused channel.
		log, err := admin.ACLLog(ctx, 10).Result()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range log {
			if e.Reason == "channel" && e.Object == "weather" && e.Username == "sub" && e.Context == "toplevel" {
				found = true
			}
		}
		if !found {
			t.Errorf("no channel entry for weather in ACL LOG: %+v", log)
		}
	})
}

func TestACLMultiAndLua(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		ctx := Ctx(t)
		admin := s.Client(t, 2)
		if err := admin.Do(ctx, "ACL", "SETUSER", "tx", "on", ">p", "~k:*", "+@transaction", "+get", "+set", "+incr", "+eval", "+evalsha").Err(); err != nil {
			t.Fatal(err)
		}
		c := userClient(t, s, "tx", "p")
		// A refused command while queueing aborts the transaction.
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "k:1", "1", 0)
			p.Get(ctx, "other")
			return nil
		})
		if !strings.HasPrefix(errText(err), "EXECABORT") {
			t.Errorf("tx with refused key: %v", err)
		}
		if n, _ := admin.Exists(ctx, "k:1").Result(); n != 0 {
			t.Error("aborted transaction wrote k:1")
		}
		// Rules tightened between MULTI and EXEC: the queued command is
		// refused at EXEC, the others run.
		w := dialWire(t, s.Addr)
		if got := w.do("AUTH", "tx", "p"); got != "+OK\r\n" {
			t.Fatalf("AUTH tx: %q", got)
		}
		for _, cmd := range [][]string{{"MULTI"}, {"INCR", "k:n"}, {"SET", "k:2", "v"}} {
			w.write(respCmd(cmd...))
		}
		w.expect("+OK\r\n")
		w.expect("+QUEUED\r\n")
		w.expect("+QUEUED\r\n")
		if err := admin.Do(ctx, "ACL", "SETUSER", "tx", "-incr").Err(); err != nil {
			t.Fatal(err)
		}
		w.write(respCmd("EXEC"))
		w.expect("*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. " +
			"This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n+OK\r\n")
		// Scripts run as the calling user.
		script := redis.NewScript("return redis.call('get', KEYS[1])")
		if err := script.Run(ctx, c, []string{"k:2"}).Err(); err != nil {
			t.Errorf("script on allowed key: %v", err)
		}
		err = redis.NewScript("return redis.call('set', 'other', '1')").Run(ctx, c, nil).Err()
		if !strings.HasPrefix(errText(err), "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments") {
			t.Errorf("script on refused key: %v", err)
		}
		err = redis.NewScript("return redis.call('del', 'k:2')").Run(ctx, c, nil).Err()
		if !strings.HasPrefix(errText(err), "ERR The user executing the script can't run this command or subcommand") {
			t.Errorf("script running refused command: %v", err)
		}
		if n, _ := admin.Exists(ctx, "other", "k:2").Result(); n != 1 {
			t.Errorf("after refused script calls: %d keys of other, k:2; want 1", n)
		}
		// The script's denials are in ACL LOG with context "lua".
		log, _ := admin.ACLLog(ctx, 10).Result()
		lua := 0
		for _, e := range log {
			if e.Context == "lua" && e.Username == "tx" {
				lua++
			}
		}
		if lua != 2 {
			t.Errorf("ACL LOG lua entries: %d, want 2 (%+v)", lua, log)
		}
	})
}

// TestACLFileRoundTrip saves users with ACL SAVE on one server and loads
// the file into the other, both ways: Damselfly writes what Redis reads
// and reads what Redis writes.
func TestACLFileRoundTrip(t *testing.T) {
	t.Parallel()
	rules := [][]string{
		{"alice", "on", ">alice-pw", "~cache:*", "%R~conf:*", "&bus:*", "+@read", "+set"},
		{"bob", "off", "#" + strings.Repeat("ab", 32), "nopass", "allkeys", "+@all", "-@dangerous"},
		{"carol", "on", ">c1", ">c2", "resetchannels", "-@all", "+get", "(~x:* +set)"},
	}
	for _, from := range oracleTargets {
		to := oracleTargets[0]
		if from.name == to.name {
			to = oracleTargets[1]
		}
		t.Run(from.name+"_to_"+to.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fileA := filepath.Join(dir, "a.acl")
			if err := os.WriteFile(fileA, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			a := from.start(t, "--aclfile", fileA)
			ctx := Ctx(t)
			ca := a.Client(t, 2)
			for _, r := range rules {
				args := []any{"ACL", "SETUSER"}
				for _, x := range r {
					args = append(args, x)
				}
				if err := ca.Do(ctx, args...).Err(); err != nil {
					t.Fatalf("%v: %v", r, err)
				}
			}
			if err := ca.Do(ctx, "ACL", "SAVE").Err(); err != nil {
				t.Fatalf("ACL SAVE: %v", err)
			}
			wantList, _ := ca.ACLList(ctx).Result()
			data, err := os.ReadFile(fileA)
			if err != nil {
				t.Fatal(err)
			}
			fileB := filepath.Join(dir, "b.acl")
			if err := os.WriteFile(fileB, data, 0o600); err != nil {
				t.Fatal(err)
			}
			b := to.start(t, "--aclfile", fileB)
			cb := b.Client(t, 2)
			gotList, err := cb.ACLList(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(gotList, "\n") != strings.Join(wantList, "\n") {
				t.Errorf("ACL LIST after loading %s's file into %s:\n%s\nwant:\n%s", from.name, to.name, strings.Join(gotList, "\n"), strings.Join(wantList, "\n"))
			}
			alice := userClient(t, b, "alice", "alice-pw")
			if err := alice.Set(ctx, "cache:1", "v", 0).Err(); err != nil {
				t.Errorf("alice set cache:1: %v", err)
			}
			if got := errText(alice.Set(ctx, "conf:1", "v", 0).Err()); got != nopermKey {
				t.Errorf("alice set conf:1: %s", got)
			}
			carol := userClient(t, b, "carol", "c2")
			if err := carol.Set(ctx, "x:1", "v", 0).Err(); err != nil {
				t.Errorf("carol set x:1 through her selector: %v", err)
			}
			// ACL LOAD rereads the file; a bad file changes nothing.
			if err := os.WriteFile(fileB, []byte("user default on nopass ~* &* +@all\nuser dave on +nosuch\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			err = cb.Do(ctx, "ACL", "LOAD").Err()
			if !strings.Contains(errText(err), "WARNING: ACL errors detected, no change to the previously active ACL rules was performed") {
				t.Errorf("ACL LOAD of a bad file: %v", err)
			}
			if n, _ := cb.ACLUsers(ctx).Result(); len(n) != 4 {
				t.Errorf("users after failed LOAD: %v", n)
			}
			if err := os.WriteFile(fileB, []byte("user default on nopass ~* &* +@all\nuser dave on nopass +ping\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := cb.Do(ctx, "ACL", "LOAD").Err(); err != nil {
				t.Fatalf("ACL LOAD: %v", err)
			}
			if n, _ := cb.ACLUsers(ctx).Result(); strings.Join(n, ",") != "dave,default" {
				t.Errorf("users after LOAD: %v", n)
			}
			// Connections of users the load removed are closed.
			if err := alice.Ping(ctx).Err(); err == nil {
				// go-redis may reconnect once; the new login fails.
				if err := alice.Ping(ctx).Err(); err == nil {
					t.Error("alice still runs commands after ACL LOAD removed her")
				}
			}
		})
	}
}

var aclInfoField = regexp.MustCompile(`(?m)^(acl_access_denied_auth|acl_access_denied_cmd|acl_access_denied_key|acl_access_denied_channel|total_auth_failures):(\d+)\r?$`)

func denialCounters(t *testing.T, c *redis.Client) map[string]int {
	t.Helper()
	info, err := c.Info(Ctx(t), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range aclInfoField.FindAllStringSubmatch(info, -1) {
		out[m[1]], _ = strconv.Atoi(m[2])
	}
	return out
}

// TestACLFailedAuth: failed logins are counted, logged with the client's
// address at most about once a second, and recorded in ACL LOG; refused
// commands are counted by reason. (Redis 7.0 has no acl_access_denied_*
// fields; Damselfly reports them as Redis 7.2 does.)
func TestACLFailedAuth(t *testing.T) {
	t.Parallel()
	s := Start(t, "--requirepass", "right")
	ctx := Ctx(t)
	admin := userClient(t, s, "default", "right")
	if err := admin.Do(ctx, "ACL", "SETUSER", "ro", "on", ">ro", "~a*", "+get", "+publish", "&c").Err(); err != nil {
		t.Fatal(err)
	}
	// A brute force: 200 wrong passwords in one pipeline.
	w := dialWire(t, s.Addr)
	local := w.nc.LocalAddr().String()
	const attempts = 200
	start := time.Now()
	var batch []byte
	for i := 0; i < attempts; i++ {
		batch = append(batch, respCmd("AUTH", "nobody", "guess"+strconv.Itoa(i))...)
	}
	w.write(batch)
	for i := 0; i < attempts; i++ {
		w.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n")
	}
	took := time.Since(start)
	w.write(respCmd("GET", "a"))
	w.expect("-NOAUTH Authentication required.\r\n")
	c := denialCounters(t, admin)
	if c["acl_access_denied_auth"] != attempts || c["total_auth_failures"] != attempts {
		t.Errorf("auth counters %v, want %d", c, attempts)
	}
	// The server log names the client, and is rate-limited.
	time.Sleep(100 * time.Millisecond)
	lines := 0
	for _, l := range strings.Split(s.Log(), "\n") {
		if strings.Contains(l, "authentication failed") {
			lines++
			if !strings.Contains(l, local) || !strings.Contains(l, "nobody") {
				t.Errorf("log line without the client address %s or user: %q", local, l)
			}
		}
	}
	if max := int(took/time.Second) + 2; lines < 1 || lines > max {
		t.Errorf("%d failed-auth log lines for %d attempts in %v; want 1..%d", lines, attempts, took, max)
	}
	// ACL LOG groups the attempts in one entry.
	log, err := admin.ACLLog(ctx, 10).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Reason != "auth" || log[0].Object != "AUTH" || log[0].Username != "nobody" || log[0].Count != attempts {
		t.Errorf("ACL LOG: %+v", log)
	} else if log[0].ClientInfo == nil || log[0].ClientInfo.Addr != local {
		t.Errorf("ACL LOG client-info %+v does not name %s", log[0].ClientInfo, local)
	}
	// Refusals of commands, keys and channels are counted apart.
	ro := userClient(t, s, "ro", "ro")
	ro.Get(ctx, "a1")
	ro.Set(ctx, "a1", "v", 0)
	ro.Get(ctx, "b1")
	ro.Get(ctx, "b2")
	ro.Publish(ctx, "d", "m")
	c = denialCounters(t, admin)
	if c["acl_access_denied_cmd"] != 1 || c["acl_access_denied_key"] != 2 || c["acl_access_denied_channel"] != 1 {
		t.Errorf("denial counters %v, want cmd 1 key 2 channel 1", c)
	}
	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if c = denialCounters(t, admin); c["acl_access_denied_key"] != 0 || c["acl_access_denied_auth"] != 0 {
		t.Errorf("after CONFIG RESETSTAT: %v", c)
	}
}

// TestACLRequirepass: requirepass is the default user's password, for
// redis-cli -a, AUTH and HELLO; CONFIG SET requirepass changes it.
func TestACLRequirepass(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		if r := redisCLI(t, s, "--no-auth-warning", "-a", "pw1", "ping"); r.stdout != "PONG\n" {
			t.Errorf("redis-cli -a pw1 ping: %q %q", r.stdout, r.stderr)
		}
		if r := redisCLI(t, s, "ping"); !strings.HasPrefix(r.stdout, "NOAUTH") {
			t.Errorf("redis-cli ping without password: %q", r.stdout)
		}
		ctx := Ctx(t)
		admin := userClient(t, s, "default", "pw1")
		list, err := admin.ACLList(ctx).Result()
		if err != nil || len(list) != 1 || list[0] != "user default on #"+sha256hex("pw1")+" ~* &* +@all" {
			t.Errorf("ACL LIST: %q %v", list, err)
		}
		if err := admin.ConfigSet(ctx, "requirepass", "pw2").Err(); err != nil {
			t.Fatal(err)
		}
		if r := redisCLI(t, s, "--no-auth-warning", "--user", "default", "--pass", "pw2", "ping"); r.stdout != "PONG\n" {
			t.Errorf("redis-cli --user default --pass pw2 ping: %q %q", r.stdout, r.stderr)
		}
		if err := admin.Do(ctx, "ACL", "SETUSER", "cli", "on", ">cp", "+ping", "+hello", "+auth").Err(); err != nil {
			t.Fatal(err)
		}
		if r := redisCLI(t, s, "--no-auth-warning", "--user", "cli", "--pass", "cp", "ping"); r.stdout != "PONG\n" {
			t.Errorf("redis-cli --user cli ping: %q %q", r.stdout, r.stderr)
		}
		if r := redisCLI(t, s, "--no-auth-warning", "--user", "cli", "--pass", "cp", "get", "k"); r.stdout != "NOPERM this user has no permissions to run the 'get' command\n\n" {
			t.Errorf("redis-cli --user cli get: %q %q", r.stdout, r.stderr)
		}
		if err := admin.ConfigSet(ctx, "requirepass", "").Err(); err != nil {
			t.Fatal(err)
		}
		if r := redisCLI(t, s, "ping"); r.stdout != "PONG\n" {
			t.Errorf("ping once requirepass is empty: %q", r.stdout)
		}
	}, "--requirepass", "pw1")
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
