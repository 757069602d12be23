package objstore

import (
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// xattrCapability is asked for by the kernel before every write(2) to a
// file (to drop file capabilities when a file is written), so on the
// write path it must cost next to nothing. Nearly no file has one.
const xattrCapability = "security.capability"

// getCapability answers for an open file from memory once the store has
// looked once and no capability was set or removed anywhere since: the
// store-wide change count makes any set or remove invalidate every
// remembered answer, and a remembered answer is only kept if no change
// started while it was looked up.
func (s *Store) getCapability(ino Ino) ([]byte, error) {
	f := s.openFileIfAny(ino)
	gen := s.capChanges.Load()
	if f != nil && f.noCapAt.Load() == gen+1 {
		return nil, fmt.Errorf("xattr %q: %w", xattrCapability, ErrNoAttr)
	}
	var v []byte
	err := s.db.View(func(x *meta.Txn) error {
		n, err := inode(x, ino)
		if err != nil {
			return err
		}
		v, err = x.Xattr(n.Ino, xattrCapability)
		return err
	})
	if err == meta.ErrNotFound {
		if f != nil {
			f.noCapAt.Store(gen + 1)
		}
		return nil, fmt.Errorf("xattr %q: %w", xattrCapability, ErrNoAttr)
	}
	return v, err
}

// capabilityChanged runs after a set or remove of name has finished.
func (s *Store) capabilityChanged(name string) {
	if name == xattrCapability {
		s.capChanges.Add(1)
	}
}
