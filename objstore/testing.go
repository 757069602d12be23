package objstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
	"github.com/sirupsen/logrus"
)

// NewTesting returns a real store on in-memory metadata and 4+2 erasure
// coding over in-memory disks, closed when the test ends. Options may
// shrink sizes (e.g. MinPartSize) so tests stay small.
func NewTesting(tb testing.TB, opts ...Options) *Store {
	tb.Helper()
	disks := make([]disk.Disk, 6)
	for i := range disks {
		disks[i] = disk.NewMem(fmt.Sprintf("mem%d", i), 0)
	}
	return NewTestingOn(tb, disks, opts...)
}

// NewTestingOn is NewTesting over the given disks (e.g. disk.Faulty ones).
func NewTestingOn(tb testing.TB, disks []disk.Disk, opts ...Options) *Store {
	tb.Helper()
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	db, err := meta.Open(meta.Options{InMemory: true, Log: logrus.NewEntry(log)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Log = logrus.NewEntry(log)
	blobs, err := blob.New(disks, blob.Options{DataShards: len(disks) - 2, ParityShards: 2,
		MaxBlobSize: max(o.BlobSize, 4<<20), Log: o.Log})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(db, blobs, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// countBlobs reports how many blobs the disks hold (for leak checks).
func (s *Store) countBlobs(tb testing.TB) int {
	// Garbage of commits that did not wait for the disk goes at the next
	// sync; count what is left once everything is durable.
	if err := s.syncAndFree(); err != nil {
		tb.Fatal(err)
	}
	s.waitFreed() // a background sync may still be deleting
	n := 0
	if err := s.blobs.List(context.Background(), func(blob.ID) error { n++; return nil }); err != nil {
		tb.Fatal(err)
	}
	return n
}
