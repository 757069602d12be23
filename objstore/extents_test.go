package objstore

import (
	"math/rand"
	"reflect"
	"testing"

	"github.com/shallot-storage/shallot/meta"
)

func TestOverlay(t *testing.T) {
	x := func(off, n, blob, boff uint64) meta.Extent {
		return meta.Extent{Off: off, Len: n, Blob: blob, BlobOff: boff}
	}
	cases := []struct {
		name      string
		list, add []meta.Extent
		want      []meta.Extent
	}{
		{"empty", nil, []meta.Extent{x(0, 10, 1, 0)}, []meta.Extent{x(0, 10, 1, 0)}},
		{"disjoint", []meta.Extent{x(0, 10, 1, 0)}, []meta.Extent{x(20, 5, 2, 0)},
			[]meta.Extent{x(0, 10, 1, 0), x(20, 5, 2, 0)}},
		{"middle splits", []meta.Extent{x(0, 100, 1, 0)}, []meta.Extent{x(40, 10, 2, 7)},
			[]meta.Extent{x(0, 40, 1, 0), x(40, 10, 2, 7), x(50, 50, 1, 50)}},
		{"covers several", []meta.Extent{x(0, 10, 1, 0), x(10, 10, 2, 0), x(20, 10, 3, 0)},
			[]meta.Extent{x(5, 20, 4, 0)}, []meta.Extent{x(0, 5, 1, 0), x(5, 20, 4, 0), x(25, 5, 3, 5)}},
		{"exact replace", []meta.Extent{x(0, 10, 1, 0)}, []meta.Extent{x(0, 10, 2, 3)}, []meta.Extent{x(0, 10, 2, 3)}},
		{"later add wins", nil, []meta.Extent{x(0, 10, 1, 0), x(5, 10, 2, 0)},
			[]meta.Extent{x(0, 5, 1, 0), x(5, 10, 2, 0)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := overlay(c.list, c.add); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
	if got := truncateExtents([]meta.Extent{x(0, 10, 1, 0), x(10, 10, 2, 0)}, 15); !reflect.DeepEqual(got, []meta.Extent{x(0, 10, 1, 0), x(10, 5, 2, 0)}) {
		t.Fatalf("truncate: %+v", got)
	}
	if got := unreferenced([]meta.Extent{x(0, 1, 1, 0), x(1, 1, 2, 0), x(2, 1, 1, 1)}, []meta.Extent{x(0, 1, 2, 0)}); !reflect.DeepEqual(got, []uint64{1}) {
		t.Fatalf("unreferenced: %v", got)
	}
}

func TestPieceMap(t *testing.T) {
	var m pieceMap
	m.write(10, []byte("abc"), false)
	m.write(13, []byte("def"), false) // appends
	m.write(0, []byte("01"), false)
	m.write(2, []byte("XXXXXXXXXX"), false) // bridges 0..12 and overlaps the run at 10
	if len(m.pieces) != 1 || m.pieces[0].off != 0 || string(m.pieces[0].data) != "01XXXXXXXXXXcdef" || m.bytes != 16 {
		t.Fatalf("merged: %+v bytes=%d", m.pieces, m.bytes)
	}
	m.write(100, []byte("far"), false)
	p := make([]byte, 8)
	m.readInto(p, 98)
	if string(p[2:5]) != "far" || p[0] != 0 {
		t.Fatalf("readInto: %q", p)
	}
	m.truncate(5)
	if len(m.pieces) != 1 || string(m.pieces[0].data) != "01XXX" || m.bytes != 5 {
		t.Fatalf("truncate: %+v", m.pieces)
	}
}

// TestOverlayAgainstByteModel compares overlay with a per-byte map of which
// blob byte each file byte comes from.
func TestOverlayAgainstByteModel(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	type src struct{ blob, off uint64 }
	for round := 0; round < 500; round++ {
		model := map[uint64]src{}
		var list []meta.Extent
		blob := uint64(1)
		for step := 0; step < 6; step++ {
			var add []meta.Extent
			for j := 0; j < 1+rng.Intn(5); j++ {
				e := meta.Extent{Off: uint64(rng.Intn(200)), Len: uint64(1 + rng.Intn(40)), Blob: blob, BlobOff: uint64(rng.Intn(10))}
				blob++
				add = append(add, e)
			}
			list = overlay(list, add)
			for _, e := range add {
				for b := uint64(0); b < e.Len; b++ {
					model[e.Off+b] = src{e.Blob, e.BlobOff + b}
				}
			}
			if !sortedDisjoint(list) {
				t.Fatalf("round %d: result not sorted and disjoint: %+v", round, list)
			}
			got := map[uint64]src{}
			for _, e := range list {
				for b := uint64(0); b < e.Len; b++ {
					got[e.Off+b] = src{e.Blob, e.BlobOff + b}
				}
			}
			if !reflect.DeepEqual(got, model) {
				t.Fatalf("round %d step %d: overlay differs from the byte model", round, step)
			}
		}
	}
}
