package command

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/rdb"
	"github.com/damselfly-db/damselfly/internal/resp"
	"github.com/damselfly-db/damselfly/internal/snapshot"
	"github.com/damselfly-db/damselfly/internal/value"
)

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password | AUTH2 username password] [KEYS key ...]: DUMP the keys,
// RESTORE them on another server over one connection, and delete them
// here once the target accepted them (unless COPY). As in Redis the
// command waits for the target, up to timeout ms per step; here only the
// shards of its keys wait with it, not the whole server.

func registerMigrate(t *Table) {
	t.add(&Spec{Name: "migrate", Arity: -6, Flags: Write | MovableKeys, First: 3, Last: 3, Step: 1,
		KeysFn: migrateKeys, Handler: cmdMigrate, Group: "generic", Since: "2.6.0",
		Summary:    "Atomically transfers a key from one Redis instance to another.",
		Categories: []string{"keyspace", "dangerous"}})
}

// migrateKeys is Redis's migrateGetKeys: the key argument, or with KEYS
// (and an empty key argument) every argument after it.
func migrateKeys(args [][]byte) []int {
	for i := 6; i < len(args); i++ {
		switch lower(args[i]) {
		case "auth":
			i++
		case "auth2":
			i += 2
		case "keys":
			if len(args[3]) != 0 {
				return nil
			}
			var out []int
			for j := i + 1; j < len(args); j++ {
				out = append(out, j)
			}
			return out
		}
	}
	if len(args) > 3 {
		return []int{3}
	}
	return nil
}

type migrateOpts struct {
	copy, replace bool
	auth          []string // AUTH's or AUTH2's arguments
	keys          [][]byte
}

func cmdMigrate(c *Ctx) {
	args := c.Args
	var o migrateOpts
	keysAt := 0
	for j := 6; j < len(args) && keysAt == 0; j++ {
		more := len(args) - j - 1
		switch opt := lower(args[j]); {
		case opt == "copy":
			o.copy = true
		case opt == "replace":
			o.replace = true
		case opt == "auth" && more >= 1:
			o.auth = []string{string(args[j+1])}
			j++
		case opt == "auth2" && more >= 2:
			o.auth = []string{string(args[j+1]), string(args[j+2])}
			j += 2
		case opt == "keys":
			if len(args[3]) != 0 {
				c.Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			keysAt = j + 1
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	timeout, ok1 := parseInt(args[5])
	db, ok2 := parseInt(args[4])
	if !ok1 || !ok2 {
		c.Err(ErrNotInt)
		return
	}
	if timeout <= 0 {
		timeout = 1000
	}
	if keysAt > 0 {
		o.keys = args[keysAt:]
	} else {
		o.keys = args[3:4]
	}

	// DUMP what exists, with each key's remaining time to live.
	type item struct {
		key     []byte
		ttl     int64
		payload []byte
	}
	var items []item
	for _, k := range o.keys {
		kdb, r, ok := c.Lookup(k)
		if !ok {
			continue
		}
		ttl := int64(0)
		if at := kdb.ExpireAt(r); at != 0 {
			if ttl = at - c.Now; ttl < 1 {
				ttl = 1
			}
		}
		var e rdb.Encoder
		var str []byte
		var obj value.Object
		if kdb.Kind(r) == value.String {
			str = kdb.Str(r)
		} else {
			obj = kdb.Obj(r)
		}
		snapshot.EncodeValue(&e, kdb.Kind(r), str, obj)
		items = append(items, item{key: k, ttl: ttl, payload: rdb.DumpFooter(e.Buf)})
	}
	if len(items) == 0 {
		c.W.Simple("NOKEY")
		return
	}

	var req resp.Writer
	cmd := func(parts ...[]byte) {
		req.Array(len(parts))
		for _, p := range parts {
			req.Bulk(p)
		}
	}
	replies := 0
	if len(o.auth) == 1 {
		cmd([]byte("AUTH"), []byte(o.auth[0]))
		replies++
	} else if len(o.auth) == 2 {
		cmd([]byte("AUTH"), []byte(o.auth[0]), []byte(o.auth[1]))
		replies++
	}
	cmd([]byte("SELECT"), []byte(strconv.FormatInt(db, 10)))
	replies++
	for _, it := range items {
		parts := [][]byte{[]byte("RESTORE"), it.key, []byte(strconv.FormatInt(it.ttl, 10)), it.payload}
		if o.replace {
			parts = append(parts, []byte("REPLACE"))
		}
		cmd(parts...)
	}

	step := time.Duration(timeout) * time.Millisecond
	addr := net.JoinHostPort(string(args[1]), strconv.Itoa(atoiLoose(args[2])))
	conn, err := net.DialTimeout("tcp", addr, step)
	if err != nil {
		var dns *net.DNSError
		if errors.As(err, &dns) {
			c.Err("IOERR error or timeout connecting to the client")
		} else {
			// Redis connects without waiting and meets the failure
			// when it writes.
			c.Err("IOERR error or timeout writing to target instance")
		}
		return
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(step))
	if _, err := conn.Write(req.Buf); err != nil {
		c.Err("IOERR error or timeout writing to target instance")
		return
	}
	rd := bufio.NewReader(conn)
	readLine := func() (string, bool) {
		conn.SetReadDeadline(time.Now().Add(step))
		line, err := rd.ReadString('\n')
		if err != nil {
			return "", false
		}
		return strings.TrimRight(line, "\r\n"), true
	}
	for i := 0; i < replies; i++ {
		line, ok := readLine()
		if !ok {
			c.Err("IOERR error or timeout reading to target instance")
			return
		}
		if strings.HasPrefix(line, "-") {
			c.Err("ERR Target instance replied with error: " + line[1:])
			return
		}
	}
	failed := false
	for _, it := range items {
		line, ok := readLine()
		if !ok {
			if !failed {
				c.Err("IOERR error or timeout reading to target instance")
			}
			return
		}
		if strings.HasPrefix(line, "-") {
			if !failed {
				c.Err("ERR Target instance replied with error: " + line[1:])
				failed = true
			}
			continue
		}
		if !o.copy && c.DB(it.key).Delete(it.key) {
			c.Notify(config.EventGeneric, "del", it.key)
		}
	}
	if !failed {
		c.W.OK()
	}
}

// atoiLoose is C's atoi, as Redis reads MIGRATE's port: leading digits,
// 0 when there are none.
func atoiLoose(b []byte) int {
	n := 0
	for _, ch := range b {
		if ch < '0' || ch > '9' || n > 1<<20 {
			break
		}
		n = n*10 + int(ch-'0')
	}
	return n
}
