package objstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// lookup resolves name in dir inside a transaction.
func lookup(x *meta.Txn, dir Ino, name string) (meta.Dirent, error) {
	d, err := x.Dirent(uint64(dir), name)
	if err == meta.ErrNotFound {
		return d, fmt.Errorf("%q in %d: %w", name, dir, ErrNotExist)
	}
	return d, err
}

// dirInode reads ino and checks it is a directory.
func dirInode(x *meta.Txn, ino Ino) (meta.Inode, error) {
	n, err := inode(x, ino)
	if err != nil {
		return n, err
	}
	if n.Mode&ModeType != ModeDir {
		return n, fmt.Errorf("inode %d: %w", ino, ErrNotDir)
	}
	return n, nil
}

// Lookup resolves name in parent.
func (s *Store) Lookup(ctx context.Context, parent Ino, name string) (Attr, error) {
	if len(name) > maxNameLen {
		return Attr{}, ErrNameTooLong
	}
	for attempt := 0; ; attempt++ {
		var d meta.Dirent
		err := s.db.View(func(x *meta.Txn) (err error) { d, err = lookup(x, parent, name); return })
		if err != nil {
			return Attr{}, err
		}
		// Not the inode from the same transaction: a close may commit
		// and drop its open file between that read and any check of
		// the open file, leaving attributes older than the close (a
		// lookup racing with a READDIRPLUS then handed the kernel size
		// 0 for a file just written). GetAttr reads under the open
		// file's lock, or after it is gone.
		a, err := s.GetAttr(ctx, Ino(d.Ino))
		// The name was pointed at a new inode and the old one freed
		// between the two reads (an S3 overwrite): look again.
		if errors.Is(err, ErrNotExist) && attempt < 8 {
			continue
		}
		return a, err
	}
}

// modeSetgid on a directory: what is created in it takes its group.
const modeSetgid = 0o2000

// createNode adds a new inode n under parent/name in x; it fails with
// ErrExist when the name is taken. It updates the parent's times and link
// count.
func (s *Store) createNode(x *meta.Txn, parent Ino, name string, n *meta.Inode) error {
	p, err := dirInode(x, parent)
	if err != nil {
		return err
	}
	if p.Nlink == 0 {
		return fmt.Errorf("directory %d was removed: %w", parent, ErrNotExist)
	}
	if _, err := x.Dirent(p.Ino, name); err == nil {
		return fmt.Errorf("%q: %w", name, ErrExist)
	} else if err != meta.ErrNotFound {
		return err
	}
	if p.Mode&modeSetgid != 0 {
		// As on a local file system: the directory's group, and for a
		// directory its setgid bit too, whichever door creates.
		n.Gid = p.Gid
		if n.Mode&ModeType == ModeDir {
			n.Mode |= modeSetgid
		}
	}
	if n.Mode&ModeType == ModeDir {
		p.Nlink++
		n.Parent = p.Ino
	}
	p.Mtime, p.Ctime = n.Ctime, n.Ctime
	if err := x.PutInode(&p); err != nil {
		return err
	}
	if err := x.PutInode(n); err != nil {
		return err
	}
	return x.PutDirent(p.Ino, meta.Dirent{Name: name, Ino: n.Ino, Mode: n.Mode})
}

func (s *Store) newInode(in NodeIn) (meta.Inode, error) {
	ino, err := s.newIno()
	if err != nil {
		return meta.Inode{}, err
	}
	now := s.now()
	n := meta.Inode{Ino: ino, Mode: in.Mode, Nlink: 1, Uid: in.Uid, Gid: in.Gid, Rdev: in.Rdev,
		Atime: now, Mtime: now, Ctime: now, Crtime: now}
	if in.Mode&ModeType == ModeDir {
		n.Nlink = 2
	}
	if in.Mode&ModeType == ModeRegular {
		n.ETag = emptyMD5
	}
	return n, nil
}

// emptyMD5 is the ETag of empty content.
const emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"

