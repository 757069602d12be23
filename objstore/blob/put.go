package blob

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// Put stores data as blob id (see the package comment for the durability
// rule). data is only read, and not retained after Put returns.
func (s *Store) Put(ctx context.Context, id ID, data []byte) error {
	if len(data) > s.maxSize {
		return fmt.Errorf("blob %s: %d bytes: %w", id, len(data), ErrTooLarge)
	}
	g := geometry{size: int64(len(data)), k: s.k, m: s.m, blockSize: s.bs}
	shards, spare := s.split(data, g)
	defer s.bufs.put(spare)
	if g.size > 0 {
		if err := s.enc.Encode(shards); err != nil {
			return fmt.Errorf("blob %s: encode: %w", id, err)
		}
	}

	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i := range shards {
		wg.Go(func() {
			hdr := appendHeader(make([]byte, 0, g.headerLen()), id, i, g, shards[i])
			errs[i] = s.disks[i].WriteFile(ctx, shardName(id, i), hdr, shards[i])
		})
	}
	wg.Wait()

	written, fatal := 0, ctx.Err() != nil
	for _, err := range errs {
		switch {
		case err == nil:
			written++
		case errors.Is(err, disk.ErrNoSpace), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			fatal = true
		}
	}
	need := s.k
	if !fatal && written >= need {
		for i, err := range errs {
			if err != nil {
				s.log.WithFields(s.fields(id, i)).WithError(err).Warn("shard write failed; blob stored degraded")
			}
		}
		s.geo.add(id, g)
		return nil
	}
	s.removeShards(context.WithoutCancel(ctx), id)
	return fmt.Errorf("blob %s: put: %d of %d shards written, %d needed: %w", id, written, len(shards), need, errors.Join(errs...))
}

// split lays data out as k data shards and m parity shards of equal
// length. Data shards alias data where they can; the last, padded data
// shard and the parity live in the returned pooled buffer.
func (s *Store) split(data []byte, g geometry) ([][]byte, *[]byte) {
	sl := int(g.shardLen())
	full := 0 // data shards entirely inside data
	if sl > 0 {
		full = min(len(data)/sl, s.k)
	}
	spare := s.bufs.get((s.k + s.m - full) * sl)
	shards := make([][]byte, s.k+s.m)
	for i := range shards {
		if i < full {
			shards[i] = data[i*sl : (i+1)*sl]
			continue
		}
		b := (*spare)[(i-full)*sl : (i-full+1)*sl]
		if i < s.k {
			n := copy(b, data[min(i*sl, len(data)):])
			clear(b[n:])
		}
		shards[i] = b
	}
	return shards, spare
}

// removeShards deletes every shard of id it can, in parallel, ignoring
// errors: what it misses is an orphan that List finds later.
func (s *Store) removeShards(ctx context.Context, id ID) []error {
	errs := make([]error, len(s.disks))
	var wg sync.WaitGroup
	for i, d := range s.disks {
		wg.Go(func() { errs[i] = d.Remove(ctx, shardName(id, i)) })
	}
	wg.Wait()
	return errs
}

func (s *Store) fields(id ID, shard int) logrus.Fields {
	return logrus.Fields{"blob": id.String(), "disk": s.disks[shard].ID(), "shard": shard}
}
