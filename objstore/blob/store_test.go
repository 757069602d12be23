package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"
	"testing"

	"github.com/klauspost/reedsolomon"
)

func TestRoundTrip(t *testing.T) {
	r := newRig(t, false, Options{})
	bs := DefaultBlockSize
	sizes := []int{0, 1, 3, bs - 1, bs, bs + 1, 4 * bs, 4*bs + 1, 4*bs - 1, 16*bs + 3, 100_003, 1 << 20, 4<<20 - 1, 4 << 20}
	for n, size := range sizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			id := ID(n + 1)
			data := pattern(uint64(size), size)
			r.put(t, id, data)
			sl := int64((size + 3) / 4)
			for _, s := range []*Store{r.s, r.fresh(t)} {
				if got, err := s.Size(context.Background(), id); err != nil || got != int64(size) {
					t.Fatalf("Size = %d, %v", got, err)
				}
				checkRead(t, s, id, data, 0, size)
				offs := []int64{0, 1, int64(size) / 2, int64(size) - 1, int64(size), int64(size) + 10,
					int64(bs) - 1, int64(bs), sl - 1, sl, sl + 1, 2*sl - 3, 3 * sl}
				for _, off := range offs {
					if off < 0 {
						continue
					}
					for _, l := range []int{1, 2, bs, bs + 7, 3*bs + 1, size} {
						if l > 0 {
							checkRead(t, s, id, data, off, l)
						}
					}
				}
			}
		})
	}
}

func TestReadAtEdges(t *testing.T) {
	r := newRig(t, false, Options{})
	ctx := context.Background()
	r.put(t, 1, pattern(1, 100))
	if n, err := r.s.ReadAt(ctx, 1, nil, 50); n != 0 || err != nil {
		t.Errorf("empty read = %d, %v", n, err)
	}
	if _, err := r.s.ReadAt(ctx, 1, make([]byte, 1), -1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("negative offset: %v", err)
	}
	if n, err := r.s.ReadAt(ctx, 1, make([]byte, 1), 100); n != 0 || err != io.EOF {
		t.Errorf("read at end = %d, %v", n, err)
	}
	if _, err := r.s.ReadAt(ctx, 99, make([]byte, 1), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing blob: %v", err)
	}
	if _, err := r.s.Size(ctx, 99); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Size of missing blob: %v", err)
	}
	if err := r.s.Put(ctx, 2, make([]byte, 4<<20+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized Put: %v", err)
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		disks int
		opts  Options
		ok    bool
	}{
		{"defaults", 6, Options{}, true},
		{"8+3", 11, Options{DataShards: 8, ParityShards: 3}, true},
		{"wrongDiskCount", 5, Options{}, false},
		{"blockNotPowerOfTwo", 6, Options{BlockSize: 5000}, false},
		{"blockTooSmall", 6, Options{BlockSize: 256}, false},
		{"tooManyShards", 300, Options{DataShards: 250, ParityShards: 50}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disks := make([]diskAlias, tc.disks)
			for i := range disks {
				disks[i] = memDisk(i)
			}
			_, err := New(disks, tc.opts)
			if (err == nil) != tc.ok {
				t.Fatalf("New = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestOtherGeometries(t *testing.T) {
	for _, tc := range []struct{ k, m, bs int }{{2, 1, 512}, {3, 2, 16 << 10}, {8, 3, 4096}} {
		t.Run(fmt.Sprintf("%d+%d/%d", tc.k, tc.m, tc.bs), func(t *testing.T) {
			r := newRig(t, false, Options{DataShards: tc.k, ParityShards: tc.m, BlockSize: tc.bs})
			data := pattern(5, 200_001)
			r.put(t, 5, data)
			for i := 0; i < tc.m; i++ {
				r.removeShard(t, 5, (i*2)%(tc.k+tc.m))
			}
			readAllOf(t, r.fresh(t), 5, data)
		})
	}
}

func TestSizeFromAnyShard(t *testing.T) {
	r := newRig(t, false, Options{})
	r.put(t, 3, pattern(3, 5000))
	r.removeShard(t, 3, 0)
	r.corruptShard(t, 3, 1, 10)
	s := r.fresh(t)
	if n, err := s.Size(context.Background(), 3); n != 5000 || err != nil {
		t.Fatalf("Size = %d, %v", n, err)
	}
}

func TestDeleteAndList(t *testing.T) {
	r := newRig(t, false, Options{})
	ctx := context.Background()
	for _, id := range []ID{30, 10, 20} {
		r.put(t, id, pattern(uint64(id), 1000))
	}
	r.removeShard(t, 20, 0)
	if err := r.s.Delete(ctx, 20); err != nil {
		t.Fatalf("Delete with a shard missing: %v", err)
	}
	if err := r.s.Delete(ctx, 20); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	// An orphan shard alone still makes its blob listed.
	r.removeShard(t, 30, 0)
	var ids []ID
	if err := r.s.List(ctx, func(id ID) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []ID{10, 30}) {
		t.Fatalf("List = %v", ids)
	}
	if _, err := r.s.ReadAt(ctx, 20, make([]byte, 1), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("read of deleted blob: %v", err)
	}
}

func TestCapacity(t *testing.T) {
	ctx := context.Background()
	disks := make([]diskAlias, 6)
	for i := range disks {
		disks[i] = memDiskCap(i, uint64(1000*(i+1)))
	}
	s, err := New(disks, Options{})
	if err != nil {
		t.Fatal(err)
	}
	total, free, err := s.Capacity(ctx)
	if err != nil || total != 4000 || free != 4000 {
		t.Fatalf("Capacity = %d, %d, %v; want 4000, 4000", total, free, err)
	}
}

func TestConcurrent(t *testing.T) {
	r := newRig(t, false, Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 8 {
				id := ID(g*100 + i + 1)
				data := pattern(uint64(id), 20_000+i*4099)
				if err := r.s.Put(ctx, id, data); err != nil {
					t.Error(err)
					return
				}
				p := make([]byte, 5000)
				if _, err := r.s.ReadAt(ctx, id, p, 7000); err != nil {
					t.Error(err)
					return
				}
				if string(p) != string(data[7000:12000]) {
					t.Error("concurrent read returned wrong bytes")
				}
			}
		})
	}
	wg.Wait()
}

func TestSelfTestKnownGeometries(t *testing.T) {
	for _, km := range [][2]int{{2, 1}, {3, 2}, {4, 2}, {6, 3}, {8, 4}, {10, 4}, {12, 4}} {
		enc, err := reedsolomon.New(km[0], km[1])
		if err != nil {
			t.Fatal(err)
		}
		if knownParity(km[0], km[1]) == "" {
			t.Fatalf("%v: no known parity hash", km)
		}
		if err := selfTest(enc, km[0], km[1]); err != nil {
			t.Fatal(err)
		}
	}
}
