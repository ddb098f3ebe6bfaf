package config

import (
	"errors"
	"fmt"
)

// ErrExit is matched (with errors.Is) by the error Load returns after
// printing help or the version: the program should exit with status 0.
var ErrExit = errors.New("config: exit requested")

// SetError is a CONFIG SET failure. Its Error text is exactly what Redis 7
// replies, "ERR" prefix included, so a server writes it after "-" as is.
type SetError struct {
	// Name is the parameter the error is about, as Redis would name it.
	Name string
	// Reason is Redis's reason text; empty for an unknown parameter.
	Reason string
	// Unknown is set when no setting has that name.
	Unknown bool
}

func (e *SetError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", e.Name)
	}
	return fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", e.Name, e.Reason)
}
