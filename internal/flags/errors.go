package flags

import "errors"

// ErrHelp is returned by Parse when --help (or -h, --helpfull, --helpshort)
// was given; the caller prints WriteHelp and exits successfully.
var ErrHelp = errors.New("flags: help requested")

// ErrVersion is returned by Parse when --version was given; the caller
// prints its version and exits successfully.
var ErrVersion = errors.New("flags: version requested")
