package blob

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// damageSize gives shards of 25_001 bytes: 7 checksum blocks, the last short.
const damageSize = 100_003

func TestLoseAnyTwoShards(t *testing.T) {
	data := pattern(9, damageSize)
	for a := 0; a < 6; a++ {
		for b := a + 1; b < 6; b++ {
			t.Run(fmt.Sprintf("%d,%d", a, b), func(t *testing.T) {
				r := newRig(t, false, Options{})
				r.put(t, 1, data)
				r.removeShard(t, 1, a)
				r.removeShard(t, 1, b)
				readAllOf(t, r.s, 1, data)
				readAllOf(t, r.fresh(t), 1, data)
			})
		}
	}
}

func TestCorruptShards(t *testing.T) {
	data := pattern(10, damageSize)
	hl := int64(geometry{size: damageSize, k: 4, m: 2, blockSize: DefaultBlockSize}.headerLen())
	type hit struct {
		shard int
		off   int64 // file offset; negative counts from the end
	}
	for _, tc := range []struct {
		name string
		hits []hit
	}{
		{"oneDataBlock", []hit{{0, hl + 5000}}},
		{"oneHeader", []hit{{1, 3}}},
		{"oneBlockTable", []hit{{2, fixedLen + 1}}},
		{"lastShortBlock", []hit{{3, -1}}},
		{"twoShardsSameBlock", []hit{{0, hl + 100}, {1, hl + 200}}},
		{"twoShardsDifferentBlocks", []hit{{0, hl + 100}, {2, hl + 9000}}},
		{"dataAndParity", []hit{{1, hl + 4096}, {5, hl + 4096}}},
		{"threeShardsDistinctBlocks", []hit{{0, hl + 10}, {1, hl + 5000}, {2, hl + 13000}}},
		{"truncatedShard", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false, Options{})
			r.put(t, 1, data)
			for _, h := range tc.hits {
				r.corruptShard(t, 1, h.shard, h.off)
			}
			if tc.name == "truncatedShard" {
				buf := make([]byte, 30000)
				n, _ := r.faulty[1].Inner().ReadAt(context.Background(), shardName(1, 1), buf, 0)
				if err := r.faulty[1].Inner().WriteFile(context.Background(), shardName(1, 1), buf[:n-5000]); err != nil {
					t.Fatal(err)
				}
			}
			readAllOf(t, r.fresh(t), 1, data)
			if len(r.logs.AllEntries()) == 0 {
				t.Error("damage not logged")
			}
		})
	}
}

func TestCorruptReadsFromDisk(t *testing.T) {
	data := pattern(11, damageSize)
	r := newRig(t, false, Options{})
	r.put(t, 1, data)
	r.faulty[0].Set(disk.Faults{CorruptReads: true})
	r.faulty[4].Set(disk.Faults{CorruptReads: true})
	readAllOf(t, r.fresh(t), 1, data)
}

func TestTooMuchDamage(t *testing.T) {
	data := pattern(12, damageSize)
	hl := int64(geometry{size: damageSize, k: 4, m: 2, blockSize: DefaultBlockSize}.headerLen())
	t.Run("threeShardsLost", func(t *testing.T) {
		r := newRig(t, false, Options{})
		r.put(t, 1, data)
		for _, i := range []int{0, 3, 5} {
			r.removeShard(t, 1, i)
		}
		for _, s := range []*Store{r.s, r.fresh(t)} {
			expectUnreadable(t, s, 1, 0, 10)
			expectUnreadable(t, s, 1, 0, damageSize)
			// Shard 1 survives: what it holds needs no reconstruction.
			checkRead(t, s, 1, data, 25_001+5, 10_000)
		}
	})
	t.Run("sameBlockInThree", func(t *testing.T) {
		r := newRig(t, false, Options{})
		r.put(t, 1, data)
		// Block 1 (bytes 4096..8191 of each shard) is bad in shards 1, 2
		// and 4: any read of it from shard 1 must fail, other blocks read.
		for _, i := range []int{1, 2, 4} {
			r.corruptShard(t, 1, i, hl+5000)
		}
		s := r.fresh(t)
		expectUnreadable(t, s, 1, 25_001+4096, 100)
		checkRead(t, s, 1, data, 25_001, 4096)
		checkRead(t, s, 1, data, 25_001+8192, 4096)
		checkRead(t, s, 1, data, 0, 25_001)
	})
}

