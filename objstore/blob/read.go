package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

// headerProbe is how much of a shard file a header lookup reads at first;
// it covers the header of shards up to 4 MiB with 4 KiB blocks.
const headerProbe = 4 << 10

// geometry returns the geometry of blob id, from the cache or from the
// first shard header that verifies (data shard 0 first, since reads start
// there most often).
func (s *Store) geometry(ctx context.Context, id ID) (geometry, error) {
	if g, ok := s.geo.get(id); ok {
		return g, nil
	}
	var errs []error
	missing := 0
	for i := range s.disks {
		h, raw, err := s.readHeader(ctx, id, i)
		if err == nil {
			g := h.geometry
			s.bufs.put(raw)
			s.geo.add(id, g)
			return g, nil
		}
		if ctx.Err() != nil {
			return geometry{}, ctx.Err()
		}
		if errors.Is(err, fs.ErrNotExist) {
			missing++
		}
		s.log.WithFields(s.fields(id, i)).WithError(err).Warn("shard header unusable")
		errs = append(errs, err)
	}
	if missing == len(s.disks) {
		return geometry{}, fmt.Errorf("blob %s: no shard found: %w", id, fs.ErrNotExist)
	}
	return geometry{}, fmt.Errorf("blob %s: no shard header verifies: %w: %w", id, ErrUnreadable, errors.Join(errs...))
}

// readHeader reads and verifies the header of shard i of id. The header
// aliases the returned pooled buffer.
func (s *Store) readHeader(ctx context.Context, id ID, i int) (header, *[]byte, error) {
	name := shardName(id, i)
	raw := s.bufs.get(headerProbe)
	n, err := s.disks[i].ReadAt(ctx, name, *raw, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		s.bufs.put(raw)
		return header{}, nil, err
	}
	h, err := decodeHeader((*raw)[:n])
	var short *shortHeaderError
	if errors.As(err, &short) && n == headerProbe {
		s.bufs.put(raw)
		raw = s.bufs.get(short.need)
		if err = readFull(ctx, s.disks[i].ReadAt, name, *raw, 0); err == nil {
			h, err = decodeHeader(*raw)
		}
	} else if errors.As(err, &short) {
		err = fmt.Errorf("%w: truncated header", errCorrupt)
	}
	if err == nil && (h.id != id || h.shard != i) {
		err = fmt.Errorf("%w: header of blob %s shard %d", errCorrupt, h.id, h.shard)
	}
	if err != nil {
		s.bufs.put(raw)
		return header{}, nil, err
	}
	return h, raw, nil
}

// Size returns the length of blob id.
func (s *Store) Size(ctx context.Context, id ID) (int64, error) {
	g, err := s.geometry(ctx, id)
	if err != nil {
		return 0, err
	}
	return g.size, nil
}

