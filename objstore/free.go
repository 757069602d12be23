package objstore

import (
	"context"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// freeIfUnlinked deletes an inode that has no names left, and its blobs.
// It runs when the last handle closes, or right after the unlink when
// nothing had it open.
func (s *Store) freeIfUnlinked(ctx context.Context, ino Ino) error {
	// Nearly every last close is of a file that still has names: find that
	// out without a read-write transaction (and the sync it would cost).
	var linked bool
	if err := s.db.View(func(x *meta.Txn) error {
		n, err := x.Inode(uint64(ino))
		linked = err == nil && n.Nlink > 0
		return nil
	}); err != nil || linked {
		return err
	}
	var blobs []uint64
	err := s.db.UpdateNoSync(func(x *meta.Txn) error {
		blobs = nil
		n, err := x.Inode(uint64(ino))
		if err == meta.ErrNotFound {
			return nil
		}
		if err != nil || n.Nlink > 0 {
			return err
		}
		ext, err := x.Extents(n.Ino)
		if err != nil {
			return err
		}
		blobs = unreferenced(ext, nil)
		return x.DeleteInode(n.Ino)
	})
	if err != nil {
		return fmt.Errorf("free inode %d: %w", ino, err)
	}
	s.freeAfterSync(blobs)
	return nil
}

// unlinked is called after a commit that dropped the last name of ino:
// free it now unless a handle still has it open, in which case the last
// release does. Every commit that drops a last name calls it, which spares
// all other last closes a metadata read; should one ever be missed, the
// inode stays marked orphan and the next start frees it.
func (s *Store) unlinked(ctx context.Context, ino Ino) {
	s.openMu.Lock()
	f, open := s.open[ino]
	if open {
		f.unlinked = true
	}
	s.openMu.Unlock()
	if open {
		return
	}
	if err := s.freeIfUnlinked(ctx, ino); err != nil {
		s.log.WithError(err).WithField("ino", ino).Error("free unlinked inode")
	}
}

// freeOrphans frees inodes that were unlinked while open when the daemon
// stopped; nothing can have them open now.
func (s *Store) freeOrphans(ctx context.Context) error {
	var orphans []uint64
	if err := s.db.View(func(x *meta.Txn) (err error) { orphans, err = x.Orphans(); return }); err != nil {
		return fmt.Errorf("list orphans: %w", err)
	}
	for _, ino := range orphans {
		if err := s.freeIfUnlinked(ctx, Ino(ino)); err != nil {
			return err
		}
	}
	if len(orphans) > 0 {
		s.log.WithField("count", len(orphans)).Info("freed inodes unlinked while open")
	}
	return nil
}
