// Package flags parses a gflags-style command line, as Dragonfly (built on
// absl/gflags) does, rather than Go's flag package: Dragonfly deployments
// pass things like --noname, --name true and DFLY_name=value that the
// standard library would reject, and Damselfly must accept them unchanged.
//
// A Set holds the flags to fill. Parse gathers assignments from the
// environment (DFLY_<name>=value, DFLY_flagfile), the command line and any
// --flagfile, and applies them with the command line taking precedence. It
// stores nothing itself: each Flag's Set function does the parsing and
// storing, so the caller owns the values and their validation.
package flags
