package config

import (
	"errors"
	"strings"
)

// KeyspaceEvents is the parsed notify-keyspace-events setting: which
// keyspace notifications to publish.
type KeyspaceEvents uint32

// Event classes, one per letter of Redis's notify-keyspace-events.
const (
	EventKeyspace KeyspaceEvents = 1 << iota // K: __keyspace@<db>__ channels
	EventKeyevent                            // E: __keyevent@<db>__ channels
	EventGeneric                             // g: DEL, EXPIRE, RENAME, ...
	EventString                              // $
	EventList                                // l
	EventSet                                 // s
	EventHash                                // h
	EventZSet                                // z
	EventExpired                             // x
	EventEvicted                             // e
	EventStream                              // t
	EventKeyMiss                             // m: not part of A
	EventModule                              // d
	EventNew                                 // n: not part of A
)

// EventAll is what "A" stands for: every class except K, E, m and n.
const EventAll = EventGeneric | EventString | EventList | EventSet | EventHash | EventZSet |
	EventExpired | EventEvicted | EventStream | EventModule

// errKeyspaceEvents is Redis's reason text for an unknown class letter.
var errKeyspaceEvents = errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")

// classLetters lists the letters in the order Redis prints them.
const classLetters = "g$lshzxetdn"

func classOf(c byte) KeyspaceEvents {
	switch c {
	case 'A':
		return EventAll
	case 'g':
		return EventGeneric
	case '$':
		return EventString
	case 'l':
		return EventList
	case 's':
		return EventSet
	case 'h':
		return EventHash
	case 'z':
		return EventZSet
	case 'x':
		return EventExpired
	case 'e':
		return EventEvicted
	case 'K':
		return EventKeyspace
	case 'E':
		return EventKeyevent
	case 't':
		return EventStream
	case 'm':
		return EventKeyMiss
	case 'd':
		return EventModule
	case 'n':
		return EventNew
	}
	return 0
}

// ParseKeyspaceEvents parses Redis's notify-keyspace-events letters.
func ParseKeyspaceEvents(s string) (KeyspaceEvents, error) {
	var ev KeyspaceEvents
	for i := 0; i < len(s); i++ {
		c := classOf(s[i])
		if c == 0 {
			return 0, errKeyspaceEvents
		}
		ev |= c
	}
	return ev, nil
}

// Has reports whether all classes in c are enabled.
func (ev KeyspaceEvents) Has(c KeyspaceEvents) bool { return ev&c == c }

// String renders the classes as Redis does when CONFIG GET reads them back:
// "A" when all of its classes are on, otherwise the letters in a fixed
// order, then K, E and m. Like Redis, "n" is not shown when "A" is.
func (ev KeyspaceEvents) String() string {
	var b strings.Builder
	if ev.Has(EventAll) {
		b.WriteByte('A')
	} else {
		for i := 0; i < len(classLetters); i++ {
			if ev.Has(classOf(classLetters[i])) {
				b.WriteByte(classLetters[i])
			}
		}
	}
	for _, c := range []byte("KEm") {
		if ev.Has(classOf(c)) {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func keyspaceEventsCodec() codec[KeyspaceEvents] {
	return codec[KeyspaceEvents]{typ: "event classes", parse: ParseKeyspaceEvents, format: KeyspaceEvents.String}
}
