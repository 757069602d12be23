package objstore

import "sort"

// Seek serves lseek(2)'s SEEK_DATA (hole false) and SEEK_HOLE (hole true)
// on an open file: the first offset at or after off where data, or a hole,
// begins. Data is what the file stores or has buffered (inline content,
// extents, blobs being written, buffered writes); everything else below
// the size is a hole, and the end of the file counts as one. found is
// false where lseek answers ENXIO: off at or past the size, or no data
// after off.
func (h *Handle) Seek(off uint64, hole bool) (pos uint64, found bool) {
	f := h.f
	f.mu.RLock()
	defer f.mu.RUnlock()
	if off >= f.size {
		return 0, false
	}
	spans := f.dataSpansLocked()
	i := sort.Search(len(spans), func(i int) bool { return spans[i].end > off })
	if !hole {
		if i == len(spans) {
			return 0, false
		}
		return max(off, spans[i].off), true
	}
	if i == len(spans) || spans[i].off > off {
		return off, true
	}
	return min(spans[i].end, f.size), true
}

// span is a byte range [off, end) of a file.
type span struct{ off, end uint64 }

// dataSpansLocked returns where the file holds data, sorted, merged, and
// clipped to the size.
func (f *openFile) dataSpansLocked() []span {
	s := make([]span, 0, len(f.view)+len(f.runs)+len(f.dirty.pieces)+1)
	// Merged inline bytes are among the buffered writes, cut as they are.
	if n := uint64(len(f.inline)); n > 0 && !f.inlineMerged {
		s = append(s, span{0, n})
	}
	for _, x := range f.view {
		s = append(s, span{x.Off, x.End()})
	}
	for _, r := range f.runs {
		s = append(s, span{r.off, r.off + uint64(len(r.data))})
	}
	for _, q := range f.dirty.pieces {
		s = append(s, span{q.off, q.end()})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].off < s[j].off })
	out := s[:0]
	for _, x := range s {
		x.end = min(x.end, f.size)
		if x.off >= x.end {
			continue
		}
		if n := len(out); n > 0 && x.off <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, x.end)
			continue
		}
		out = append(out, x)
	}
	return out
}
