package config

import "log/slog"

// LogAccepted logs, at info level, every setting given explicitly and where
// it came from, saying so when the setting is accepted but has no effect
// (yet). Secrets are not logged.
func (c *Config) LogAccepted(l *slog.Logger) {
	for _, s := range c.order {
		a := c.explicit[s]
		value := s.get()
		if s.sensitive && value != "" {
			value = "(hidden)"
		}
		attrs := []any{"setting", s.name, "value", value, "from", a.Origin}
		switch s.status {
		case pending:
			l.Info("setting accepted, but not implemented yet", attrs...)
		case compat:
			l.Info("setting accepted for compatibility; it has no effect", attrs...)
		default:
			l.Info("setting", attrs...)
		}
	}
}
