package config

import "log/slog"

// logLevels are the accepted log_level words: Damselfly's four, plus
// Redis's loglevel words so that "loglevel notice" carries over.
func logLevels() []string {
	return []string{"debug", "verbose", "info", "notice", "warning", "error", "nothing"}
}

// slogLevelOf maps a log_level word to a slog level. "nothing" is above
// every level slog emits.
func slogLevelOf(word string) slog.Level {
	switch word {
	case "debug", "verbose":
		return slog.LevelDebug
	case "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	case "nothing":
		return slog.LevelError + 8
	}
	return slog.LevelInfo
}

// SlogLevel is the level to log at. glog's flags, which Dragonfly command
// lines use, are honoured: --v above 0 means debug; --minloglevel (0 info,
// 1 warning, 2 error, 3 fatal) applies when log_level was not given.
func (c *Config) SlogLevel() slog.Level {
	if c.Verbosity > 0 {
		return slog.LevelDebug
	}
	if !c.WasSet("log_level") && c.WasSet("minloglevel") {
		switch c.MinLogLevel {
		case 0:
			return slog.LevelInfo
		case 1:
			return slog.LevelWarn
		case 2:
			return slog.LevelError
		default:
			return slog.LevelError + 4
		}
	}
	return slogLevelOf(c.LogLevel)
}
