package objstore

import (
	"context"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// ListBuckets lists the top-level directories whose names are valid
// bucket names, in name order.
func (s *Store) ListBuckets(ctx context.Context) ([]Bucket, error) {
	var out []Bucket
	err := s.db.View(func(x *meta.Txn) error {
		out = out[:0]
		return x.ScanDir(uint64(RootIno), "", func(d meta.Dirent) (bool, error) {
			if d.Mode&ModeType != ModeDir || checkBucketName(d.Name) != nil {
				return true, nil
			}
			n, err := inode(x, Ino(d.Ino))
			if err != nil {
				return false, err
			}
			out = append(out, bucketOf(d.Name, &n))
			return true, nil
		})
	})
	return out, err
}

func bucketOf(name string, n *meta.Inode) Bucket {
	return Bucket{Name: name, Created: ns(n.Crtime), Owner: Owner{Uid: n.Uid, Gid: n.Gid}}
}

// HeadBucket returns a bucket (ErrNoSuchBucket if absent).
func (s *Store) HeadBucket(ctx context.Context, name string) (Bucket, error) {
	var b Bucket
	err := s.db.View(func(x *meta.Txn) error {
		n, err := resolveBucket(x, name)
		b = bucketOf(name, &n)
		return err
	})
	return b, err
}

// CreateBucket fails with ErrExist when the bucket exists, ErrInvalidBucket
// for a name S3 does not allow.
func (s *Store) CreateBucket(ctx context.Context, name string, owner Owner) error {
	if err := checkBucketName(name); err != nil {
		return err
	}
	n, err := s.newInode(NodeIn{Mode: ModeDir | 0o755, Uid: owner.Uid, Gid: owner.Gid})
	if err != nil {
		return err
	}
	_, err = s.create(ctx, RootIno, name, n)
	return err
}

// DeleteBucket fails with ErrNotEmpty unless the bucket holds nothing
// (in-progress multipart uploads count, as in S3).
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	err := s.db.View(func(x *meta.Txn) error {
		b, err := resolveBucket(x, name)
		if err != nil {
			return err
		}
		// S3 lets a bucket's owner delete it, whatever the root directory's
		// mode says.
		if who := callerOf(ctx); who != nil && who.Uid != 0 && who.Uid != b.Uid {
			return fmt.Errorf("delete bucket %q owned by uid %d: %w", name, b.Uid, ErrPermission)
		}
		busy := false
		err = x.Uploads(name, "", "", "", func(meta.Upload) (bool, error) { busy = true; return false, nil })
		if err == nil && busy {
			return fmt.Errorf("bucket %q has multipart uploads: %w", name, ErrNotEmpty)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.Rmdir(ctx, RootIno, name)
}
