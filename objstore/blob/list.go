package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

// Delete removes every shard of blob id. Shards already missing are fine;
// the error reports disks that failed, whose leftover shards List finds
// later as orphans.
func (s *Store) Delete(ctx context.Context, id ID) error {
	s.geo.drop(id)
	s.tables.drop(id, s.k+s.m)
	errs := s.removeShards(ctx, id)
	var failed []error
	for i, err := range errs {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed = append(failed, fmt.Errorf("shard %d: %w", i, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("blob %s: delete: %w", id, errors.Join(failed...))
	}
	return nil
}

// List calls fn once for every blob with a shard on any disk, in ascending
// ID order, for the garbage collection of orphans. It holds every ID in
// memory while it runs (about 40 bytes each). When some disks cannot be
// listed, the IDs found on the others are still passed to fn and the error
// names the failed disks. An error from fn stops the walk.
func (s *Store) List(ctx context.Context, fn func(ID) error) error {
	sets := make([]map[ID]struct{}, len(s.disks))
	errs := make([]error, len(s.disks))
	var wg sync.WaitGroup
	for i, d := range s.disks {
		wg.Go(func() {
			set := make(map[ID]struct{})
			errs[i] = d.List(ctx, func(name string) error {
				if id, _, ok := parseShardName(name); ok {
					set[id] = struct{}{}
				}
				return nil
			})
			sets[i] = set
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	seen := make(map[ID]struct{})
	for _, set := range sets {
		for id := range set {
			seen[id] = struct{}{}
		}
	}
	sets = nil
	ids := make([]ID, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	seen = nil
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("blob: list: %w", err)
	}
	return nil
}
