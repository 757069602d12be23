package objstore

import (
	"context"
	"errors"
	"strings"

	"github.com/shallot-storage/shallot/meta"
)

// errPageFull and errListDone stop a listing walk: the page is full, or
// no later key can match the prefix.
var (
	errPageFull = errors.New("page full")
	errListDone = errors.New("no more keys")
)

// ListObjects returns one page of the keys of bucket, in S3 key order. It
// walks directories depth first in the order their entries are stored
// (directories sort as "name/"), which is S3 order, seeking straight to
// the prefix and to q.After, and skipping whole directories that fold into
// one common prefix, so a page costs time in proportion to its size.
func (s *Store) ListObjects(ctx context.Context, bucket string, q ListQuery) (ListResult, error) {
	var res ListResult
	err := s.db.View(func(x *meta.Txn) error {
		res = ListResult{}
		b, err := resolveBucket(x, bucket)
		if err != nil {
			return err
		}
		if err := checkAccess(&b, callerOf(ctx), mayRead|mayExec, bucket); err != nil {
			return err
		}
		if q.Limit <= 0 {
			return nil
		}
		w := &lister{ctx: ctx, s: s, x: x, q: q, bucket: bucket, res: &res}
		// Start in the deepest directory the prefix names in full.
		dir, path := b.Ino, ""
		for {
			i := strings.IndexByte(q.Prefix[len(path):], '/')
			if i < 0 {
				break
			}
			name := q.Prefix[len(path) : len(path)+i]
			d, err := x.Dirent(dir, name)
			if err == meta.ErrNotFound || err == nil && d.Mode&ModeType != ModeDir {
				return nil
			}
			if err != nil {
				return err
			}
			dir, path = d.Ino, path+name+"/"
		}
		if path != "" {
			// The directory itself may be a key ("a/b/") of the listing.
			n, err := inode(x, Ino(dir))
			if err != nil {
				return err
			}
			if _, err := w.visitKey(path, &n); err != nil {
				return err
			}
		}
		return w.walk(dir, path)
	})
	if errors.Is(err, errPageFull) || errors.Is(err, errListDone) {
		err = nil
	}
	return res, err
}

type lister struct {
	ctx    context.Context
	s      *Store
	x      *meta.Txn
	q      ListQuery
	bucket string
	res    *ListResult
	lastCP string
}

// emit adds one key or common prefix, or reports that the page is full.
func (w *lister) emit(key string, obj *ObjectInfo) error {
	if len(w.res.Objects)+len(w.res.CommonPrefixes) >= w.q.Limit {
		w.res.Truncated = true
		return errPageFull
	}
	if obj != nil {
		w.res.Objects = append(w.res.Objects, *obj)
	} else {
		w.res.CommonPrefixes = append(w.res.CommonPrefixes, key)
	}
	w.res.NextAfter = key
	return nil
}

// commonPrefix returns the prefix key folds into under the delimiter.
func (w *lister) commonPrefix(key string) (string, bool) {
	if w.q.Delimiter == "" {
		return "", false
	}
	i := strings.Index(key[len(w.q.Prefix):], w.q.Delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(w.q.Prefix)+i+len(w.q.Delimiter)], true
}

// visitKey handles one key: skipped (out of range), folded into a common
// prefix, or listed. It reports whether the key fell into a common prefix
// (so a directory need not be entered).
func (w *lister) visitKey(key string, n *meta.Inode) (folded bool, err error) {
	if !strings.HasPrefix(key, w.q.Prefix) {
		return false, nil
	}
	if cp, ok := w.commonPrefix(key); ok {
		if cp <= w.q.After || cp == w.lastCP {
			return true, nil
		}
		if n.Mode&ModeType == ModeDir && cp == key && !w.dirListable(n) {
			return true, nil
		}
		w.lastCP = cp
		return true, w.emit(cp, nil)
	}
	if key <= w.q.After {
		return false, nil
	}
	if n.Mode&ModeType == ModeDir && n.Flags&meta.FlagImplicitDir != 0 {
		return false, nil
	}
	info, err := w.info(key, n)
	if err != nil {
		return false, err
	}
	return false, w.emit(key, &info)
}

// dirListable says whether a directory shows as a common prefix: it is a
// key of its own or holds something.
func (w *lister) dirListable(n *meta.Inode) bool {
	if n.Flags&meta.FlagImplicitDir == 0 {
		return true
	}
	empty, err := w.x.DirEmpty(n.Ino)
	return err != nil || !empty
}

// walk lists the entries of dir (whose keys start with path) in order.
func (w *lister) walk(dir uint64, path string) error {
	from := ""
	// Seek to the first entry that can hold a key past After or within
	// Prefix, whichever comes later.
	for _, bound := range []string{w.q.After, w.q.Prefix} {
		if strings.HasPrefix(bound, path) && len(bound) > len(path) {
			rest := bound[len(path):]
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				rest = rest[:i+1]
			}
			from = max(from, rest)
		} else if bound > path && !strings.HasPrefix(bound, path) {
			return nil // every key here sorts before the bound
		}
	}
	return w.x.ScanDir(dir, from, func(d meta.Dirent) (bool, error) {
		key := path + d.SortName()
		if !strings.HasPrefix(key, w.q.Prefix) && !strings.HasPrefix(w.q.Prefix, key) {
			if key > w.q.Prefix {
				return false, errListDone
			}
			return true, nil
		}
		n, err := inode(w.x, Ino(d.Ino))
		if err != nil {
			return false, err
		}
		folded, err := w.visitKey(key, &n)
		if err != nil {
			return false, err
		}
		// Like find(1), a directory the caller may not read is not entered.
		if n.Mode&ModeType == ModeDir && !folded && allowed(&n, callerOf(w.ctx), mayRead|mayExec) {
			if err := w.walk(d.Ino, key); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// info describes a listed object. Of the stored headers it carries only
// the storage class, which listings report; the inode's flag says whether
// there is one to read, so STANDARD objects (most) cost no read.
func (w *lister) info(key string, n *meta.Inode) (ObjectInfo, error) {
	info := w.s.objectInfo(w.bucket, key, n)
	if n.Mode&ModeType == ModeRegular && n.Flags&meta.FlagStorageClass != 0 {
		switch class, err := w.x.Xattr(n.Ino, xattrStorageClass); err {
		case nil:
			info.Headers = map[string]string{"x-amz-storage-class": string(class)}
		case meta.ErrNotFound:
		default:
			return info, err
		}
	}
	if n.Flags&meta.FlagETagStale != 0 && n.Mode&ModeType == ModeRegular {
		// Rare: the file was written at random offsets and closed moments
		// ago. Reading it here keeps the listing's ETag true.
		if h, err := w.s.HeadObject(context.Background(), w.bucket, key); err == nil {
			info.ETag = h.ETag
		}
	}
	return info, nil
}
