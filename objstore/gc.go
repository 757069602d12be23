package objstore

import (
	"context"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
)

// collectOrphans deletes blobs that no record names and that an earlier
// run of the daemon left behind: written for a PUT or a file that never
// committed because the daemon died. Only ids below `below`, the first id
// this run allocated, are candidates: a blob of this run may be written
// but not committed yet.
func (s *Store) collectOrphans(ctx context.Context, below uint64) (int, error) {
	named := map[uint64]bool{}
	err := s.db.View(func(x *meta.Txn) error {
		clear(named)
		return x.BlobRefs(func(b uint64) error { named[b] = true; return nil })
	})
	if err != nil {
		return 0, fmt.Errorf("collect orphan blobs: %w", err)
	}
	var orphans []uint64
	err = s.blobs.List(ctx, func(id blob.ID) error {
		if uint64(id) < below && !named[uint64(id)] {
			orphans = append(orphans, uint64(id))
		}
		return nil
	})
	if err != nil {
		// A dead disk fails the walk, but ids found on the others are
		// still orphans.
		s.log.WithError(err).Warn("listing blobs for orphan collection")
	}
	s.deleteBlobs(orphans)
	return len(orphans), nil
}

// collectOrphansInBackground runs collectOrphans once after start.
func (s *Store) collectOrphansInBackground() {
	below, err := s.newBlobID()
	if err != nil {
		s.log.WithError(err).Warn("orphan collection skipped")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.background.Add(2)
	go func() { defer s.background.Done(); <-s.stop; cancel() }()
	go func() {
		defer s.background.Done()
		n, err := s.collectOrphans(ctx, below)
		if err != nil {
			s.log.WithError(err).Warn("orphan collection")
			return
		}
		if n > 0 {
			s.log.WithField("blobs", n).Info("deleted blobs left by an interrupted run")
		}
	}()
}
