package flags

import "strings"

// Normalize returns the form of a flag name used for lookups. Dragonfly
// spells names with underscores and Redis with dashes; users mix both, and
// Redis config names are case-insensitive, so all of those collapse here.
func Normalize(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "-", "_")
}
