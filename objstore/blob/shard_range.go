package blob

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// shardRange is blocks [j0, j1) of one shard as read from its disk. Only
// the blocks marked good may be used.
type shardRange struct {
	shard  int
	j0, j1 int
	data   []byte // the blocks' bytes, aliasing raw
	good   []bool // good[j-j0]: block j verified against its checksum
	err    error  // the first problem found; nil when every block is good
	raw    *[]byte
}

// oneReadGap is how far into a shard a range may start and still be read
// together with the header in one request: reading a few extra KiB costs
// less than a second round trip.
const oneReadGap = 64 << 10

// readRange reads and verifies blocks [j0, j1) of shard i of blob id. It
// never fails as a whole: problems show up as bad blocks and r.err.
// With j0 == j1 it only checks the header. Release r with s.release.
func (s *Store) readRange(ctx context.Context, id ID, g geometry, i, j0, j1 int) *shardRange {
	r := &shardRange{shard: i, j0: j0, j1: j1, good: make([]bool, j1-j0)}
	hl := g.headerLen()
	a := int64(j0) * int64(g.blockSize)
	b := min(int64(j1)*int64(g.blockSize), g.shardLen())
	name := shardName(id, i)
	d := s.disks[i]

	var hdr []byte
	var err error
	var h header
	if table, ok := s.tables.get(id, i); ok && a > oneReadGap && j1 > j0 {
		// The checksum table is known: read the blocks alone.
		r.raw = s.bufs.get(int(b - a))
		r.data = *r.raw
		if err = readFull(ctx, d.ReadAt, name, r.data, int64(hl)+a); err != nil {
			r.err = err
			return r
		}
		h = header{id: id, shard: i, geometry: g, table: table}
		r.verify(g, &h)
		return r
	}
	if a <= oneReadGap {
		r.raw = s.bufs.get(hl + int(b))
		buf := *r.raw
		err = readFull(ctx, d.ReadAt, name, buf, 0)
		hdr, r.data = buf[:hl], buf[hl+int(a):]
	} else {
		r.raw = s.bufs.get(hl + int(b-a))
		buf := *r.raw
		hdr, r.data = buf[:hl], buf[hl:]
		if err = readFull(ctx, d.ReadAt, name, hdr, 0); err == nil {
			err = readFull(ctx, d.ReadAt, name, r.data, int64(hl)+a)
		}
	}
	if err != nil {
		r.err = err
		return r
	}
	h, err = decodeHeader(hdr)
	if err == nil {
		err = h.matches(id, i, g)
	}
	if err != nil {
		r.err = fmt.Errorf("shard header: %w", err)
		return r
	}
	if a > oneReadGap {
		// Deep reads are the random ones: the next may skip the header.
		s.tables.add(id, i, h.table)
	}
	r.verify(g, &h)
	return r
}

// verify checks the range's blocks against the header's table.
func (r *shardRange) verify(g geometry, h *header) {
	for j := r.j0; j < r.j1; j++ {
		off := (j - r.j0) * g.blockSize
		blk := r.data[off : off+g.blockLen(j)]
		if crc32.Checksum(blk, castagnoli) == h.blockCRC(j) {
			r.good[j-r.j0] = true
		} else if r.err == nil {
			r.err = fmt.Errorf("%w: block %d checksum mismatch", errCorrupt, j)
		}
	}
}

// block returns the bytes of block j, which must lie in the range.
func (r *shardRange) block(g geometry, j int) []byte {
	off := (j - r.j0) * g.blockSize
	return r.data[off : off+g.blockLen(j)]
}

func (s *Store) release(rs ...*shardRange) {
	for _, r := range rs {
		if r != nil {
			s.bufs.put(r.raw)
			r.raw, r.data = nil, nil
		}
	}
}

// matches checks that a header belongs where it was found.
func (h *header) matches(id ID, shard int, g geometry) error {
	if h.id != id || h.shard != shard || h.geometry != g {
		return fmt.Errorf("%w: header of blob %s shard %d (%d bytes, %d+%d, %d) found as blob %s shard %d (%d bytes, %d+%d, %d)",
			errCorrupt, h.id, h.shard, h.size, h.k, h.m, h.blockSize, id, shard, g.size, g.k, g.m, g.blockSize)
	}
	return nil
}

type readAtFunc func(ctx context.Context, name string, p []byte, off int64) (int, error)

// readFull reads exactly len(p) bytes; a short file is corrupt.
func readFull(ctx context.Context, readAt readAtFunc, name string, p []byte, off int64) error {
	n, err := readAt(ctx, name, p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: truncated (%d of %d bytes at %d)", errCorrupt, n, len(p), off)
	}
	return err
}
