package objstore

import (
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// resolveBucket finds the directory of a bucket.
func resolveBucket(x *meta.Txn, bucket string) (meta.Inode, error) {
	d, err := x.Dirent(uint64(RootIno), bucket)
	if err == meta.ErrNotFound || err == nil && d.Mode&ModeType != ModeDir {
		return meta.Inode{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if err != nil {
		return meta.Inode{}, err
	}
	return inode(x, Ino(d.Ino))
}

// resolved is an S3 key found in the namespace.
type resolved struct {
	bucket meta.Inode
	// dirs are the directories from the bucket down to the parent of the
	// last segment (dirs[0] is the bucket); names[i] is the name of
	// dirs[i+1] in dirs[i].
	dirs  []meta.Inode
	names []string
	entry meta.Dirent
	node  meta.Inode
}

func (r *resolved) parent() *meta.Inode { return &r.dirs[len(r.dirs)-1] }

// resolveKey walks an S3 key. A key that does not name anything, or names
// a directory without the trailing slash, is ErrNotExist.
func resolveKey(x *meta.Txn, bucket, key string, who *Owner) (*resolved, error) {
	segs, wantDir, err := splitKey(key)
	if err != nil {
		return nil, err
	}
	b, err := resolveBucket(x, bucket)
	if err != nil {
		return nil, err
	}
	r := &resolved{bucket: b, dirs: []meta.Inode{b}}
	for i, seg := range segs {
		if err := checkAccess(r.parent(), who, mayExec, key); err != nil {
			return nil, err
		}
		d, err := x.Dirent(r.parent().Ino, seg)
		if err == meta.ErrNotFound {
			return nil, fmt.Errorf("key %q: %w", key, ErrNotExist)
		}
		if err != nil {
			return nil, err
		}
		isDir := d.Mode&ModeType == ModeDir
		last := i == len(segs)-1
		if !last && !isDir || last && isDir != wantDir {
			return nil, fmt.Errorf("key %q: %w", key, ErrNotExist)
		}
		n, err := inode(x, Ino(d.Ino))
		if err != nil {
			return nil, err
		}
		if last {
			r.entry, r.node = d, n
			return r, nil
		}
		r.dirs = append(r.dirs, n)
		r.names = append(r.names, seg)
	}
	return r, nil
}
