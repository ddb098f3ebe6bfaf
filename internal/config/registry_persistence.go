package config

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"strings"
)

// persistenceSettings: where snapshots go and when they are taken.
func (c *Config) persistenceSettings() []*setting {
	return []*setting{
		// Redis 7 refuses CONFIG SET of dir and dbfilename unless
		// enable-protected-configs allows it ("protected config"): together
		// they would let a client write files anywhere.
		newSetting(spec{name: "dir", protected: true, mutable: true, status: live, setCheck: checkDirExists,
			help: "Directory for snapshot files; empty means the current directory."},
			stringCodec(nil), "", stringHolder(&c.Dir)),
		newSetting(spec{name: "dbfilename", protected: true, mutable: true, status: live,
			help: "Snapshot file name, without a directory; {timestamp}, {Y}, {m} and {d} are allowed as in Dragonfly."},
			stringCodec(checkDBFilename), "dump-{timestamp}", stringHolder(&c.DBFilename)),
		newSetting(spec{name: "save", mutable: true, status: live,
			help: `Redis-style snapshot points "<seconds> <changes> ..." (e.g. "3600 1 300 100"); empty disables them.`},
			saveCodec(), nil, valueHolder(&c.Save)),
		newSetting(spec{name: "save_schedule", status: live,
			help: "Deprecated Dragonfly daily snapshot time HH:MM whose digits may be * (e.g. *:30); prefer snapshot_cron."},
			saveScheduleCodec(), nil, field(&c.SaveSchedule)),
		newSetting(spec{name: "snapshot_cron", status: live,
			help: `When to take snapshots, as a cron expression "minute hour day month weekday" (e.g. "*/30 * * * *").`},
			cronCodec(), nil, field(&c.SnapshotCron)),
		newSetting(spec{name: "appendonly", status: compat, acceptCurrent: true,
			help: "Always no: there is no append-only file. Present because tools such as redis-benchmark read it."},
			appendOnlyCodec(), false, slot[bool]{func() bool { return false }, func(bool) {}}),
		newSetting(spec{name: "start_empty_on_corrupt_snapshot", status: live,
			help: "When the snapshot found at start cannot be loaded, rename it to <file>.corrupt-<unixtime> and start with an empty dataset instead of exiting with an error."},
			boolCodec("true", "false"), false, field(&c.StartEmptyOnCorruptSnapshot)),
		newSetting(spec{name: "shutdown-timeout", mutable: true, status: live,
			help: "Seconds SIGTERM/SIGINT waits for clients' in-flight commands to finish (no new connections or commands are taken meanwhile) before closing them and saving."},
			intCodec(0, math.MaxInt32), 10, intHolder(&c.ShutdownTimeout)),
	}
}

// checkDirExists is CONFIG SET dir's check, with the reasons Redis's
// chdir gives. At start the directory may not exist yet: saving creates it.
func checkDirExists(s string) error {
	st, err := os.Stat(s)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("No such file or directory")
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	case !st.IsDir():
		return errors.New("Not a directory")
	}
	return nil
}

// checkDBFilename keeps the name inside dir, as Redis does.
func checkDBFilename(s string) error {
	if strings.ContainsRune(s, '/') {
		return errors.New("dbfilename can't be a path, just a filename")
	}
	return nil
}

// appendOnlyCodec accepts only "no", so that --appendonly no from a Redis
// command line loads and --appendonly yes fails instead of silently
// running without the durability asked for.
func appendOnlyCodec() codec[bool] {
	cd := boolCodec("yes", "no")
	parse := cd.parse
	cd.parse = func(s string) (bool, error) {
		on, err := parse(s)
		if err == nil && on {
			err = errors.New("append-only files are not supported; only no is accepted")
		}
		return on, err
	}
	return cd
}
