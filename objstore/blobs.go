package objstore

import "context"

// blobStore is the erasure-coded blob layer as the store uses it: the
// objstore/blob package in production, an in-memory map in early tests.
type blobStore interface {
	Put(ctx context.Context, id uint64, data []byte) error
	ReadAt(ctx context.Context, id uint64, p []byte, off int64) (int, error)
	Delete(ctx context.Context, id uint64) error
	Capacity(ctx context.Context) (total, free uint64, err error)
}

// mapBlobErr turns the blob layer's errors into the store's vocabulary.
func mapBlobErr(err error) error { return err }