// ReadAt reads len(p) bytes of blob id at offset off, with the semantics
// of io.ReaderAt. It reads only the checksum blocks of the data shards
// that hold the range; a block that is missing or fails its checksum is
// rebuilt from the same blocks of the other shards. Each shard found
// damaged is logged once per call.
func (s *Store) ReadAt(ctx context.Context, id ID, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("blob %s: read at %d: %w", id, off, fs.ErrInvalid)
	}
	if len(p) == 0 {
		return 0, nil
	}
	g, err := s.geometry(ctx, id)
	if err != nil {
		return 0, err
	}
	if off >= g.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.size-off))
	if err := s.read(ctx, id, g, p[:n], off); err != nil {
		return 0, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// piece is the part of a read that one data shard holds.
type piece struct {
	shard int
	a, b  int64  // byte range within the shard
	dst   []byte // where its bytes go
	r     *shardRange
}

func (s *Store) read(ctx context.Context, id ID, g geometry, p []byte, off int64) error {
	sl, bs := g.shardLen(), int64(g.blockSize)
	end := off + int64(len(p))
	var pieces []piece
	for i := int(off / sl); i < s.k && int64(i)*sl < end; i++ {
		a := max(off, int64(i)*sl) - int64(i)*sl
		b := min(end, int64(i+1)*sl) - int64(i)*sl
		dst := p[int64(i)*sl+a-off : int64(i)*sl+b-off]
		pieces = append(pieces, piece{shard: i, a: a, b: b, dst: dst})
	}
	readPiece := func(pc *piece) {
		pc.r = s.readRange(ctx, id, g, pc.shard, int(pc.a/bs), int((pc.b+bs-1)/bs))
	}
	if len(pieces) == 1 {
		readPiece(&pieces[0])
	} else {
		var wg sync.WaitGroup
		for i := range pieces {
			wg.Go(func() { readPiece(&pieces[i]) })
		}
		wg.Wait()
	}
	defer func() {
		for i := range pieces {
			s.release(pieces[i].r)
		}
	}()

	problems := make(map[int]error)
	defer s.logProblems(id, problems)
	damaged := false
	for i := range pieces {
		if pieces[i].r.err != nil {
			problems[pieces[i].shard] = pieces[i].r.err
			damaged = true
		}
	}
	if damaged {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.heal(ctx, id, g, pieces, problems); err != nil {
			return err
		}
	}
	for _, pc := range pieces {
		start := pc.a - int64(pc.r.j0)*bs
		copy(pc.dst, pc.r.data[start:start+pc.b-pc.a])
	}
	return nil
}

// heal rebuilds the bad blocks of the pieces in place. It reads the block
// span covering them from every shard, and per bad block takes the block
// from a re-read that verified, or reconstructs it from k verified blocks.
func (s *Store) heal(ctx context.Context, id ID, g geometry, pieces []piece, problems map[int]error) error {
	j0, j1 := -1, -1
	for _, pc := range pieces {
		for j := pc.r.j0; j < pc.r.j1; j++ {
			if !pc.r.good[j-pc.r.j0] {
				if j0 < 0 || j < j0 {
					j0 = j
				}
				j1 = max(j1, j+1)
			}
		}
	}
	all := s.readAll(ctx, id, g, j0, j1)
	defer s.release(all...)
	for i, r := range all {
		if r.err != nil {
			if _, seen := problems[i]; !seen {
				problems[i] = r.err
			}
		}
	}
	scratch := s.bufs.get(len(s.disks) * g.blockSize)
	defer s.bufs.put(scratch)
	blocks := make([][]byte, len(s.disks))
	for j := j0; j < j1; j++ {
		rebuilt := false
		for _, pc := range pieces {
			r := pc.r
			if j < r.j0 || j >= r.j1 || r.good[j-r.j0] {
				continue
			}
			if all[pc.shard].good[j-j0] {
				copy(r.block(g, j), all[pc.shard].block(g, j))
				continue
			}
			if !rebuilt {
				if err := s.rebuildBlock(g, j, j0, all, blocks, *scratch, false); err != nil {
					return fmt.Errorf("blob %s: block %d: %w", id, j, err)
				}
				rebuilt = true
			}
			copy(r.block(g, j), blocks[pc.shard])
		}
	}
	return nil
}

// readAll reads blocks [j0, j1) of every shard in parallel.
func (s *Store) readAll(ctx context.Context, id ID, g geometry, j0, j1 int) []*shardRange {
	all := make([]*shardRange, len(s.disks))
	var wg sync.WaitGroup
	for i := range all {
		wg.Go(func() { all[i] = s.readRange(ctx, id, g, i, j0, j1) })
	}
	wg.Wait()
	return all
}

// rebuildBlock fills blocks with block j of every shard (of the data
// shards only, unless parity is set): verified blocks alias the ranges in
// all (which start at block j0), the others are decoded into scratch.
func (s *Store) rebuildBlock(g geometry, j, j0 int, all []*shardRange, blocks [][]byte, scratch []byte, parity bool) error {
	good := 0
	for i, r := range all {
		if r.good[j-j0] {
			blocks[i] = r.block(g, j)
			good++
		} else {
			blocks[i] = scratch[i*g.blockSize : i*g.blockSize : (i+1)*g.blockSize]
		}
	}
	if good < s.k {
		return fmt.Errorf("%d of %d shards verify, %d needed: %w", good, len(all), s.k, ErrUnreadable)
	}
	if good == len(all) {
		return nil
	}
	if parity {
		return s.enc.Reconstruct(blocks)
	}
	return s.enc.ReconstructData(blocks)
}

func (s *Store) logProblems(id ID, problems map[int]error) {
	for i, err := range problems {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		s.log.WithFields(s.fields(id, i)).WithError(err).Warn("damaged shard")
	}
}
