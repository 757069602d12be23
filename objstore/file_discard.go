package objstore

import (
	"slices"

	"github.com/shallot-storage/shallot/meta"
)

// discardLocked drops what the last close of f leaves uncommitted (its
// commit failed, e.g. with ENOSPC). The blobs written in the background
// for it are named by no record and nothing will name them now: they are
// freed here, so a full disk gets its space back when the file is closed
// rather than at the next start's orphan collection.
func (f *openFile) discardLocked() {
	ids := slices.Clone(f.staged)
	for _, r := range f.runs {
		<-r.done
		if r.err == nil && r.id != 0 {
			ids = append(ids, r.id)
		}
	}
	f.staged, f.runs = nil, nil
	f.view = f.committed
	f.settleLocked()
	if len(ids) > 0 {
		f.s.deleteUnnamed(f.ino, ids)
	}
}

// deleteUnnamed frees those of ids that the record of ino does not name.
// A commit that failed may still have landed (its transaction committed
// but the sync after it failed): its blobs must then stay.
func (s *Store) deleteUnnamed(ino Ino, ids []uint64) {
	var ext []meta.Extent
	err := s.db.View(func(x *meta.Txn) (err error) {
		ext, err = x.Extents(uint64(ino))
		return err
	})
	if err != nil {
		// Unsure what is named: leave the blobs to orphan collection.
		s.log.WithError(err).WithField("ino", ino).Warn("keep blobs of a failed commit")
		return
	}
	named := make(map[uint64]bool, len(ext))
	for _, x := range ext {
		named[x.Blob] = true
	}
	s.deleteBlobs(slices.DeleteFunc(ids, func(id uint64) bool { return named[id] }))
}
