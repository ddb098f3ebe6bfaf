package flags

// Flag describes one flag. The Set function owns parsing, validation and
// storage; Parse only decides which text reaches it.
type Flag struct {
	// Name is the canonical spelling, shown in help and suggestions.
	Name string
	// Aliases are further accepted spellings.
	Aliases []string
	// Type is a short label for help ("int", "memory", "bool", ...).
	Type string
	// Default is the default value as help should show it.
	Default string
	// Usage is a one-line description for help.
	Usage string
	// Bool makes the flag boolean: --name means true, --noname false, and
	// a following argument is taken only if it is a boolean literal. Set
	// then always receives "true" or "false".
	Bool bool
	// Set parses and stores a value. Its error should say what is wrong
	// with the value; Parse adds the flag name and the value itself.
	Set func(value string) error
}

// Assignment records a value Parse applied to a flag.
type Assignment struct {
	// Name is the canonical name of the flag.
	Name string
	// Spelled is the name as the user wrote it.
	Spelled string
	// Value is the text that was passed to the flag's Set.
	Value string
	// Origin says where it came from: "command line",
	// "environment variable DFLY_port" or "flagfile /etc/df.flags:3".
	Origin string
}
