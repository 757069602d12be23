package blob

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// Capacity reports the blob bytes the disks can hold in total and still
// take. Since shard i of every blob goes to disk i, all disks fill at the
// same rate and the store is full when its smallest disk is: usable bytes
// are k times the smallest disk's (a sum scaled by k/(k+m) would promise
// space on big disks that no blob can use). Disks that fail Stat are left
// out, as Put skips them; with fewer than k disks answering
// nothing can be written and free is 0.
func (s *Store) Capacity(ctx context.Context) (total, free uint64, err error) {
	us := make([]disk.Usage, len(s.disks))
	errs := make([]error, len(s.disks))
	var wg sync.WaitGroup
	for i, d := range s.disks {
		wg.Go(func() { us[i], errs[i] = d.Stat(ctx) })
	}
	wg.Wait()
	answered := 0
	var minTotal, minFree uint64
	for i, u := range us {
		if errs[i] != nil {
			continue
		}
		if answered == 0 || u.Total < minTotal {
			minTotal = u.Total
		}
		if answered == 0 || u.Free < minFree {
			minFree = u.Free
		}
		answered++
	}
	if answered == 0 {
		return 0, 0, fmt.Errorf("blob: capacity: %w", errors.Join(errs...))
	}
	if answered < s.k {
		minFree = 0
	}
	return minTotal * uint64(s.k), minFree * uint64(s.k), nil
}
