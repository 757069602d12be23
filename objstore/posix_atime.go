package objstore

import (
	"context"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// relatimeAge is how old an access time may grow before a read refreshes
// it even when it is newer than the last change (Linux's relatime rule).
const relatimeAge = 24 * 60 * 60 * 1e9

// TouchAtime records that ino was read, by the relatime rule Linux mounts
// use by default: the access time is set to now only if it is not after
// the last modification or status change, or is a day old. So a read
// after a write is always recorded (what mail readers and cleaners rely
// on), and repeated reads cost one metadata write a day.
//
// Only the access time changes: not ctime, as for a read on a local file
// system. The update is not synced on its own; it becomes durable with
// the next synced commit, which is the durability local file systems give
// access times too. It reports whether the time changed.
func (s *Store) TouchAtime(ctx context.Context, ino Ino) (bool, error) {
	now := s.now()
	due := func(n *meta.Inode) bool {
		return n.Atime <= n.Mtime || n.Atime <= n.Ctime || now-n.Atime >= relatimeAge
	}
	var n meta.Inode
	if err := s.db.View(func(x *meta.Txn) (err error) { n, err = inode(x, ino); return }); err != nil {
		return false, err
	}
	if !due(&n) {
		return false, nil
	}
	touched := false
	err := s.db.UpdateNoSync(func(x *meta.Txn) error {
		touched = false
		n, err := inode(x, ino)
		if err != nil || !due(&n) {
			return err
		}
		n.Atime = max(now, n.Atime)
		touched = true
		return x.PutInode(&n)
	})
	if err != nil {
		return false, fmt.Errorf("touch atime of inode %d: %w", ino, err)
	}
	return touched, nil
}
