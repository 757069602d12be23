package objstore

import (
	"bytes"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestCloseWaitsForOrphanCollection shows a bug in Store.Close: the orphan
// blob collection New starts in the background (gc.go) is cancelled by
// Close but not waited for, so a caller that closes the metadata right
// after Close (as NewTesting's cleanup and the daemon's stop do) can have
// that goroutine use a closed badger: it panics with "DB Closed". The fix
// belongs in gc.go/store.go/etag.go: track the goroutine (a WaitGroup or a
// done channel like etagDone) and wait for it in Close.
//
// It panics the whole test binary when the bug bites, so it runs only with
// SHALLOT_KNOWN_BUGS=1 until the fix lands.
func TestCloseWaitsForOrphanCollection(t *testing.T) {
	if os.Getenv("SHALLOT_KNOWN_BUGS") == "" {
		t.Skip("known bug (Close does not wait for the orphan collector): set SHALLOT_KNOWN_BUGS=1 to run")
	}
	for i := 0; i < 200; i++ {
		t.Run("open-close", func(t *testing.T) { NewTesting(t) })
	}
}

// waitOrphanCollector waits until the background orphan collection of
// every store is over, so that a test may close its store without
// tripping the bug above.
func waitOrphanCollector(t testing.TB) {
	t.Helper()
	buf := make([]byte, 4<<20)
	for i := 0; i < 5000; i++ {
		n := runtime.Stack(buf, true)
		if !bytes.Contains(buf[:n], []byte("collectOrphansInBackground.func2(")) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("orphan collection still running after 5 s")
}
