package objstore

import (
	"bytes"
	"testing"
)

func TestSeekDataHole(t *testing.T) {
	s := small(t) // 1 KiB inline, 8 KiB blobs
	if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		t.Fatal(err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	a := mustCreate(t, s, bk.Ino, "f")
	h, _ := s.Open(ctx, a.Ino, false)
	defer h.Release(ctx)
	write := func(off int64, n int) {
		if _, err := h.WriteAt(ctx, bytes.Repeat([]byte("d"), n), off); err != nil {
			t.Fatal(err)
		}
	}
	// Data at [0,100) (inline once committed), [20000,40000) (blobs),
	// [100000,100010) (buffered); size 200000 after a truncate up.
	write(0, 100)
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	write(20000, 20000)
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	write(100000, 10)
	size := uint64(200000)
	if _, err := s.SetAttr(ctx, a.Ino, SetAttrIn{Size: &size}); err != nil {
		t.Fatal(err)
	}
	write(150000, 5) // buffered, after the truncate's commit
	for _, tc := range []struct {
		name  string
		off   uint64
		hole  bool
		pos   uint64
		found bool
	}{
		{"data at 0", 0, false, 0, true},
		{"data inside data", 50, false, 50, true},
		{"data from a hole", 100, false, 20000, true},
		{"data inside blobs", 30000, false, 30000, true},
		{"data from the second hole", 40000, false, 100000, true},
		{"buffered data", 100005, false, 100005, true},
		{"data after the last buffered write", 100010, false, 150000, true},
		{"no data after", 150005, false, 0, false},
		{"data at the end", 200000, false, 0, false},
		{"hole from data", 0, true, 100, true},
		{"hole inside a hole", 10000, true, 10000, true},
		{"hole from blob data", 20000, true, 40000, true},
		{"hole after the tail", 160000, true, 160000, true},
		{"hole past the end", 200001, true, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pos, found := h.Seek(tc.off, tc.hole)
			if pos != tc.pos || found != tc.found {
				t.Fatalf("Seek(%d, hole=%v) = %d, %v; want %d, %v", tc.off, tc.hole, pos, found, tc.pos, tc.found)
			}
		})
	}
}
