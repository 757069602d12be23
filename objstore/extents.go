package objstore

import (
	"cmp"
	"slices"
	"sort"

	"github.com/shallot-storage/shallot/meta"
)

// overlay returns list with each extent of add laid on top, later ones
// over earlier ones: whatever they cover is cut out of what lay there.
// list is sorted by Off and non-overlapping; so is the result. When add is
// itself sorted and non-overlapping (a commit's buffered runs) this is one
// linear merge; otherwise the extents are laid one at a time.
func overlay(list []meta.Extent, add []meta.Extent) []meta.Extent {
	if sortedDisjoint(add) {
		return overlaySorted(list, add)
	}
	out := list
	for _, e := range add {
		out = overlaySorted(out, []meta.Extent{e})
	}
	return out
}

func sortedDisjoint(l []meta.Extent) bool {
	for i := 1; i < len(l); i++ {
		if l[i].Off < l[i-1].End() {
			return false
		}
	}
	return true
}

// overlaySorted merges sorted, disjoint add over list in one pass.
func overlaySorted(list, add []meta.Extent) []meta.Extent {
	out := make([]meta.Extent, 0, len(list)+2*len(add))
	i := 0
	// cut, when set, stands for list[i] with its head cut off by an add.
	var cut meta.Extent
	hasCut := false
	peek := func() (meta.Extent, bool) {
		if hasCut {
			return cut, true
		}
		if i < len(list) {
			return list[i], true
		}
		return meta.Extent{}, false
	}
	pop := func() { hasCut = false; i++ }
	for _, e := range add {
		for x, ok := peek(); ok && x.End() <= e.Off; x, ok = peek() {
			out = append(out, x)
			pop()
		}
		for x, ok := peek(); ok && x.Off < e.End(); x, ok = peek() {
			if x.Off < e.Off {
				out = append(out, meta.Extent{Off: x.Off, Len: e.Off - x.Off, Blob: x.Blob, BlobOff: x.BlobOff})
			}
			if x.End() > e.End() {
				n := e.End() - x.Off
				cut, hasCut = meta.Extent{Off: e.End(), Len: x.Len - n, Blob: x.Blob, BlobOff: x.BlobOff + n}, true
				break
			}
			pop()
		}
		out = append(out, e)
	}
	for x, ok := peek(); ok; x, ok = peek() {
		out = append(out, x)
		pop()
	}
	return out
}

// firstOverlapping is the index of the first extent of a sorted, disjoint
// list that ends after off.
func firstOverlapping(list []meta.Extent, off uint64) int {
	return sort.Search(len(list), func(i int) bool { return list[i].End() > off })
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
// touching only the records that changed. Both lists are layouts, sorted
// by offset, so one merge walk finds the changes: a fragmented file has
// hundreds of thousands of extents, and random writers wait for every
// commit of it (a map of the old layout cost 30 ms a commit at 260,000).
func writeExtentDiff(x *meta.Txn, ino uint64, old, cur []meta.Extent) error {
	old, cur = byOffset(old), byOffset(cur)
	i := 0
	for _, e := range cur {
		for ; i < len(old) && old[i].Off < e.Off; i++ {
			if err := x.DeleteExtent(ino, old[i].Off); err != nil {
				return err
			}
		}
		if i < len(old) && old[i] == e {
			i++
			continue
		}
		if i < len(old) && old[i].Off == e.Off {
			i++ // replaced in place by the put
		}
		if err := x.PutExtent(ino, e); err != nil {
			return err
		}
	}
	for ; i < len(old); i++ {
		if err := x.DeleteExtent(ino, old[i].Off); err != nil {
			return err
		}
	}
	return nil
}

// byOffset returns list sorted by offset: itself when it is already, as
// every layout is by construction; a sorted copy otherwise, so that a
// layout built wrongly costs a sort rather than wrong records.
func byOffset(list []meta.Extent) []meta.Extent {
	if sortedDisjoint(list) {
		return list
	}
	out := slices.Clone(list)
	slices.SortFunc(out, func(a, b meta.Extent) int { return cmp.Compare(a.Off, b.Off) })
	return out
}
