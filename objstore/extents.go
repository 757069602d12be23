package objstore

import (
	"sort"

	"github.com/shallot-storage/shallot/meta"
)

// overlay returns list with each extent of add laid on top, later ones
// over earlier ones: whatever they cover is cut out of what lay there.
// list is sorted by Off and non-overlapping; so is the result.
func overlay(list []meta.Extent, add []meta.Extent) []meta.Extent {
	out := append([]meta.Extent(nil), list...)
	for _, e := range add {
		next := make([]meta.Extent, 0, len(out)+2)
		for _, x := range out {
			if x.End() <= e.Off || x.Off >= e.End() {
				next = append(next, x)
				continue
			}
			if x.Off < e.Off {
				next = append(next, meta.Extent{Off: x.Off, Len: e.Off - x.Off, Blob: x.Blob, BlobOff: x.BlobOff})
			}
			if x.End() > e.End() {
				cut := e.End() - x.Off
				next = append(next, meta.Extent{Off: e.End(), Len: x.Len - cut, Blob: x.Blob, BlobOff: x.BlobOff + cut})
			}
		}
		next = append(next, e)
		sort.Slice(next, func(i, j int) bool { return next[i].Off < next[j].Off })
		out = next
	}
	return out
}

// truncateExtents drops what lies at or beyond size.
func truncateExtents(list []meta.Extent, size uint64) []meta.Extent {
	out := make([]meta.Extent, 0, len(list))
	for _, x := range list {
		if x.Off >= size {
			continue
		}
		if x.End() > size {
			x.Len = size - x.Off
		}
		out = append(out, x)
	}
	return out
}

// shiftExtents moves every extent by delta bytes of file offset.
func shiftExtents(list []meta.Extent, delta uint64) []meta.Extent {
	out := make([]meta.Extent, len(list))
	for i, x := range list {
		x.Off += delta
		out[i] = x
	}
	return out
}

func storedBytes(list []meta.Extent) uint64 {
	var n uint64
	for _, x := range list {
		n += x.Len
	}
	return n
}

// unreferenced lists the blobs named in old but not in cur.
func unreferenced(old, cur []meta.Extent) []uint64 {
	keep := make(map[uint64]bool, len(cur))
	for _, x := range cur {
		keep[x.Blob] = true
	}
	var out []uint64
	seen := map[uint64]bool{}
	for _, x := range old {
		if !keep[x.Blob] && !seen[x.Blob] {
			seen[x.Blob] = true
			out = append(out, x.Blob)
		}
	}
	return out
}

// writeExtentDiff makes the stored extents of ino go from old to cur,
// touching only the records that changed.
func writeExtentDiff(x *meta.Txn, ino uint64, old, cur []meta.Extent) error {
	was := make(map[uint64]meta.Extent, len(old))
	for _, e := range old {
		was[e.Off] = e
	}
	for _, e := range cur {
		if prev, ok := was[e.Off]; ok {
			delete(was, e.Off)
			if prev == e {
				continue
			}
		}
		if err := x.PutExtent(ino, e); err != nil {
			return err
		}
	}
	for off := range was {
		if err := x.DeleteExtent(ino, off); err != nil {
			return err
		}
	}
	return nil
}
