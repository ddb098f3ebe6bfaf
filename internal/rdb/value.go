package rdb

// Kind is the logical type of a Value, independent of its RDB encoding.
type Kind uint8

// The kinds, numbered like Redis's OBJ_* types.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

// Value is a decoded RDB value in a neutral form.
type Value struct {
	Kind Kind
	// Encoding is the RDB type it was read as (informational).
	Encoding byte
	// Str is a string's bytes.
	Str []byte
	// Elems holds a list's elements in order, a set's members, a sorted
	// set's members (with Scores), or a hash's fields and values
	// alternating.
	Elems [][]byte
	// Scores are the sorted set's scores, Scores[i] for Elems[i].
	Scores []float64
	// FieldTTLs, when not nil, holds a hash's field expiries (unix ms, 0
	// for none): FieldTTLs[i] for field Elems[2*i].
	FieldTTLs []int64
	// Stream is a stream's content.
	Stream *Stream
}

// StreamID is a stream entry ID.
type StreamID struct{ Ms, Seq uint64 }

// Less orders IDs.
func (a StreamID) Less(b StreamID) bool { return a.Ms < b.Ms || (a.Ms == b.Ms && a.Seq < b.Seq) }

// StreamEntry is one stream entry: its ID and fields and values
// alternating.
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// Stream is a stream's entries and metadata.
type Stream struct {
	Entries      []StreamEntry // live entries, ascending
	Length       uint64
	LastID       StreamID
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded uint64
	Groups       []StreamGroup
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1 when unknown
	PEL         []StreamPending
	Consumers   []StreamConsumer
}

// StreamPending is an entry of a group's pending entries list.
type StreamPending struct {
	ID            StreamID
	DeliveryTime  int64
	DeliveryCount uint64
}

// StreamConsumer is a consumer and the IDs it owns in its group's PEL.
type StreamConsumer struct {
	Name       []byte
	SeenTime   int64
	ActiveTime int64 // -1 when the file did not record it
	PEL        []StreamID
}
