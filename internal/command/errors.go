package command

// Error replies shared by many commands, with Redis's exact wording.
const (
	ErrSyntax        = "ERR syntax error"
	ErrNotInt        = "ERR value is not an integer or out of range"
	ErrNotFloat      = "ERR value is not a valid float"
	ErrWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNoSuchKey     = "ERR no such key"
	ErrOverflow      = "ERR increment or decrement would overflow"
	ErrDBIndex       = "ERR DB index is out of range"
	ErrNoAuth        = "NOAUTH Authentication required."
	ErrWrongPass     = "WRONGPASS invalid username-password pair or user is disabled."
	ErrNoPassSet     = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	ErrIncrNaNOrInf  = "ERR increment would produce NaN or Infinity"
	ErrStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrOffsetRange   = "ERR offset is out of range"
	ErrSameObject    = "ERR source and destination objects are the same"
	ErrTimeoutNeg    = "ERR timeout is negative"
	ErrCursor        = "ERR invalid cursor"
)

func errWrongArgs(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

func errInvalidExpire(name string) string {
	return "ERR invalid expire time in '" + name + "' command"
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError: a
// container command's subcommand handler refusing its arguments.
func (c *Ctx) subcommandSyntaxError() {
	c.Err("ERR unknown subcommand or wrong number of arguments for '" + truncate(string(c.Args[1]), 128) + "'. Try " + upperASCII(string(c.Args[0])) + " HELP.")
}
