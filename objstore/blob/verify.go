package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
)

// ShardState is what Verify found of one shard.
type ShardState uint8

const (
	ShardOK         ShardState = iota
	ShardMissing               // no shard file
	ShardCorrupt               // header or some blocks fail their checks
	ShardUnreadable            // the disk failed the read
)

func (s ShardState) String() string {
	switch s {
	case ShardOK:
		return "ok"
	case ShardMissing:
		return "missing"
	case ShardCorrupt:
		return "corrupt"
	case ShardUnreadable:
		return "unreadable"
	}
	return fmt.Sprintf("ShardState(%d)", uint8(s))
}

// ShardHealth is the state of one shard of a blob.
type ShardHealth struct {
	State     ShardState
	BadBlocks int   // blocks failing their checksum (all of them unless OK)
	Err       error // why it is not OK
}

// Health is the state of every shard of a blob, indexed by shard.
type Health struct {
	Shards []ShardHealth
	// Recoverable reports that every block still has at least k verified
	// shards, so reads succeed and Repair can restore full health.
	Recoverable bool
}

// OK reports that every shard is intact.
func (h Health) OK() bool {
	for _, sh := range h.Shards {
		if sh.State != ShardOK {
			return false
		}
	}
	return true
}

// Damaged lists the shards that are not OK.
func (h Health) Damaged() []int {
	var bad []int
	for i, sh := range h.Shards {
		if sh.State != ShardOK {
			bad = append(bad, i)
		}
	}
	return bad
}

// Verify reads every shard of blob id in full and checks it. The error is
// non-nil only when the blob cannot be examined at all (no shard exists:
// fs.ErrNotExist; no header verifies: ErrUnreadable; or ctx ended).
func (s *Store) Verify(ctx context.Context, id ID) (Health, error) {
	g, err := s.geometry(ctx, id)
	if err != nil {
		return Health{}, err
	}
	all := s.readAll(ctx, id, g, 0, g.nBlocks())
	defer s.release(all...)
	if err := ctx.Err(); err != nil {
		return Health{}, err
	}
	return s.health(g, all), nil
}

func (s *Store) health(g geometry, all []*shardRange) Health {
	h := Health{Shards: make([]ShardHealth, len(all)), Recoverable: true}
	for i, r := range all {
		sh := &h.Shards[i]
		for _, ok := range r.good {
			if !ok {
				sh.BadBlocks++
			}
		}
		switch sh.Err = r.err; {
		case r.err == nil:
			sh.State = ShardOK
		case errors.Is(r.err, fs.ErrNotExist):
			sh.State = ShardMissing
		case errors.Is(r.err, errCorrupt):
			sh.State = ShardCorrupt
		default:
			sh.State = ShardUnreadable
		}
	}
	for j := 0; j < g.nBlocks(); j++ {
		good := 0
		for _, r := range all {
			if r.good[j] {
				good++
			}
		}
		if good < s.k {
			h.Recoverable = false
		}
	}
	if g.nBlocks() == 0 && len(h.Damaged()) > s.m {
		// An empty blob has no blocks; its headers are all there is.
		h.Recoverable = false
	}
	return h
}

// Repair rewrites every missing or damaged shard of blob id from the
// verified blocks of the others. It fails with ErrUnreadable when some
// block has fewer than k verified shards, and reports the shards it could
// not rewrite (e.g. on a dead disk).
func (s *Store) Repair(ctx context.Context, id ID) error {
	g, err := s.geometry(ctx, id)
	if err != nil {
		return err
	}
	nb := g.nBlocks()
	all := s.readAll(ctx, id, g, 0, nb)
	defer s.release(all...)
	if err := ctx.Err(); err != nil {
		return err
	}
	h := s.health(g, all)
	bad := h.Damaged()
	if len(bad) == 0 {
		return nil
	}
	if !h.Recoverable {
		return fmt.Errorf("blob %s: repair: shards %v damaged: %w", id, bad, ErrUnreadable)
	}
	scratch := s.bufs.get(len(s.disks) * g.blockSize)
	defer s.bufs.put(scratch)
	blocks := make([][]byte, len(s.disks))
	for j := 0; j < nb; j++ {
		if err := s.rebuildBlock(g, j, 0, all, blocks, *scratch, true); err != nil {
			return fmt.Errorf("blob %s: repair block %d: %w", id, j, err)
		}
		for _, i := range bad {
			if !all[i].good[j] {
				copy(all[i].block(g, j), blocks[i])
			}
		}
	}
	errs := make([]error, len(bad))
	var wg sync.WaitGroup
	for n, i := range bad {
		wg.Go(func() {
			data := all[i].data[:g.shardLen()]
			hdr := appendHeader(make([]byte, 0, g.headerLen()), id, i, g, data)
			if err := s.disks[i].WriteFile(ctx, shardName(id, i), hdr, data); err != nil {
				errs[n] = fmt.Errorf("shard %d: %w", i, err)
				return
			}
			s.log.WithFields(s.fields(id, i)).WithField("was", h.Shards[i].State.String()).Info("shard repaired")
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("blob %s: repair: %w", id, err)
	}
	return nil
}
