package objstore

import (
	"context"
	"fmt"
)

// StatFS reports usable capacity (the data share of the disks) and inodes.
func (s *Store) StatFS(ctx context.Context) (FSStats, error) {
	total, free, err := s.blobs.Capacity(ctx)
	if err != nil {
		return FSStats{}, fmt.Errorf("statfs: %w", err)
	}
	// Inodes are 64-bit and cost only metadata: report a large pool
	// shrinking with used space, so tools that check for free inodes pass.
	const inodes = 1 << 32
	st := FSStats{BlockSize: 4096, TotalBytes: total, FreeBytes: free, TotalInodes: inodes, FreeInodes: inodes}
	if total > 0 {
		st.FreeInodes = uint64(float64(inodes) * float64(free) / float64(total))
	}
	return st, nil
}
