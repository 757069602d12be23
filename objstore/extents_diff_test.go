package objstore

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/shallot-storage/shallot/meta"
)

// TestWriteExtentDiff: after the diff from old to cur the stored records
// are cur, whatever the two layouts share: random layouts from a few
// offsets (so that many extents coincide, move or change blob), and an
// unsorted cur, which must be sorted rather than misread.
func TestWriteExtentDiff(t *testing.T) {
	db, err := meta.Open(meta.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	layout := func() []meta.Extent {
		var out []meta.Extent
		for off := uint64(0); off < 40; off += 1 + uint64(rng.IntN(3)) {
			if rng.IntN(4) > 0 {
				out = append(out, meta.Extent{Off: off, Len: 1, Blob: uint64(1 + rng.IntN(3)), BlobOff: uint64(rng.IntN(2))})
			}
		}
		return out
	}
	cases := [][2][]meta.Extent{
		{nil, nil},
		{nil, {{Off: 0, Len: 5, Blob: 1}}},
		{{{Off: 0, Len: 5, Blob: 1}}, nil},
		{{{Off: 0, Len: 5, Blob: 1}}, {{Off: 0, Len: 5, Blob: 2}}},
		{{{Off: 0, Len: 5, Blob: 1}, {Off: 9, Len: 1, Blob: 1}}, {{Off: 9, Len: 1, Blob: 1}, {Off: 3, Len: 2, Blob: 4}}},
	}
	for range 300 {
		cases = append(cases, [2][]meta.Extent{layout(), layout()})
	}
	for n, c := range cases {
		ino := uint64(100 + n)
		old, cur := c[0], c[1]
		stored := func() []meta.Extent {
			var got []meta.Extent
			if err := db.View(func(x *meta.Txn) (err error) { got, err = x.Extents(ino); return }); err != nil {
				t.Fatal(err)
			}
			return got
		}
		mustUpdate := func(fn func(x *meta.Txn) error) {
			if err := db.Update(fn); err != nil {
				t.Fatal(err)
			}
		}
		mustUpdate(func(x *meta.Txn) error { return writeExtentDiff(x, ino, nil, old) })
		mustUpdate(func(x *meta.Txn) error { return writeExtentDiff(x, ino, old, cur) })
		want := byOffset(cur)
		if got := stored(); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("case %d: %s\n -> %s\n stored %s", n, fmt.Sprint(old), fmt.Sprint(cur), fmt.Sprint(got))
		}
		if !slices.IsSortedFunc(cur, func(a, b meta.Extent) int { return int(a.Off) - int(b.Off) }) && &byOffset(cur)[0] == &cur[0] {
			t.Fatalf("case %d: byOffset returned an unsorted layout as it was", n)
		}
	}
}
