package objstore

import (
	"slices"
	"sort"
)

// piece is a run of written bytes at a file offset.
type piece struct {
	off  uint64
	data []byte
}

func (p piece) end() uint64 { return p.off + uint64(len(p.data)) }

// pieceMap holds an open file's buffered writes: sorted, non-overlapping,
// non-adjacent runs. Sequential writes append to one growing run.
type pieceMap struct {
	pieces []piece
	bytes  int
	// grain is the size of the stretches sealed into blobs (BlobSize).
	grain int
	// full: a run may hold a grain or more since sealFullLocked last
	// looked, so scattered writes do not make it scan every run.
	full bool
}

// streamMin is the run length from which a growing run is taken for a
// stream and gets room for a whole grain at once.
const streamMin = 64 << 10

// roomFor is the capacity a run that must hold need bytes gets when it
// grows at its end. A stream's run gets a grain plus a quarter, so its
// bytes are copied once on the way in, a full grain is sealed without a
// copy, and the rest (less than one write) moves to the next buffer; a
// small run doubles, so a small file pays for what it holds.
func (m *pieceMap) roomFor(need int) int {
	if need < streamMin || m.grain == 0 {
		return 2 * need
	}
	return max(need, m.grain+m.grain/4)
}

// write lays p at off over whatever was buffered there. With inPlace, a
// write that falls on one run overwrites its bytes where they lie (and may
// grow it at its end); without, overwritten bytes are left as they were
// for whoever still reads them (the MD5 hasher) and the runs concerned
// are rebuilt.
func (m *pieceMap) write(off uint64, p []byte, inPlace bool) {
	end := off + uint64(len(p))
	// Fast path: appending to the last run (sequential writes).
	if n := len(m.pieces); n > 0 && m.pieces[n-1].end() == off {
		m.grow(n-1, p)
		return
	}
	// Runs that overlap or touch [off, end) merge into one.
	lo := sort.Search(len(m.pieces), func(i int) bool { return m.pieces[i].end() >= off })
	hi := lo
	for hi < len(m.pieces) && m.pieces[hi].off <= end {
		hi++
	}
	if inPlace && hi == lo+1 && m.pieces[lo].off <= off {
		// A rewrite of buffered bytes (a database page, a header):
		// copying the whole run for it made every such write cost the
		// run's size.
		q := &m.pieces[lo]
		n := copy(q.data[off-q.off:], p)
		if n < len(p) {
			m.grow(lo, p[n:])
		}
		return
	}
	start, stop := off, end
	if lo < hi {
		start = min(start, m.pieces[lo].off)
		stop = max(stop, m.pieces[hi-1].end())
	}
	// A run that may grow by appends (a new or longer last one) gets
	// room to grow; others are exactly their size, so scattered small
	// writes and rewrites cost what they hold.
	room := stop - start
	if hi == len(m.pieces) && (lo == hi || end > m.pieces[hi-1].end()) {
		room = uint64(m.roomFor(int(room)))
	}
	buf := make([]byte, stop-start, room)
	for _, q := range m.pieces[lo:hi] {
		copy(buf[q.off-start:], q.data)
		m.bytes -= len(q.data)
	}
	copy(buf[off-start:], p)
	m.bytes += len(buf)
	m.full = m.full || len(buf) >= m.grain
	merged := piece{off: start, data: buf}
	if hi > lo {
		m.pieces[lo] = merged
		m.pieces = slices.Delete(m.pieces, lo+1, hi)
	} else {
		m.pieces = slices.Insert(m.pieces, lo, merged)
	}
}

// grow appends p to run i, which nothing follows closer than its new end.
// Only the bytes past the run's length are written, which no one else
// holds: the hasher and sealed runs get slices capped at their length.
func (m *pieceMap) grow(i int, p []byte) {
	q := &m.pieces[i]
	if need := len(q.data) + len(p); need > cap(q.data) {
		room := need + need/4 // a run in the middle grows as a slice does
		if i == len(m.pieces)-1 {
			room = m.roomFor(need)
		}
		q.data = append(make([]byte, 0, room), q.data...)
	}
	q.data = append(q.data, p...)
	m.bytes += len(p)
	m.full = m.full || len(q.data) >= m.grain
}

// truncate drops buffered bytes at or beyond size.
func (m *pieceMap) truncate(size uint64) {
	out := m.pieces[:0]
	m.bytes = 0
	for _, q := range m.pieces {
		if q.off >= size {
			continue
		}
		if q.end() > size {
			// Capped: the bytes cut off may still be read by a
			// stopped hasher, so growing the run again must not
			// write over them.
			n := size - q.off
			q.data = q.data[:n:n]
		}
		m.bytes += len(q.data)
		out = append(out, q)
	}
	m.pieces = out
}

// readInto copies the buffered bytes that fall in [off, off+len(p)) into p.
func (m *pieceMap) readInto(p []byte, off uint64) {
	end := off + uint64(len(p))
	i := sort.Search(len(m.pieces), func(i int) bool { return m.pieces[i].end() > off })
	for ; i < len(m.pieces) && m.pieces[i].off < end; i++ {
		q := m.pieces[i]
		lo, hi := max(q.off, off), min(q.end(), end)
		copy(p[lo-off:hi-off], q.data[lo-q.off:hi-q.off])
	}
}

// slice returns the buffered bytes at [off, off+n), which one write has
// just put there (so they lie in one run).
func (m *pieceMap) slice(off uint64, n int) []byte {
	i := sort.Search(len(m.pieces), func(i int) bool { return m.pieces[i].end() > off })
	q := m.pieces[i]
	return q.data[off-q.off : off-q.off+uint64(n) : off-q.off+uint64(n)]
}

func (m *pieceMap) reset() { m.pieces, m.bytes = nil, 0 }