func (s *Store) create(ctx context.Context, parent Ino, name string, n meta.Inode) (Attr, error) {
	if err := checkName(name); err != nil {
		return Attr{}, err
	}
	if err := s.update(ctx, func(x *meta.Txn) error { return s.createNode(x, parent, name, &n) }); err != nil {
		return Attr{}, err
	}
	s.emit(ctx, Event{Kind: EventEntry, Parent: parent, Name: name, Ino: Ino(n.Ino)})
	return attrOf(&n), nil
}

// Mknod creates a regular file, FIFO, socket or device node (by in.Mode's type).
func (s *Store) Mknod(ctx context.Context, parent Ino, name string, in NodeIn) (Attr, error) {
	switch in.Mode & ModeType {
	case 0:
		in.Mode |= ModeRegular
	case ModeRegular, ModeFIFO, ModeSocket, ModeChar, ModeBlock:
	default:
		return Attr{}, fmt.Errorf("mknod mode %o: %w", in.Mode, ErrInvalid)
	}
	n, err := s.newInode(in)
	if err != nil {
		return Attr{}, err
	}
	return s.create(ctx, parent, name, n)
}

// Mkdir creates a directory.
func (s *Store) Mkdir(ctx context.Context, parent Ino, name string, in NodeIn) (Attr, error) {
	in.Mode = ModeDir | in.Mode&ModePerm
	n, err := s.newInode(in)
	if err != nil {
		return Attr{}, err
	}
	return s.create(ctx, parent, name, n)
}

// Symlink creates a symbolic link.
func (s *Store) Symlink(ctx context.Context, parent Ino, name, target string, owner Owner) (Attr, error) {
	if len(target) == 0 || len(target) > 4095 {
		return Attr{}, fmt.Errorf("symlink target of %d bytes: %w", len(target), ErrNameTooLong)
	}
	n, err := s.newInode(NodeIn{Mode: ModeSymlink | 0o777, Uid: owner.Uid, Gid: owner.Gid})
	if err != nil {
		return Attr{}, err
	}
	n.Target, n.Size = target, uint64(len(target))
	return s.create(ctx, parent, name, n)
}

// Readlink returns a symlink's target.
func (s *Store) Readlink(ctx context.Context, ino Ino) (string, error) {
	var n meta.Inode
	if err := s.db.View(func(x *meta.Txn) (err error) { n, err = inode(x, ino); return }); err != nil {
		return "", err
	}
	if n.Mode&ModeType != ModeSymlink {
		return "", fmt.Errorf("inode %d is not a symlink: %w", ino, ErrInvalid)
	}
	return n.Target, nil
}

// Link adds a name for an existing non-directory inode.
func (s *Store) Link(ctx context.Context, ino, newParent Ino, newName string) (Attr, error) {
	if err := checkName(newName); err != nil {
		return Attr{}, err
	}
	var n meta.Inode
	now := s.now()
	err := s.update(ctx, func(x *meta.Txn) (err error) {
		if n, err = inode(x, ino); err != nil {
			return err
		}
		if n.Mode&ModeType == ModeDir {
			return fmt.Errorf("hard link to directory: %w", ErrPermission)
		}
		if n.Nlink == 0 {
			return fmt.Errorf("inode %d was unlinked: %w", ino, ErrNotExist)
		}
		p, err := dirInode(x, newParent)
		if err != nil {
			return err
		}
		if _, err := x.Dirent(p.Ino, newName); err == nil {
			return fmt.Errorf("%q: %w", newName, ErrExist)
		} else if err != meta.ErrNotFound {
			return err
		}
		n.Nlink++
		n.Ctime = now
		p.Mtime, p.Ctime = now, now
		if err := x.PutInode(&n); err != nil {
			return err
		}
		if err := x.PutInode(&p); err != nil {
			return err
		}
		return x.PutDirent(p.Ino, meta.Dirent{Name: newName, Ino: n.Ino, Mode: n.Mode})
	})
	if err != nil {
		return Attr{}, err
	}
	s.emit(ctx, Event{Kind: EventEntry, Parent: newParent, Name: newName, Ino: ino},
		Event{Kind: EventContent, Ino: ino})
	return attrOf(&n), nil
}

