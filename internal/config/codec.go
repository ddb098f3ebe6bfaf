package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/damselfly-db/damselfly/internal/flags"
)

// codec turns a setting's text into its typed value and back. parse errors
// carry Redis's reason text, which CONFIG SET reports verbatim.
type codec[T any] struct {
	typ    string // label for help
	isBool bool
	parse  func(string) (T, error)
	format func(T) string // as CONFIG GET shows it
	show   func(T) string // as help shows the default; format if nil
}

// hinted is a reason with extra advice for a person at the command line,
// where, unlike in a CONFIG SET reply, matching Redis's text is no concern.
type hinted struct{ reason, hint string }

func (h hinted) Error() string { return h.reason }

// forHumans returns err with its hint, if it has one.
func forHumans(err error) error {
	var h hinted
	if errors.As(err, &h) {
		return fmt.Errorf("%s; %s", h.reason, h.hint)
	}
	return err
}

func intCodec(lo, hi int64) codec[int64] {
	return codec[int64]{
		typ: "int",
		parse: func(s string) (int64, error) {
			v, err := parseInteger(s)
			if err != nil {
				return 0, err
			}
			if v < lo || v > hi {
				return 0, rangeError(lo, hi)
			}
			return v, nil
		},
		format: func(v int64) string { return strconv.FormatInt(v, 10) },
	}
}

func memoryCodec(lo, hi int64) codec[int64] {
	return codec[int64]{
		typ: "memory",
		parse: func(s string) (int64, error) {
			v, err := ParseMemory(s)
			if err != nil {
				return 0, hinted{"argument must be a memory value", "use a number with an optional unit, e.g. 500MB, 1G, 1.5GiB"}
			}
			if v < lo || v > hi {
				return 0, rangeError(lo, hi)
			}
			return v, nil
		},
		// Like Redis (and Dragonfly's CONFIG GET), sizes read back as bytes.
		format: func(v int64) string { return strconv.FormatInt(v, 10) },
		show:   humanBytes,
	}
}

// boolCodec accepts every literal flags.ParseBool does and shows the
// value with the given words: "yes"/"no" for Redis's settings,
// "true"/"false" for Dragonfly's.
func boolCodec(yes, no string) codec[bool] {
	return codec[bool]{
		typ:    "bool",
		isBool: true,
		parse: func(s string) (bool, error) {
			v, ok := flags.ParseBool(s)
			if !ok {
				return false, errors.New("argument must be 'yes' or 'no'")
			}
			return v, nil
		},
		format: func(v bool) string {
			if v {
				return yes
			}
			return no
		},
	}
}

// enumCodec accepts one of values in any case and keeps it in lower case.
func enumCodec(values ...string) codec[string] {
	return codec[string]{
		typ: "enum: " + strings.Join(values, "|"),
		parse: func(s string) (string, error) {
			for _, v := range values {
				if strings.EqualFold(s, v) {
					return v, nil
				}
			}
			return "", fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(values, ", "))
		},
		format: func(v string) string { return v },
	}
}

// stringCodec keeps the text as is, after an optional check.
func stringCodec(check func(string) error) codec[string] {
	return codec[string]{
		typ: "string",
		parse: func(s string) (string, error) {
			if check != nil {
				if err := check(s); err != nil {
					return "", err
				}
			}
			return s, nil
		},
		format: func(v string) string { return v },
	}
}

// floatCodec reads a decimal number (Dragonfly's double flags).
func floatCodec() codec[float64] {
	return codec[float64]{
		typ: "float",
		parse: func(s string) (float64, error) {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v != v {
				return 0, errors.New("argument couldn't be parsed into a number")
			}
			return v, nil
		},
		format: func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) },
	}
}
