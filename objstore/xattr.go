package objstore

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shallot-storage/shallot/meta"
)

// Extended attributes. S3 user metadata x-amz-meta-NAME is the attribute
// user.NAME, and the content type is user.s3.content-type (kept in the
// inode so a HEAD reads one record); the other user.s3.* names are
// reserved.
const (
	xattrUserPrefix  = "user."
	xattrContentType = "user.s3.content-type"
	xattrReserved    = "user.s3."
	maxXattrValue    = 64 << 10
	maxXattrName     = 255
)

// GetXattr returns one attribute (ErrNoAttr if absent).
func (s *Store) GetXattr(ctx context.Context, ino Ino, name string) ([]byte, error) {
	if name == xattrCapability {
		return s.getCapability(ino)
	}
	var v []byte
	err := s.db.View(func(x *meta.Txn) error {
		n, err := inode(x, ino)
		if err != nil {
			return err
		}
		if name == xattrContentType {
			if n.ContentType == "" {
				return ErrNoAttr
			}
			v = []byte(n.ContentType)
			return nil
		}
		v, err = x.Xattr(n.Ino, name)
		if err == meta.ErrNotFound {
			return fmt.Errorf("xattr %q: %w", name, ErrNoAttr)
		}
		return err
	})
	return v, err
}

// ListXattr returns every attribute name, sorted.
func (s *Store) ListXattr(ctx context.Context, ino Ino) ([]string, error) {
	var names []string
	err := s.db.View(func(x *meta.Txn) error {
		names = names[:0]
		n, err := inode(x, ino)
		if err != nil {
			return err
		}
		if n.ContentType != "" {
			names = append(names, xattrContentType)
		}
		return x.Xattrs(n.Ino, "", func(name string, _ []byte) error {
			names = append(names, name)
			return nil
		})
	})
	sort.Strings(names)
	return names, err
}

// SetXattr writes one attribute.
func (s *Store) SetXattr(ctx context.Context, ino Ino, name string, value []byte, flags XattrFlags) error {
	if name == "" || len(name) > maxXattrName {
		return fmt.Errorf("xattr name of %d bytes: %w", len(name), ErrNameTooLong)
	}
	if len(value) > maxXattrValue {
		return fmt.Errorf("xattr value of %d bytes: %w", len(value), ErrTooLarge)
	}
	if !settableXattr(name) {
		return fmt.Errorf("xattr %q is reserved: %w", name, ErrPermission)
	}
	now := s.now()
	defer s.capabilityChanged(name)
	err := s.update(ctx, func(x *meta.Txn) error {
		n, err := inode(x, ino)
		if err != nil {
			return err
		}
		var exists bool
		if name == xattrContentType {
			exists = n.ContentType != ""
		} else if exists, err = x.HasXattr(n.Ino, name); err != nil {
			return err
		}
		if flags&XattrCreate != 0 && exists {
			return fmt.Errorf("xattr %q: %w", name, ErrExist)
		}
		if flags&XattrReplace != 0 && !exists {
			return fmt.Errorf("xattr %q: %w", name, ErrNoAttr)
		}
		n.Ctime = now
		if name == xattrContentType {
			n.ContentType = string(value)
		} else if err := x.PutXattr(n.Ino, name, value); err != nil {
			return err
		}
		if name == xattrStorageClass {
			n.Flags |= meta.FlagStorageClass
		}
		return x.PutInode(&n)
	})
	if err == nil {
		s.emit(ctx, Event{Kind: EventContent, Ino: ino})
	}
	return err
}

// RemoveXattr deletes one attribute (ErrNoAttr if absent).
func (s *Store) RemoveXattr(ctx context.Context, ino Ino, name string) error {
	now := s.now()
	defer s.capabilityChanged(name)
	err := s.update(ctx, func(x *meta.Txn) error {
		n, err := inode(x, ino)
		if err != nil {
			return err
		}
		if name == xattrContentType {
			if n.ContentType == "" {
				return ErrNoAttr
			}
			n.ContentType = ""
		} else if ok, err := x.HasXattr(n.Ino, name); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("xattr %q: %w", name, ErrNoAttr)
		} else if err := x.DeleteXattr(n.Ino, name); err != nil {
			return err
		}
		if name == xattrStorageClass {
			n.Flags &^= meta.FlagStorageClass
		}
		n.Ctime = now
		return x.PutInode(&n)
	})
	if err == nil {
		s.emit(ctx, Event{Kind: EventContent, Ino: ino})
	}
	return err
}

// settableXattr: the user.s3.* names stand for S3 attributes; those with a
// meaning here may be set through the mount, except checksums, which only
// a verified S3 upload may set.
func settableXattr(name string) bool {
	if !strings.HasPrefix(name, xattrReserved) {
		return true
	}
	return name == xattrContentType || name == xattrTagging || isSystemHeader(strings.TrimPrefix(name, xattrReserved))
}
