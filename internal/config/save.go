package config

import (
	"errors"
	"strconv"
	"strings"
)

// SavePoint is one Redis "save <seconds> <changes>" rule: snapshot when at
// least Changes writes happened within Seconds.
type SavePoint struct {
	Seconds int64
	Changes int64
}

// SaveParams is the parsed save setting; empty means no automatic saving.
type SaveParams []SavePoint

// errSave is Redis's reason text for any malformed save value.
var errSave = errors.New("Invalid save parameters")

// ParseSave parses Redis's save syntax, "3600 1 300 100": pairs of seconds
// (at least 1) and changes (at least 0). The empty string clears it.
func ParseSave(s string) (SaveParams, error) {
	fields := strings.Fields(s)
	if len(fields)%2 != 0 {
		return nil, errSave
	}
	var p SaveParams
	for i := 0; i < len(fields); i += 2 {
		secs, err1 := strconv.ParseInt(fields[i], 10, 64)
		changes, err2 := strconv.ParseInt(fields[i+1], 10, 64)
		if err1 != nil || err2 != nil || secs < 1 || changes < 0 {
			return nil, errSave
		}
		p = append(p, SavePoint{Seconds: secs, Changes: changes})
	}
	return p, nil
}

// String renders the rules as CONFIG GET save does.
func (p SaveParams) String() string {
	parts := make([]string, 0, 2*len(p))
	for _, sp := range p {
		parts = append(parts, strconv.FormatInt(sp.Seconds, 10), strconv.FormatInt(sp.Changes, 10))
	}
	return strings.Join(parts, " ")
}

func saveCodec() codec[SaveParams] {
	return codec[SaveParams]{typ: "save points", parse: ParseSave, format: SaveParams.String}
}
