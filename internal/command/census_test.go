package command

import (
	"testing"

	"github.com/damselfly-db/damselfly/internal/info"
)

// TestCensusWatchedOnlyByReaders: INFO memory and /metrics put the
// per-type census at full pace for a minute; the server's own periodic
// reader (the admin console's sample) must not, or the census walks the
// keyspace at full pace for ever.
func TestCensusWatchedOnlyByReaders(t *testing.T) {
	e := testEnv(1)
	e.GatherInfoUnwatched(info.Selection{"memory": true}, 0)
	if e.census.lastRead.Load() != 0 {
		t.Fatal("an unwatched INFO memory marked the census as watched")
	}
	e.GatherInfo(info.Selection{"memory": true}, 0)
	if e.census.lastRead.Load() == 0 {
		t.Fatal("INFO memory did not mark the census as watched")
	}
}
