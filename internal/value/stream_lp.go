package value

// Redis stores a stream as a radix tree of listpacks ("nodes"), and when a
// node is full is decided by its listpack's size in bytes. Trimming with
// MAXLEN ~ / MINID ~ removes whole nodes only, so which entries survive an
// approximate trim depends on where node boundaries fall. To make the same
// entries survive here, each node tracks the size its listpack would have
// in Redis, computed with the listpack encoding rules below (see Redis's
// listpack.c: lpEncodeGetType, lpEncodeBacklen) and the stream node layout
// (t_stream.c):
//
//	master entry: count | deleted | num-fields | field_1 ... field_N | 0
//	each entry:   flags | ms-diff | seq-diff | [num-fields | field_i] value_i ... | lp-count
//
// Field names are omitted from an entry whose fields equal the master
// entry's (the SAMEFIELDS flag).

const (
	slpHeaderSize = 6 // total bytes (32 bit) + number of elements (16 bit)
	slpEOFSize    = 1

	// streamListpackMaxSize caps stream-node-max-bytes, as Redis does.
	streamListpackMaxSize = 1 << 30
)

// slpBacklenSize is the size of the reverse-encoded length that follows an
// element whose encoding takes l bytes.
func slpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// slpIntEncLen is the encoded size of integer v.
func slpIntEncLen(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= -2147483648 && v <= 2147483647:
		return 5
	}
	return 9
}

// slpIntSize is the full size of an integer element.
func slpIntSize(v int64) int {
	l := slpIntEncLen(v)
	return l + slpBacklenSize(l)
}

// slpStrSize is the full size of a string element. Strings that read as a
// 64-bit integer (slpStringToInt64) are stored as integers.
func slpStrSize(s []byte) int {
	if v, ok := slpStringToInt64(s); ok {
		return slpIntSize(v)
	}
	var l int
	switch n := len(s); {
	case n < 64:
		l = 1 + n
	case n < 4096:
		l = 2 + n
	default:
		l = 5 + n
	}
	return l + slpBacklenSize(l)
}

// slpStringToInt64 is listpack's integer test: canonical decimal only.
func slpStringToInt64(s []byte) (int64, bool) {
	return streamCanonicalInt(s)
}
