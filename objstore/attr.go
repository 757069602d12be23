package objstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/shallot-storage/shallot/meta"
)

func ns(t int64) time.Time { return time.Unix(0, t) }

// Times are kept as int64 nanoseconds since 1970, which reach from 1677 to
// 2262. A time outside is refused rather than wrapped into another one.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// unixNano is t as stored, or ErrInvalid when it cannot be.
func unixNano(t time.Time) (int64, error) {
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("time %s outside %d..%d: %w", t.UTC().Format(time.RFC3339), minTime.Year(), maxTime.Year(), ErrInvalid)
	}
	return t.UnixNano(), nil
}

func attrOf(n *meta.Inode) Attr {
	a := Attr{Ino: Ino(n.Ino), Gen: n.Gen, Mode: n.Mode, Nlink: n.Nlink, Uid: n.Uid, Gid: n.Gid,
		Rdev: n.Rdev, Size: n.Size, Blocks: (n.Stored + 511) / 512,
		Atime: ns(n.Atime), Mtime: ns(n.Mtime), Ctime: ns(n.Ctime), Crtime: ns(n.Crtime),
		ContentType: n.ContentType}
	if n.Flags&meta.FlagETagStale == 0 {
		a.ETag = n.ETag
	}
	if n.Mode&ModeType == ModeSymlink {
		a.Size = uint64(len(n.Target))
	}
	return a
}

// inode reads one inode, mapping absence to ErrNotExist.
func inode(x *meta.Txn, ino Ino) (meta.Inode, error) {
	n, err := x.Inode(uint64(ino))
	if err == meta.ErrNotFound {
		return n, fmt.Errorf("inode %d: %w", ino, ErrNotExist)
	}
	return n, err
}

// GetAttr returns the attributes of ino, including writes still buffered
// in an open file (size and times).
func (s *Store) GetAttr(ctx context.Context, ino Ino) (Attr, error) {
	// With the open file's lock held no commit can land between reading
	// the record and adding the buffered state on top of it.
	f := s.openFileIfAny(ino)
	if f != nil {
		f.mu.RLock()
		defer f.mu.RUnlock()
	}
	var n meta.Inode
	err := s.db.View(func(x *meta.Txn) (err error) { n, err = inode(x, ino); return })
	if err != nil {
		return Attr{}, err
	}
	a := attrOf(&n)
	if f != nil {
		f.overlayAttrLocked(&a)
	}
	return a, nil
}

// SetAttr changes the attributes named in in. A size change commits the
// open file's buffered writes first, then truncates in one transaction.
func (s *Store) SetAttr(ctx context.Context, ino Ino, in SetAttrIn) (Attr, error) {
	var atime, mtime int64
	var err error
	if in.Atime != nil {
		if atime, err = unixNano(*in.Atime); err != nil {
			return Attr{}, err
		}
	}
	if in.Mtime != nil {
		if mtime, err = unixNano(*in.Mtime); err != nil {
			return Attr{}, err
		}
	}
	if in.Size != nil {
		if err := s.truncate(ctx, ino, *in.Size); err != nil {
			return Attr{}, err
		}
	}
	var n meta.Inode
	if in.Mode != nil || in.Uid != nil || in.Gid != nil || in.Atime != nil || in.Mtime != nil {
		now := s.now()
		err := s.update(ctx, func(x *meta.Txn) (err error) {
			if n, err = inode(x, ino); err != nil {
				return err
			}
			if in.Mode != nil {
				n.Mode = n.Mode&ModeType | *in.Mode&ModePerm
			}
			if in.Uid != nil {
				n.Uid = *in.Uid
			}
			if in.Gid != nil {
				n.Gid = *in.Gid
			}
			if in.Atime != nil {
				n.Atime = atime
			}
			if in.Mtime != nil {
				n.Mtime = mtime
			}
			n.Ctime = now
			return x.PutInode(&n)
		})
		if err != nil {
			return Attr{}, err
		}
		if f := s.openFileIfAny(ino); f != nil && in.Mtime != nil {
			f.setMtime(mtime)
		}
		s.emit(ctx, Event{Kind: EventContent, Ino: ino})
	}
	return s.GetAttr(ctx, ino)
}
