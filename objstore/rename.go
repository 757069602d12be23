package objstore

import (
	"context"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// Rename moves oldParent/oldName to newParent/newName in one transaction,
// so every observer sees either the old or the new name.
func (s *Store) Rename(ctx context.Context, oldParent Ino, oldName string, newParent Ino, newName string, flags RenameFlags) error {
	if err := checkName(newName); err != nil {
		return err
	}
	if err := checkName(oldName); err != nil {
		return err
	}
	if flags&RenameNoReplace != 0 && flags&RenameExchange != 0 {
		return fmt.Errorf("rename flags %x: %w", flags, ErrInvalid)
	}
	var replaced meta.Inode
	now := s.now()
	err := s.update(ctx, func(x *meta.Txn) error {
		replaced = meta.Inode{}
		op, err := dirInode(x, oldParent)
		if err != nil {
			return err
		}
		np := &op
		if newParent != oldParent {
			n, err := dirInode(x, newParent)
			if err != nil {
				return err
			}
			np = &n
		}
		src, err := lookup(x, oldParent, oldName)
		if err != nil {
			return err
		}
		dst, err := x.Dirent(np.Ino, newName)
		exists := err == nil
		if err != nil && err != meta.ErrNotFound {
			return err
		}
		if exists && dst.Ino == src.Ino {
			return nil // two names of one inode: POSIX says do nothing
		}
		srcDir := src.Mode&ModeType == ModeDir
		if srcDir && newParent != oldParent {
			if err := checkNotAncestor(x, Ino(src.Ino), newParent); err != nil {
				return err
			}
		}
		if flags&RenameExchange != 0 {
			if !exists {
				return fmt.Errorf("exchange with %q: %w", newName, ErrNotExist)
			}
			if dst.Mode&ModeType == ModeDir && newParent != oldParent {
				if err := checkNotAncestor(x, Ino(dst.Ino), oldParent); err != nil {
					return err
				}
			}
			return exchange(x, &op, np, src, dst, now)
		}
		if exists {
			if flags&RenameNoReplace != 0 {
				return fmt.Errorf("rename onto %q: %w", newName, ErrExist)
			}
			dstDir := dst.Mode&ModeType == ModeDir
			switch {
			case srcDir && !dstDir:
				return fmt.Errorf("rename directory onto file %q: %w", newName, ErrNotDir)
			case !srcDir && dstDir:
				return fmt.Errorf("rename file onto directory %q: %w", newName, ErrIsDir)
			case dstDir:
				if empty, err := x.DirEmpty(dst.Ino); err != nil {
					return err
				} else if !empty {
					return fmt.Errorf("rename onto %q: %w", newName, ErrNotEmpty)
				}
			}
			if replaced, err = removeEntry(x, np, dst, now); err != nil {
				return err
			}
		}
		return move(x, &op, np, src, newName, now)
	})
	if err != nil {
		return err
	}
	s.emit(ctx, Event{Kind: EventEntry, Parent: oldParent, Name: oldName},
		Event{Kind: EventEntry, Parent: newParent, Name: newName})
	if replaced.Ino != 0 && replaced.Nlink == 0 {
		s.unlinked(ctx, Ino(replaced.Ino))
	}
	return nil
}

// checkNotAncestor fails with ErrInvalid when dir is target or one of its
// ancestors (a directory cannot move into its own subtree).
func checkNotAncestor(x *meta.Txn, dir, target Ino) error {
	for cur, depth := target, 0; ; depth++ {
		if cur == dir {
			return fmt.Errorf("move directory %d into its own subtree: %w", dir, ErrInvalid)
		}
		if cur == RootIno || depth > 4096 {
			return nil
		}
		n, err := inode(x, cur)
		if err != nil {
			return err
		}
		cur = Ino(n.Parent)
	}
}

// move re-homes the entry src from op to np under newName.
func move(x *meta.Txn, op, np *meta.Inode, src meta.Dirent, newName string, now int64) error {
	if err := x.DeleteDirent(op.Ino, src); err != nil {
		return err
	}
	moved := src
	moved.Name = newName
	if err := x.PutDirent(np.Ino, moved); err != nil {
		return err
	}
	n, err := inode(x, Ino(src.Ino))
	if err != nil {
		return err
	}
	n.Ctime = now
	if n.Mode&ModeType == ModeDir && op != np {
		op.Nlink--
		np.Nlink++
		n.Parent = np.Ino
	}
	if err := x.PutInode(&n); err != nil {
		return err
	}
	op.Mtime, op.Ctime, np.Mtime, np.Ctime = now, now, now, now
	if err := x.PutInode(op); err != nil {
		return err
	}
	return x.PutInode(np)
}

// exchange swaps two entries (renameat2 RENAME_EXCHANGE).
func exchange(x *meta.Txn, op, np *meta.Inode, a, b meta.Dirent, now int64) error {
	if err := x.DeleteDirent(op.Ino, a); err != nil {
		return err
	}
	if err := x.DeleteDirent(np.Ino, b); err != nil {
		return err
	}
	na, nb := b, a
	na.Name, nb.Name = a.Name, b.Name
	if err := x.PutDirent(op.Ino, na); err != nil {
		return err
	}
	if err := x.PutDirent(np.Ino, nb); err != nil {
		return err
	}
	for _, c := range []struct {
		ino    uint64
		parent *meta.Inode
	}{{a.Ino, np}, {b.Ino, op}} {
		n, err := inode(x, Ino(c.ino))
		if err != nil {
			return err
		}
		n.Ctime = now
		if n.Mode&ModeType == ModeDir && op != np {
			n.Parent = c.parent.Ino
		}
		if err := x.PutInode(&n); err != nil {
			return err
		}
	}
	if op != np {
		aDir, bDir := a.Mode&ModeType == ModeDir, b.Mode&ModeType == ModeDir
		if aDir && !bDir {
			op.Nlink--
			np.Nlink++
		} else if bDir && !aDir {
			op.Nlink++
			np.Nlink--
		}
	}
	op.Mtime, op.Ctime, np.Mtime, np.Ctime = now, now, now, now
	if err := x.PutInode(op); err != nil {
		return err
	}
	return x.PutInode(np)
}
