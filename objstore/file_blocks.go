package objstore

import (
	"cmp"
	"slices"
)

// storedLocked is what an open file with uncommitted changes stores, for
// st_blocks: the bytes its committed and staged layout, its runs in
// flight and its buffered writes cover, each byte counted once and none
// past the size. Holes count nothing, so a sparse file being written
// reports what it holds, not its size.
func (f *openFile) storedLocked() uint64 {
	type span struct{ lo, hi uint64 }
	spans := make([]span, 0, len(f.view)+len(f.runs)+len(f.dirty.pieces)+1)
	if !f.inlineMerged && len(f.inline) > 0 {
		spans = append(spans, span{0, uint64(len(f.inline))})
	}
	for _, x := range f.view {
		spans = append(spans, span{x.Off, x.End()})
	}
	for _, r := range f.runs {
		spans = append(spans, span{r.off, r.off + uint64(len(r.data))})
	}
	for _, q := range f.dirty.pieces {
		spans = append(spans, span{q.off, q.end()})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var n, reached uint64 // reached: end of the bytes counted so far
	for _, s := range spans {
		lo, hi := max(s.lo, reached), min(s.hi, f.size)
		if lo < hi {
			n += hi - lo
			reached = hi
		}
	}
	return n
}
