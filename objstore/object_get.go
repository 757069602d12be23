package objstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/shallot-storage/shallot/meta"
)

// HeadObject describes bucket/key as it is now.
func (s *Store) HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	r, err := s.OpenObject(ctx, bucket, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer r.Close()
	return r.Info(), nil
}

// OpenObject returns a reader on the object as it is now; an overwrite or a
// delete after this call does not change what the reader returns.
func (s *Store) OpenObject(ctx context.Context, bucket, key string) (*ObjectReader, error) {
	for attempt := 0; ; attempt++ {
		r, err := s.openObject(ctx, bucket, key)
		// The name moved to a new inode between lookup and open: look again.
		if errors.Is(err, errInodeGone) && attempt < 8 {
			continue
		}
		return r, err
	}
}

var errInodeGone = errors.New("inode replaced while opening")

func (s *Store) openObject(ctx context.Context, bucket, key string) (*ObjectReader, error) {
	var res *resolved
	var attrs ObjectInfo
	err := s.db.View(func(x *meta.Txn) (err error) {
		who := callerOf(ctx)
		if res, err = resolveKey(x, bucket, key, who); err != nil {
			return err
		}
		if err := checkAccess(&res.node, who, mayRead, key); err != nil {
			return err
		}
		attrs = ObjectInfo{}
		return readObjectAttrs(x, res.node.Ino, &attrs)
	})
	if err != nil {
		return nil, err
	}
	switch res.node.Mode & ModeType {
	case ModeDir:
		return &ObjectReader{info: withAttrs(s.objectInfo(bucket, key, &res.node), attrs)}, nil
	case ModeRegular:
	default:
		return nil, fmt.Errorf("key %q is not a regular file: %w", key, ErrNotExist)
	}
	f, err := s.acquire(Ino(res.node.Ino))
	if errors.Is(err, ErrNotExist) {
		return nil, errInodeGone
	}
	if err != nil {
		return nil, err
	}
	// Under f.mu no commit runs, so the record read now matches f's
	// committed layout, which the reader keeps as its snapshot.
	f.mu.Lock()
	var n meta.Inode
	var parts []meta.ObjectPart
	err = s.db.View(func(x *meta.Txn) (err error) {
		if n, err = inode(x, f.ino); err != nil || !isMultipartETag(n.ETag) {
			return err
		}
		parts, err = x.ObjectParts(n.Ino)
		return err
	})
	if err == nil && n.Nlink == 0 {
		err = errInodeGone
	}
	if err != nil {
		f.mu.Unlock()
		s.release(f)
		return nil, err
	}
	info := withAttrs(s.objectInfo(bucket, key, &n), attrs)
	info.Parts = objectParts(parts)
	r := f.snapshotLocked(n.Size, info)
	f.mu.Unlock()
	if n.Flags&meta.FlagETagStale != 0 {
		etag, err := r.computeETag(ctx, &n)
		if err != nil {
			r.Close()
			return nil, err
		}
		r.info.ETag = etag
	}
	return r, nil
}

func withAttrs(info, attrs ObjectInfo) ObjectInfo {
	info.Meta, info.Headers, info.Tags, info.Checksums = attrs.Meta, attrs.Headers, attrs.Tags, attrs.Checksums
	return info
}

// snapshotLocked returns a reader on the committed layout; f.mu is held,
// and the caller's reference on f passes to the reader.
func (f *openFile) snapshotLocked(size uint64, info ObjectInfo) *ObjectReader {
	f.readers++
	return &ObjectReader{s: f.s, f: f, ext: f.committed, inline: f.inline, size: size, info: info}
}

// ObjectReader reads one committed version of an object. It is safe for
// concurrent ReadAt calls.
type ObjectReader struct {
	s      *Store
	f      *openFile
	ext    []meta.Extent
	inline []byte
	size   uint64
	info   ObjectInfo
	closed atomic.Bool
}

// Info describes the version being read.
func (r *ObjectReader) Info() ObjectInfo { return r.info }

// ReadAt reads like io.ReaderAt.
func (r *ObjectReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at %d: %w", off, ErrInvalid)
	}
	if uint64(off) >= r.size {
		return 0, io.EOF
	}
	n := len(p)
	if uint64(n) > r.size-uint64(off) {
		n = int(r.size - uint64(off))
	}
	clear(p[:n])
	if err := r.s.readCommitted(context.Background(), r.ext, r.inline, p[:n], uint64(off)); err != nil {
		return 0, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Close ends the read; blobs freed meanwhile by a newer commit go now.
func (r *ObjectReader) Close() error {
	if r.f == nil || r.closed.Swap(true) {
		return nil
	}
	f := r.f
	f.mu.Lock()
	f.readers--
	var garbage []uint64
	if f.readers == 0 {
		garbage, f.deferred = f.deferred, nil
	}
	f.mu.Unlock()
	// The commit that stopped naming them may not be durable yet.
	r.s.freeAfterSync(garbage)
	r.s.release(f)
	return nil
}

// computeETag hashes the snapshot and records the ETag if the inode has
// not changed meanwhile (files written through the mount at random
// offsets get their ETag this way).
func (r *ObjectReader) computeETag(ctx context.Context, n *meta.Inode) (string, error) {
	h := md5.New()
	buf := make([]byte, 1<<20)
	for off := int64(0); off < int64(r.size); {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("compute etag of inode %d: %w", n.Ino, err)
		}
		k, err := r.ReadAt(buf[:min(int64(len(buf)), int64(r.size)-off)], off)
		h.Write(buf[:k])
		off += int64(k)
		if err != nil && !(err == io.EOF && off == int64(r.size)) {
			return "", fmt.Errorf("compute etag of inode %d: %w", n.Ino, err)
		}
	}
	etag := hex.EncodeToString(h.Sum(nil))
	r.s.recordETag(Ino(n.Ino), n.Size, n.Mtime, etag)
	return etag, nil
}