// removeEntry unlinks d from parent inside x and returns the child's inode
// as it is after the change (Nlink 0 means it has no names left).
func removeEntry(x *meta.Txn, parent *meta.Inode, d meta.Dirent, now int64) (meta.Inode, error) {
	n, err := inode(x, Ino(d.Ino))
	if err != nil {
		return n, err
	}
	if err := x.DeleteDirent(parent.Ino, d); err != nil {
		return n, err
	}
	if n.Mode&ModeType == ModeDir {
		parent.Nlink--
		n.Nlink = 0
	} else if n.Nlink > 0 {
		n.Nlink--
	}
	n.Ctime = now
	parent.Mtime, parent.Ctime = now, now
	if n.Nlink == 0 {
		if err := x.MarkOrphan(n.Ino); err != nil {
			return n, err
		}
	}
	if err := x.PutInode(&n); err != nil {
		return n, err
	}
	return n, x.PutInode(parent)
}

// Unlink removes a non-directory name.
func (s *Store) Unlink(ctx context.Context, parent Ino, name string) error {
	return s.remove(ctx, parent, name, false)
}

// Rmdir removes an empty directory.
func (s *Store) Rmdir(ctx context.Context, parent Ino, name string) error {
	return s.remove(ctx, parent, name, true)
}

func (s *Store) remove(ctx context.Context, parent Ino, name string, dir bool) error {
	if name == "." {
		return fmt.Errorf("remove \".\": %w", ErrInvalid)
	}
	if name == ".." {
		return fmt.Errorf("remove \"..\": %w", ErrNotEmpty)
	}
	var child meta.Inode
	now := s.now()
	err := s.update(ctx, func(x *meta.Txn) error {
		p, err := dirInode(x, parent)
		if err != nil {
			return err
		}
		d, err := lookup(x, parent, name)
		if err != nil {
			return err
		}
		isDir := d.Mode&ModeType == ModeDir
		switch {
		case dir && !isDir:
			return fmt.Errorf("rmdir %q: %w", name, ErrNotDir)
		case !dir && isDir:
			return fmt.Errorf("unlink %q: %w", name, ErrIsDir)
		case isDir:
			if empty, err := x.DirEmpty(d.Ino); err != nil {
				return err
			} else if !empty {
				return fmt.Errorf("rmdir %q: %w", name, ErrNotEmpty)
			}
		}
		child, err = removeEntry(x, &p, d, now)
		return err
	})
	if err != nil {
		return err
	}
	s.emit(ctx, Event{Kind: EventEntry, Parent: parent, Name: name, Ino: Ino(child.Ino)})
	if child.Nlink == 0 {
		s.unlinked(ctx, Ino(child.Ino))
	} else {
		s.emit(ctx, Event{Kind: EventContent, Ino: Ino(child.Ino)})
	}
	return nil
}

// Cursor is the value to pass as ReadDir's after to continue past e.
func (e DirEntry) Cursor() string { return meta.SortName(e.Name, e.Mode&ModeType == ModeDir) }

// ReadDir returns up to limit entries of dir that sort after `after` (""
// for the start; otherwise the previous page's last entry's Cursor()), in
// S3 key order. Entries added or removed meanwhile never make another
// entry appear twice or go missing.
func (s *Store) ReadDir(ctx context.Context, dir Ino, after string, limit int) ([]DirEntry, error) {
	var out []DirEntry
	err := s.db.View(func(x *meta.Txn) error {
		out = out[:0]
		if _, err := dirInode(x, dir); err != nil {
			return err
		}
		return x.ScanDir(uint64(dir), after, func(d meta.Dirent) (bool, error) {
			if d.SortName() == after {
				return true, nil
			}
			out = append(out, DirEntry{Name: d.Name, Ino: Ino(d.Ino), Mode: d.Mode})
			return limit <= 0 || len(out) < limit, nil
		})
	})
	return out, err
}
