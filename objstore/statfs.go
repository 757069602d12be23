package objstore

import (
	"context"
	"fmt"
)

// inodePool is how many inodes statfs says an empty store has room for.
// Inodes are 64-bit and cost only metadata, so there is no real limit:
// the pool shrinks with free space, so tools that check for free inodes
// pass while there is room for data.
const inodePool = 1 << 32

// StatFS reports usable capacity (the data share of the disks) and inodes:
// the used ones are the inodes that exist (a counter the metadata keeps,
// not a scan), the free ones a share of inodePool.
func (s *Store) StatFS(ctx context.Context) (FSStats, error) {
	total, free, err := s.blobs.Capacity(ctx)
	if err != nil {
		return FSStats{}, fmt.Errorf("statfs: %w", err)
	}
	freeInodes := uint64(inodePool)
	if total > 0 {
		freeInodes = uint64(float64(inodePool) * float64(free) / float64(total))
	}
	return FSStats{BlockSize: 4096, TotalBytes: total, FreeBytes: free,
		TotalInodes: s.db.Inodes() + freeInodes, FreeInodes: freeInodes}, nil
}
