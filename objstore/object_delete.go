package objstore

import (
	"context"
	"errors"

	"github.com/shallot-storage/shallot/meta"
)

// DeleteObject removes bucket/key; a missing key is not an error. A
// directory key ("a/") is removed when empty and otherwise only stops
// being listed as a key of its own. Directories that existed only for the
// removed key are removed with it.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string) error {
	var events []Event
	var gone meta.Inode
	now := s.now()
	err := s.db.Update(func(x *meta.Txn) error {
		events, gone = events[:0], meta.Inode{}
		who := callerOf(ctx)
		r, err := resolveKey(x, bucket, key, who)
		if err != nil {
			return err
		}
		if err := checkAccess(r.parent(), who, mayWrite|mayExec, key); err != nil {
			return err
		}
		name := r.entry.Name
		parent := r.parent()
		if r.node.Mode&ModeType == ModeDir {
			empty, err := x.DirEmpty(r.node.Ino)
			if err != nil {
				return err
			}
			if !empty {
				r.node.Flags |= meta.FlagImplicitDir
				return x.PutInode(&r.node)
			}
		}
		if gone, err = removeEntry(x, parent, r.entry, now); err != nil {
			return err
		}
		events = append(events, Event{Kind: EventEntry, Parent: Ino(parent.Ino), Name: name, Ino: Ino(r.entry.Ino)})
		// Prune implicit directories left empty, bottom up.
		for i := len(r.dirs) - 1; i > 0; i-- {
			dir := &r.dirs[i]
			if dir.Flags&meta.FlagImplicitDir == 0 {
				break
			}
			if empty, err := x.DirEmpty(dir.Ino); err != nil || !empty {
				return err
			}
			up := &r.dirs[i-1]
			d := meta.Dirent{Name: r.names[i-1], Ino: dir.Ino, Mode: dir.Mode}
			if _, err := removeEntry(x, up, d, now); err != nil {
				return err
			}
			if err := x.DeleteInode(dir.Ino); err != nil {
				return err
			}
			events = append(events, Event{Kind: EventEntry, Parent: Ino(up.Ino), Name: d.Name, Ino: Ino(dir.Ino)})
		}
		return nil
	})
	if errors.Is(err, ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	s.emit(ctx, events...)
	if gone.Ino != 0 && gone.Nlink == 0 {
		s.unlinked(ctx, Ino(gone.Ino))
	}
	return nil
}
