// Package config holds Damselfly's typed, validated settings and the
// registry behind both the command line and CONFIG GET/SET.
//
// Every setting is described once, in the registry_*.go files: its names
// (Dragonfly spells them with underscores, Redis with dashes; both are
// accepted everywhere), type, default, help, whether CONFIG SET may change
// it, and its validation. From that one description Load builds the
// command-line flags and Get/Set answer CONFIG GET/SET.
//
// Settings CONFIG SET may change are held in small atomic types (Int, Bool,
// String, Memory, Value) so the hot path reads them without a lock;
// start-only settings are plain fields that never change after Load.
package config
