package objstore

import (
	"context"
	"time"
)

// Blobs that a commit stopped naming may be deleted only once that commit
// is durable: after a power loss the metadata must never name a deleted
// blob. Commits that do not wait for the disk (a close through the mount,
// an unlink) hand such blobs to freeAfterSync; they are deleted after the
// next sync of the metadata log, which syncLoop runs every SyncInterval
// (and every fsync runs at once).

// freeAfterSync queues blobs to delete after the next metadata sync.
func (s *Store) freeAfterSync(ids []uint64) {
	if len(ids) == 0 {
		return
	}
	s.freeMu.Lock()
	s.freeQueue = append(s.freeQueue, ids...)
	s.freeMu.Unlock()
}

// syncAndFree makes every commit so far durable, then deletes the blobs
// queued before the sync started (their commits are covered by it).
func (s *Store) syncAndFree() error {
	s.freeing.RLock()
	defer s.freeing.RUnlock()
	s.freeMu.Lock()
	ids := s.freeQueue
	s.freeQueue = nil
	s.freeMu.Unlock()
	if err := s.db.Sync(); err != nil {
		s.freeAfterSync(ids)
		return err
	}
	s.deleteBlobs(ids)
	return nil
}

// waitFreed waits for every syncAndFree in progress to finish deleting.
func (s *Store) waitFreed() {
	s.freeing.Lock()
	s.freeing.Unlock() // empty: waiting for the readers is the point
}

// syncLoop bounds how long a change that did not wait for the disk stays
// volatile; a tick with nothing committed costs nothing.
func (s *Store) syncLoop() {
	defer s.background.Done()
	t := time.NewTicker(s.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			if err := s.syncAndFree(); err != nil {
				s.log.WithError(err).Error("final metadata sync")
			}
			return
		case <-t.C:
			if err := s.syncAndFree(); err != nil {
				s.log.WithError(err).Error("periodic metadata sync")
			}
		}
	}
}

// Sync makes every change committed so far durable (fsync of a file or a
// directory through the mount).
func (s *Store) Sync(ctx context.Context) error { return s.syncAndFree() }
