package flags

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// WriteHelp writes the usage text: every flag, sorted by name, with its
// type, default, meaning and other spellings.
func (s *Set) WriteHelp(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [FLAGS]\n", s.program)
	if s.summary != "" {
		fmt.Fprintf(&b, "\n%s\n", s.summary)
	}
	b.WriteString(`
Flags are written --name=value or --name value (a single dash works too).
Boolean flags also take --name, --noname, --name=false or --name false.
Dashes and underscores in names are interchangeable. Every flag can also be
set in the environment as ` + EnvPrefix + `<name>=value; the command line wins.

`)
	entries := append([]*Flag(nil), s.flags...)
	entries = append(entries,
		&Flag{Name: "flagfile", Type: "path", Usage: "Read more flags from these files (comma-separated), one per line; # starts a comment. May repeat and nest."},
		&Flag{Name: "help", Aliases: []string{"h", "helpfull"}, Type: "bool", Bool: true, Usage: "Print this help and exit."},
		&Flag{Name: "version", Type: "bool", Bool: true, Usage: "Print the version and exit."},
	)
	sort.Slice(entries, func(i, j int) bool { return Normalize(entries[i].Name) < Normalize(entries[j].Name) })
	for _, f := range entries {
		fmt.Fprintf(&b, "  --%s (%s", f.Name, f.Type)
		if f.Default != "" || !f.Bool {
			fmt.Fprintf(&b, ", default %s", showDefault(f.Default))
		}
		b.WriteString(")\n")
		if f.Usage != "" {
			fmt.Fprintf(&b, "      %s\n", f.Usage)
		}
		if len(f.Aliases) > 0 {
			fmt.Fprintf(&b, "      Also: --%s\n", strings.Join(f.Aliases, ", --"))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// showDefault quotes defaults that would otherwise be invisible or
// ambiguous in help.
func showDefault(v string) string {
	if v == "" || strings.ContainsAny(v, " \t") {
		return strconv.Quote(v)
	}
	return v
}
