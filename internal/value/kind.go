// Package value defines the types a key can hold and, as the data types
// land, their in-memory representations and size accounting.
package value

// Kind is a key's type as TYPE reports it.
type Kind uint8

// The kinds, in the order of Redis's OBJ_* constants.
const (
	String Kind = iota
	List
	Set
	ZSet
	Hash
	Stream
	numKinds
)

var kindNames = [numKinds]string{"string", "list", "set", "zset", "hash", "stream"}

// String is the TYPE reply for k.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "none"
}

// ParseKind maps a SCAN TYPE argument to a Kind, case-insensitively.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if equalFold(n, s) {
			return Kind(i), true
		}
	}
	return 0, false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 32
		}
		if y >= 'A' && y <= 'Z' {
			y += 32
		}
		if x != y {
			return false
		}
	}
	return true
}

// Object is a complex value (list, hash, set, zset, stream). Strings are
// not Objects: the keyspace stores their bytes directly.
type Object interface {
	Kind() Kind
	// Encoding is the OBJECT ENCODING name Redis would report.
	Encoding() string
	// Size estimates the bytes the value occupies, for MEMORY USAGE and
	// maxmemory accounting.
	Size() int
	// Clone returns a deep copy (COPY).
	Clone() Object
}
