package config

import "math"

// loggingSettings: log verbosity, including the glog flags Dragonfly
// command lines carry. All start-only.
func (c *Config) loggingSettings() []*setting {
	return []*setting{
		newSetting(spec{name: "log_level", acceptCurrent: true,
			aliases: []string{"loglevel"},
			help:    "Least severe messages to log: debug, info, warning or error (Redis's verbose, notice and nothing work too)."},
			enumCodec(logLevels()...), "info", field(&c.LogLevel)),
		newSetting(spec{name: "minloglevel",
			help: "glog compatibility: log from this severity up, 0 info, 1 warning, 2 error, 3 fatal; log_level wins if both are given."},
			intCodec(0, 3), 0, intField(&c.MinLogLevel)),
		newSetting(spec{name: "v",
			help: "glog compatibility: verbosity; above 0 logs at debug level."},
			intCodec(0, math.MaxInt32), 0, intField(&c.Verbosity)),
		newSetting(spec{name: "logtostderr", status: compat,
			help: "glog compatibility; logs always go to stderr."},
			boolCodec("true", "false"), false, field(&c.LogToStderr)),
		newSetting(spec{name: "alsologtostderr", status: compat,
			help: "glog compatibility; logs always go to stderr."},
			boolCodec("true", "false"), false, field(&c.AlsoLogToStderr)),
	}
}