func TestVerifyAndRepair(t *testing.T) {
	data := pattern(13, damageSize)
	hl := int64(geometry{size: damageSize, k: 4, m: 2, blockSize: DefaultBlockSize}.headerLen())
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		damage func(r *rig)
		want   map[int]ShardState
	}{
		{"healthy", func(r *rig) {}, nil},
		{"missingData", func(r *rig) { r.removeShard(t, 1, 0) }, map[int]ShardState{0: ShardMissing}},
		{"missingParityCorruptData", func(r *rig) {
			r.removeShard(t, 1, 5)
			r.corruptShard(t, 1, 2, hl+20000)
		}, map[int]ShardState{2: ShardCorrupt, 5: ShardMissing}},
		{"corruptHeaders", func(r *rig) {
			r.corruptShard(t, 1, 1, 12)
			r.corruptShard(t, 1, 4, -3)
		}, map[int]ShardState{1: ShardCorrupt, 4: ShardCorrupt}},
		{"blocksInThreeShards", func(r *rig) {
			r.corruptShard(t, 1, 0, hl+10)
			r.corruptShard(t, 1, 3, hl+10000)
			r.corruptShard(t, 1, 5, hl+20000)
		}, map[int]ShardState{0: ShardCorrupt, 3: ShardCorrupt, 5: ShardCorrupt}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false, Options{})
			r.put(t, 1, data)
			tc.damage(r)
			s := r.fresh(t)
			h, err := s.Verify(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			for i, sh := range h.Shards {
				if want := tc.want[i]; sh.State != want {
					t.Errorf("shard %d: %v (%v), want %v", i, sh.State, sh.Err, want)
				}
			}
			if !h.Recoverable {
				t.Error("not recoverable")
			}
			if err := s.Repair(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if h, err := s.Verify(ctx, 1); err != nil || !h.OK() {
				t.Fatalf("after Repair: %+v, %v", h, err)
			}
			// The rewritten shards must be right, not merely well-formed:
			// read with two other shards gone.
			for i := range 6 {
				if _, bad := tc.want[i]; !bad && len(tc.want) > 0 {
					r.faulty[i].Set(disk.Faults{Dead: true})
				}
				if len(tc.want) > 0 && countDead(r) == 2 {
					break
				}
			}
			readAllOf(t, r.fresh(t), 1, data)
		})
	}
}

func countDead(r *rig) int {
	n := 0
	for _, f := range r.faulty {
		if _, err := f.Stat(context.Background()); err != nil {
			n++
		}
	}
	return n
}

func TestRepairImpossible(t *testing.T) {
	r := newRig(t, false, Options{})
	r.put(t, 1, pattern(14, 5000))
	for _, i := range []int{0, 1, 2} {
		r.removeShard(t, 1, i)
	}
	h, err := r.s.Verify(context.Background(), 1)
	if err != nil || h.Recoverable || len(h.Damaged()) != 3 {
		t.Fatalf("Verify = %+v, %v", h, err)
	}
	if err := r.s.Repair(context.Background(), 1); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("Repair = %v, want ErrUnreadable", err)
	}
}

func TestRepairEmptyBlob(t *testing.T) {
	r := newRig(t, false, Options{})
	r.put(t, 1, nil)
	r.removeShard(t, 1, 2)
	h, err := r.s.Verify(context.Background(), 1)
	if err != nil || h.Shards[2].State != ShardMissing {
		t.Fatalf("Verify = %+v, %v", h, err)
	}
	if err := r.s.Repair(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if h, _ := r.s.Verify(context.Background(), 1); !h.OK() {
		t.Fatalf("after Repair: %+v", h)
	}
}
