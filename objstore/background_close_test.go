package objstore

import "testing"

// TestCloseWaitsForOrphanCollection: Close must wait for the orphan blob
// collection New starts in the background, or a caller that closes the
// metadata right after Close (NewTesting's cleanup, the daemon's stop)
// has it use a closed badger, which panics with "DB Closed". A store
// opened and closed at once is where it shows.
func TestCloseWaitsForOrphanCollection(t *testing.T) {
	for i := 0; i < 200; i++ {
		t.Run("open-close", func(t *testing.T) { NewTesting(t) })
	}
}
