package objstore

// This file holds the signatures of the store's API while the bodies are
// being written; each function moves to its own file as it is implemented.

import (
	"context"
	"io"
)

// Store is the one implementation of the namespace and the data path shared
// by every door. All methods are safe for concurrent use.
type Store struct{}

// Subscribe registers fn to receive change events (see Event).
func (s *Store) Subscribe(fn func(Event)) {}

// --- namespace (fuse/, nfsexport/) ---

func (s *Store) Lookup(ctx context.Context, parent Ino, name string) (Attr, error) {
	return Attr{}, ErrNotSupported
}
func (s *Store) GetAttr(ctx context.Context, ino Ino) (Attr, error) { return Attr{}, ErrNotSupported }
func (s *Store) SetAttr(ctx context.Context, ino Ino, in SetAttrIn) (Attr, error) {
	return Attr{}, ErrNotSupported
}

// Mknod creates a regular file, FIFO, socket or device node (by in.Mode's type).
func (s *Store) Mknod(ctx context.Context, parent Ino, name string, in NodeIn) (Attr, error) {
	return Attr{}, ErrNotSupported
}
func (s *Store) Mkdir(ctx context.Context, parent Ino, name string, in NodeIn) (Attr, error) {
	return Attr{}, ErrNotSupported
}
func (s *Store) Symlink(ctx context.Context, parent Ino, name, target string, owner Owner) (Attr, error) {
	return Attr{}, ErrNotSupported
}
func (s *Store) Readlink(ctx context.Context, ino Ino) (string, error) { return "", ErrNotSupported }
func (s *Store) Link(ctx context.Context, ino, newParent Ino, newName string) (Attr, error) {
	return Attr{}, ErrNotSupported
}
func (s *Store) Unlink(ctx context.Context, parent Ino, name string) error { return ErrNotSupported }
func (s *Store) Rmdir(ctx context.Context, parent Ino, name string) error  { return ErrNotSupported }
func (s *Store) Rename(ctx context.Context, oldParent Ino, oldName string, newParent Ino, newName string, flags RenameFlags) error {
	return ErrNotSupported
}

// ReadDir returns up to limit entries of dir whose names sort after `after`
// ("" = from the start), in the store's order (S3 key order).
func (s *Store) ReadDir(ctx context.Context, dir Ino, after string, limit int) ([]DirEntry, error) {
	return nil, ErrNotSupported
}
func (s *Store) GetXattr(ctx context.Context, ino Ino, name string) ([]byte, error) {
	return nil, ErrNotSupported
}
func (s *Store) ListXattr(ctx context.Context, ino Ino) ([]string, error) {
	return nil, ErrNotSupported
}
func (s *Store) SetXattr(ctx context.Context, ino Ino, name string, value []byte, flags XattrFlags) error {
	return ErrNotSupported
}
func (s *Store) RemoveXattr(ctx context.Context, ino Ino, name string) error { return ErrNotSupported }
func (s *Store) StatFS(ctx context.Context) (FSStats, error)                 { return FSStats{}, ErrNotSupported }

// Open returns a handle on a regular file. Writes through any handle of an
// inode are visible to every handle of it at once, and to the other doors
// at Flush, Fsync or Release.
func (s *Store) Open(ctx context.Context, ino Ino, truncate bool) (*Handle, error) {
	return nil, ErrNotSupported
}

// Handle is an open regular file.
type Handle struct{}

func (h *Handle) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	return 0, ErrNotSupported
}
func (h *Handle) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	return 0, ErrNotSupported
}

// Flush commits buffered writes (close(2) of one descriptor).
func (h *Handle) Flush(ctx context.Context) error { return ErrNotSupported }

// Fsync commits buffered writes durably.
func (h *Handle) Fsync(ctx context.Context) error { return ErrNotSupported }

// Release commits and closes the handle; it must be called exactly once.
func (h *Handle) Release(ctx context.Context) error { return ErrNotSupported }

// --- objects (s3srv/) ---

func (s *Store) ListBuckets(ctx context.Context) ([]Bucket, error) { return nil, ErrNotSupported }
func (s *Store) HeadBucket(ctx context.Context, name string) (Bucket, error) {
	return Bucket{}, ErrNotSupported
}

// CreateBucket fails with ErrExist when the bucket exists, ErrInvalidBucket
// for a name S3 does not allow.
func (s *Store) CreateBucket(ctx context.Context, name string, owner Owner) error {
	return ErrNotSupported
}

// DeleteBucket fails with ErrNotEmpty unless the bucket holds nothing.
func (s *Store) DeleteBucket(ctx context.Context, name string) error { return ErrNotSupported }

// PutObject stores r (size bytes, or -1 when unknown) as bucket/key,
// atomically: readers see the old object or the whole new one.
func (s *Store) PutObject(ctx context.Context, bucket, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	return ObjectInfo{}, ErrNotSupported
}
func (s *Store) HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	return ObjectInfo{}, ErrNotSupported
}

// OpenObject returns a reader on the object as it is now; an overwrite or a
// delete after this call does not change what the reader returns.
func (s *Store) OpenObject(ctx context.Context, bucket, key string) (*ObjectReader, error) {
	return nil, ErrNotSupported
}

// ObjectReader reads one version of an object.
type ObjectReader struct{}

func (r *ObjectReader) Info() ObjectInfo                        { return ObjectInfo{} }
func (r *ObjectReader) ReadAt(p []byte, off int64) (int, error) { return 0, ErrNotSupported }
func (r *ObjectReader) Close() error                            { return nil }

// DeleteObject removes bucket/key; a missing key is not an error.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string) error { return ErrNotSupported }
func (s *Store) CopyObject(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts CopyOptions) (ObjectInfo, error) {
	return ObjectInfo{}, ErrNotSupported
}
func (s *Store) ListObjects(ctx context.Context, bucket string, q ListQuery) (ListResult, error) {
	return ListResult{}, ErrNotSupported
}

func (s *Store) CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	return "", ErrNotSupported
}
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, number int, r io.Reader, size int64, contentMD5 []byte) (PartInfo, error) {
	return PartInfo{}, ErrNotSupported
}
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart) (ObjectInfo, error) {
	return ObjectInfo{}, ErrNotSupported
}
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	return ErrNotSupported
}
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, after, limit int) (ListPartsResult, error) {
	return ListPartsResult{}, ErrNotSupported
}
func (s *Store) ListMultipartUploads(ctx context.Context, bucket string, q UploadQuery) (ListUploadsResult, error) {
	return ListUploadsResult{}, ErrNotSupported
}

// --- access keys (s3srv/ auth, cmd/ admin) ---

// LookupKey returns the key record; a disabled key is returned with Disabled set.
func (s *Store) LookupKey(ctx context.Context, accessKey string) (AccessKey, error) {
	return AccessKey{}, ErrNotSupported
}
