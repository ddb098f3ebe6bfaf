// Package command holds the declarative command table and the handlers, one
// file per command family. The table answers COMMAND, COMMAND INFO/DOCS and
// key extraction; Dispatch checks arity and authentication, locks the shards
// of the command's keys, runs the handler and records statistics.
package command
