package blob

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// Capacity reports the blob bytes the disks can hold in total and still
// take. Every blob puts one shard (a k-th of its bytes) on each disk, so a
// file system holding n of the disks gives up n bytes for every k bytes
// of blobs: the store is full when the first file system is, and usable
// space is the least over file systems of space * k / n. With one disk
// per file system that is k times the smallest disk (a sum scaled by
// k/(k+m) would promise space on big disks no blob can use); with all of
// them on one file system (the default layout under --data) it is that
// file system's space * k/(k+m). Disks that fail Stat are left out, as
// Put skips them; with fewer than k disks answering nothing can be
// written and free is 0.
func (s *Store) Capacity(ctx context.Context) (total, free uint64, err error) {
	us := make([]disk.Usage, len(s.disks))
	errs := make([]error, len(s.disks))
	var wg sync.WaitGroup
	for i, d := range s.disks {
		wg.Go(func() { us[i], errs[i] = d.Stat(ctx) })
	}
	wg.Wait()
	type fsUse struct {
		u disk.Usage
		n uint64
	}
	byFS := map[uint64]*fsUse{}
	answered := 0
	for i, u := range us {
		if errs[i] != nil {
			continue
		}
		answered++
		id := u.Device
		if id == 0 {
			id = ^uint64(i) // a disk of its own
		}
		if f, ok := byFS[id]; ok {
			f.n++
			f.u.Total, f.u.Free = min(f.u.Total, u.Total), min(f.u.Free, u.Free)
		} else {
			byFS[id] = &fsUse{u: u, n: 1}
		}
	}
	if answered == 0 {
		return 0, 0, fmt.Errorf("blob: capacity: %w", errors.Join(errs...))
	}
	first := true
	for _, f := range byFS {
		t, fr := f.u.Total*uint64(s.k)/f.n, f.u.Free*uint64(s.k)/f.n
		if first || t < total {
			total = t
		}
		if first || fr < free {
			free = fr
		}
		first = false
	}
	if answered < s.k {
		free = 0
	}
	return total, free, nil
}
