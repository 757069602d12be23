package objstore

import (
	"context"
	"fmt"
	"time"

	"github.com/shallot-storage/shallot/meta"
)

// relatimeAge is how old an access time may grow before a read refreshes
// it even when it is newer than the last change (Linux's relatime rule).
const relatimeAge = 24 * time.Hour

// AtimeDue reports whether a read at t must be recorded in a file's access
// time under the relatime rule Linux mounts use by default: when the
// access time is not after the last modification or status change, or is
// a day older than t. So a read after a write is always recorded (what
// mail readers and cleaners rely on), and repeated reads cost one update
// a day. Doors that report pending reads use it too.
func AtimeDue(a Attr, t time.Time) bool {
	return !a.Atime.After(a.Mtime) || !a.Atime.After(a.Ctime) || t.Sub(a.Atime) >= relatimeAge
}

// atimeBatch bounds the inodes one transaction updates.
const atimeBatch = 1000

// TouchAtimes records reads: for each inode, the time it was read, which
// becomes its access time where AtimeDue says so. Only access times
// change: not ctime, as for a read on a local file system. The updates are
// not synced on their own; they become durable with the next synced
// commit, the durability local file systems give access times too. Inodes
// gone meanwhile are skipped.
func (s *Store) TouchAtimes(ctx context.Context, reads map[Ino]time.Time) error {
	inos := make([]Ino, 0, len(reads))
	for ino := range reads {
		inos = append(inos, ino)
	}
	for len(inos) > 0 {
		batch := inos[:min(len(inos), atimeBatch)]
		inos = inos[len(batch):]
		err := s.db.UpdateNoSync(func(x *meta.Txn) error {
			for _, ino := range batch {
				n, err := x.Inode(uint64(ino))
				if err == meta.ErrNotFound {
					continue
				}
				if err != nil {
					return err
				}
				t := reads[ino]
				if !AtimeDue(attrOf(&n), t) || t.UnixNano() <= n.Atime {
					continue
				}
				n.Atime = t.UnixNano()
				if err := x.PutInode(&n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("record access times: %w", err)
		}
	}
	return nil
}
