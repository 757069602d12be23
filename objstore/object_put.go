package objstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/shallot-storage/shallot/meta"
)

// New objects and the directories their keys imply get these modes.
const (
	objectMode = ModeRegular | 0o644
	dirMode    = ModeDir | 0o755
)

// PutObject stores r (size bytes, or -1 when unknown) as bucket/key,
// atomically: readers see the old object or the whole new one. A key
// ending in "/" with an empty body creates a directory.
func (s *Store) PutObject(ctx context.Context, bucket, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	segs, isDir, err := splitKey(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := s.checkBucket(bucket); err != nil {
		return ObjectInfo{}, err
	}
	if isDir {
		return s.putDirMarker(ctx, bucket, key, segs, r, opts)
	}
	in, err := s.ingest(ctx, r, size, true)
	if err != nil {
		return ObjectInfo{}, err
	}
	if opts.ContentMD5 != nil && !bytes.Equal(opts.ContentMD5, in.md5) {
		s.drop(in)
		return ObjectInfo{}, fmt.Errorf("put %s/%s: %w", bucket, key, ErrBadDigest)
	}
	attrs, err := objectXattrs(opts.Meta, opts.Headers, opts.Tags, opts.Checksums)
	if err != nil {
		s.drop(in)
		return ObjectInfo{}, err
	}
	return s.commitObject(ctx, bucket, key, segs, in, hex.EncodeToString(in.md5), opts, attrs)
}

func (s *Store) checkBucket(bucket string) error {
	return s.db.View(func(x *meta.Txn) error { _, err := resolveBucket(x, bucket); return err })
}

// commitObject names an ingested body bucket/key in one transaction,
// creating the directories the key implies and replacing what was there.
// attrs are the object's extended attributes (see objattrs.go).
func (s *Store) commitObject(ctx context.Context, bucket, key string, segs []string, in *ingested, etag string, opts PutOptions, attrs map[string]string) (ObjectInfo, error) {
	n, err := s.newInode(NodeIn{Mode: objectMode, Uid: opts.Owner.Uid, Gid: opts.Owner.Gid})
	if err != nil {
		s.drop(in)
		return ObjectInfo{}, err
	}
	n.Size, n.ETag, n.ContentType = in.size, etag, opts.ContentType
	n.Stored = storedBytes(in.extents) + uint64(len(in.inline))
	if _, ok := attrs[xattrStorageClass]; ok {
		n.Flags |= meta.FlagStorageClass
	}
	var events []Event
	var replaced meta.Inode
	err = s.db.Update(func(x *meta.Txn) error {
		events, replaced = events[:0], meta.Inode{}
		who := callerOf(ctx)
		parent, created, err := s.makeParents(x, bucket, segs[:len(segs)-1], opts.Owner, who, n.Ctime)
		if err != nil {
			return err
		}
		events = append(events, created...)
		name := segs[len(segs)-1]
		p, err := inode(x, Ino(parent))
		if err != nil {
			return err
		}
		if err := checkAccess(&p, who, mayWrite|mayExec, key); err != nil {
			return err
		}
		old, err := x.Dirent(parent, name)
		switch {
		case err == meta.ErrNotFound:
			if opts.IfMatch != "" {
				return fmt.Errorf("if-match on missing %q: %w", key, ErrNotExist)
			}
		case err != nil:
			return err
		case old.Mode&ModeType == ModeDir:
			return fmt.Errorf("key %q names a directory: %w", key, ErrIsDir)
		default:
			cur, err := inode(x, Ino(old.Ino))
			if err != nil {
				return err
			}
			if opts.IfNoneMatchStar || opts.IfMatch != "" && strings.Trim(opts.IfMatch, `"`) != cur.ETag {
				return fmt.Errorf("put %q: %w", key, ErrPrecondition)
			}
			if replaced, err = removeEntry(x, &p, old, n.Ctime); err != nil {
				return err
			}
		}
		if in.upload != nil {
			if err := joinUpload(x, in); err != nil {
				return err
			}
			if err := x.PutObjectParts(n.Ino, partLayout(in)); err != nil {
				return err
			}
		}
		for _, e := range in.extents {
			if err := x.PutExtent(n.Ino, e); err != nil {
				return err
			}
		}
		if err := x.PutContent(n.Ino, in.inline); err != nil {
			return err
		}
		if err := putXattrs(x, n.Ino, attrs); err != nil {
			return err
		}
		events = append(events, Event{Kind: EventEntry, Parent: Ino(parent), Name: name, Ino: Ino(n.Ino)})
		return s.createNode(x, Ino(parent), name, &n)
	})
	if err != nil {
		s.drop(in)
		return ObjectInfo{}, err
	}
	s.emit(ctx, events...)
	if replaced.Ino != 0 && replaced.Nlink == 0 {
		s.unlinked(ctx, Ino(replaced.Ino))
	}
	info := s.objectInfo(bucket, key, &n)
	info.Meta, info.Headers, info.Tags, info.Checksums = opts.Meta, opts.Headers, opts.Tags, opts.Checksums
	return info, nil
}

// makeParents walks dirs below the bucket, creating missing ones as
// implicit directories; it returns the last directory's inode number.
// who, when set, needs search permission on every directory walked and
// write permission where one is created.
func (s *Store) makeParents(x *meta.Txn, bucket string, dirs []string, owner Owner, who *Owner, now int64) (uint64, []Event, error) {
	b, err := resolveBucket(x, bucket)
	if err != nil {
		return 0, nil, err
	}
	cur, curNode := b.Ino, b
	var events []Event
	for _, name := range dirs {
		if err := checkAccess(&curNode, who, mayExec, name); err != nil {
			return 0, nil, err
		}
		d, err := x.Dirent(cur, name)
		if err == nil {
			if d.Mode&ModeType != ModeDir {
				return 0, nil, fmt.Errorf("%q is a file, not a directory: %w", name, ErrNotDir)
			}
			if curNode, err = inode(x, Ino(d.Ino)); err != nil {
				return 0, nil, err
			}
			cur = d.Ino
			continue
		}
		if err != meta.ErrNotFound {
			return 0, nil, err
		}
		if err := checkAccess(&curNode, who, mayWrite, name); err != nil {
			return 0, nil, err
		}
		n, err := s.newInode(NodeIn{Mode: dirMode, Uid: owner.Uid, Gid: owner.Gid})
		if err != nil {
			return 0, nil, err
		}
		n.Flags |= meta.FlagImplicitDir
		n.Atime, n.Mtime, n.Ctime, n.Crtime = now, now, now, now
		if err := s.createNode(x, Ino(cur), name, &n); err != nil {
			return 0, nil, err
		}
		events = append(events, Event{Kind: EventEntry, Parent: Ino(cur), Name: name, Ino: Ino(n.Ino)})
		cur, curNode = n.Ino, n
	}
	return cur, events, nil
}

// putDirMarker handles a zero-byte key ending in "/": an explicit directory.
func (s *Store) putDirMarker(ctx context.Context, bucket, key string, segs []string, r io.Reader, opts PutOptions) (ObjectInfo, error) {
	var one [1]byte
	if n, _ := io.ReadFull(r, one[:]); n > 0 {
		return ObjectInfo{}, fmt.Errorf("key %q ends in '/' but has content: %w", key, ErrInvalidName)
	}
	var events []Event
	var n meta.Inode
	err := s.db.Update(func(x *meta.Txn) error {
		ino, created, err := s.makeParents(x, bucket, segs, opts.Owner, callerOf(ctx), s.now())
		if err != nil {
			return err
		}
		events = created
		if n, err = inode(x, Ino(ino)); err != nil {
			return err
		}
		n.Flags &^= meta.FlagImplicitDir
		return x.PutInode(&n)
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	s.emit(ctx, events...)
	return s.objectInfo(bucket, key, &n), nil
}

func (s *Store) objectInfo(bucket, key string, n *meta.Inode) ObjectInfo {
	info := ObjectInfo{Bucket: bucket, Key: key, Ino: Ino(n.Ino), Size: int64(n.Size), ETag: n.ETag,
		LastModified: ns(n.Mtime), ContentType: n.ContentType,
		Owner: Owner{Uid: n.Uid, Gid: n.Gid}}
	if n.Mode&ModeType == ModeDir {
		info.IsDir, info.Size, info.ETag = true, 0, emptyMD5
	}
	return info
}

// SetObjectTags replaces the tags of bucket/key (nil or empty removes them).
func (s *Store) SetObjectTags(ctx context.Context, bucket, key string, tags map[string]string) error {
	var ino uint64
	err := s.db.Update(func(x *meta.Txn) error {
		who := callerOf(ctx)
		r, err := resolveKey(x, bucket, key, who)
		if err != nil {
			return err
		}
		if err := checkAccess(&r.node, who, mayWrite, key); err != nil {
			return err
		}
		ino = r.node.Ino
		if len(tags) == 0 {
			return x.DeleteXattr(ino, xattrTagging)
		}
		return x.PutXattr(ino, xattrTagging, []byte(encodeTags(tags)))
	})
	if err == nil {
		s.emit(ctx, Event{Kind: EventContent, Ino: Ino(ino)})
	}
	return err
}
