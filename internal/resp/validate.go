package resp

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ErrIncomplete is Validate's answer for a reply cut short.
var ErrIncomplete = errors.New("resp: incomplete reply")

// Validate checks that b starts with one well-formed RESP2 or RESP3 reply
// and returns its length. Fuzz targets use it to prove that whatever a
// handler or a script conversion writes is something a client can parse:
// known type bytes, decimal lengths that match, CRLF in place, and no
// line break inside a simple string or an error.
func Validate(b []byte) (int, error) {
	return validate(b, 0)
}

const maxValidateDepth = 10000

func validate(b []byte, depth int) (int, error) {
	if depth > maxValidateDepth {
		return 0, errors.New("resp: nesting too deep")
	}
	if len(b) == 0 {
		return 0, ErrIncomplete
	}
	line, n, err := validLine(b)
	if err != nil {
		return 0, err
	}
	body := line[1:]
	switch line[0] {
	case '+', '-':
		return n, nil
	case ':':
		if _, err := strconv.ParseInt(string(body), 10, 64); err != nil {
			return 0, fmt.Errorf("resp: integer %q", body)
		}
		return n, nil
	case '(':
		// Not checked for digits: Redis passes a script's big_number text
		// through as is, and so does Damselfly; what matters to a client
		// is that the line is whole.
		return n, nil
	case ',':
		if _, err := strconv.ParseFloat(string(body), 64); err != nil && !validSpecialDouble(body) {
			return 0, fmt.Errorf("resp: double %q", body)
		}
		return n, nil
	case '#':
		if len(body) != 1 || body[0] != 't' && body[0] != 'f' {
			return 0, fmt.Errorf("resp: boolean %q", body)
		}
		return n, nil
	case '_':
		if len(body) != 0 {
			return 0, fmt.Errorf("resp: null %q", body)
		}
		return n, nil
	case '$', '=', '!':
		size, err := strconv.Atoi(string(body))
		if err != nil || size < -1 || size == -1 && line[0] != '$' {
			return 0, fmt.Errorf("resp: length %q", body)
		}
		if size == -1 {
			return n, nil
		}
		if len(b) < n+size+2 {
			return 0, ErrIncomplete
		}
		if b[n+size] != '\r' || b[n+size+1] != '\n' {
			return 0, errors.New("resp: bulk not followed by CRLF")
		}
		if line[0] == '=' && (size < 4 || b[n+3] != ':') {
			return 0, errors.New("resp: verbatim string without a format")
		}
		return n + size + 2, nil
	case '*', '%', '~', '>', '|':
		count, err := strconv.Atoi(string(body))
		if err != nil || count < -1 || count == -1 && line[0] != '*' {
			return 0, fmt.Errorf("resp: count %q", body)
		}
		if line[0] == '%' || line[0] == '|' {
			count *= 2
		}
		off := n
		for i := 0; i < count; i++ {
			m, err := validate(b[off:], depth+1)
			if err != nil {
				return 0, err
			}
			off += m
		}
		if line[0] == '|' { // an attribute precedes the reply it describes
			m, err := validate(b[off:], depth+1)
			if err != nil {
				return 0, err
			}
			off += m
		}
		return off, nil
	}
	return 0, fmt.Errorf("resp: unknown type byte %q", line[0])
}

// validLine returns the first line without its CRLF and the bytes it
// takes; a lone CR or LF inside it is an error.
func validLine(b []byte) ([]byte, int, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, 0, ErrIncomplete
	}
	if i < 2 || b[i-1] != '\r' {
		return nil, 0, errors.New("resp: line not ended by CRLF")
	}
	line := b[:i-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, 0, errors.New("resp: CR inside a line")
	}
	return line, i + 1, nil
}

func validSpecialDouble(b []byte) bool {
	switch string(b) {
	case "inf", "-inf", "nan":
		return true
	}
	return false
}
