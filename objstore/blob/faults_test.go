package blob

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// shardsOnDisks counts the shard files of id present on the inner disks.
func shardsOnDisks(t *testing.T, r *rig, id ID) int {
	t.Helper()
	n := 0
	for i, f := range r.faulty {
		if _, err := f.Inner().ReadAt(context.Background(), shardName(id, i), make([]byte, 1), 0); err == nil {
			n++
		}
	}
	return n
}

func TestPutWithFaults(t *testing.T) {
	data := pattern(20, 300_000)
	for _, tc := range []struct {
		name    string
		faults  map[int]disk.Faults
		wantErr error // nil: Put succeeds
		shards  int   // shard files left behind
	}{
		{"healthy", nil, nil, 6},
		{"oneDead", map[int]disk.Faults{2: {Dead: true}}, nil, 5},
		{"oneDeadParity", map[int]disk.Faults{5: {Dead: true}}, nil, 5},
		{"twoDead", map[int]disk.Faults{0: {Dead: true}, 4: {Dead: true}}, nil, 4},
		{"threeDead", map[int]disk.Faults{0: {Dead: true}, 3: {Dead: true}, 4: {Dead: true}}, syscall.EIO, 0},
		{"oneFull", map[int]disk.Faults{3: {NoSpace: true}}, disk.ErrNoSpace, 0},
		{"oneFullOneDead", map[int]disk.Faults{1: {NoSpace: true}, 2: {Dead: true}}, disk.ErrNoSpace, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false, Options{})
			for i, f := range tc.faults {
				r.faulty[i].Set(f)
			}
			err := r.s.Put(context.Background(), 1, data)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("Put: %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Put = %v, want %v", err, tc.wantErr)
			}
			if n := shardsOnDisks(t, r, 1); n != tc.shards {
				t.Fatalf("%d shard files left, want %d", n, tc.shards)
			}
			if tc.wantErr != nil {
				return
			}
			readAllOf(t, r.fresh(t), 1, data)
			// Healing the disk and repairing brings the blob to full health.
			for i := range r.faulty {
				r.faulty[i].Set(disk.Faults{})
			}
			if err := r.s.Repair(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			if h, err := r.s.Verify(context.Background(), 1); err != nil || !h.OK() {
				t.Fatalf("after Repair: %+v, %v", h, err)
			}
		})
	}
}

func TestPutRealNoSpace(t *testing.T) {
	disks := make([]disk.Disk, 6)
	for i := range disks {
		disks[i] = disk.NewMem("m", 1<<20)
	}
	disks[4] = disk.NewMem("small", 100_000)
	s, err := New(disks, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, 1, make([]byte, 300_000)); err != nil {
		t.Fatal(err)
	}
	err = s.Put(ctx, 2, make([]byte, 300_000))
	if !errors.Is(err, disk.ErrNoSpace) {
		t.Fatalf("Put on a full disk = %v", err)
	}
	var ids []ID
	s.List(ctx, func(id ID) error { ids = append(ids, id); return nil })
	if len(ids) != 1 || ids[0] != 1 {
		t.Fatalf("after failed Put, List = %v; want only blob 1", ids)
	}
}

func TestReadWithFaults(t *testing.T) {
	data := pattern(21, 300_000)
	for _, tc := range []struct {
		name       string
		faults     map[int]disk.Faults
		unreadable bool
	}{
		{"dataDiskDead", map[int]disk.Faults{0: {Dead: true}}, false},
		{"twoDataDisksDead", map[int]disk.Faults{1: {Dead: true}, 3: {Dead: true}}, false},
		{"deadAndCorrupt", map[int]disk.Faults{0: {Dead: true}, 5: {CorruptReads: true}}, false},
		{"slowDisk", map[int]disk.Faults{2: {Delay: time.Millisecond}}, false},
		{"threeDead", map[int]disk.Faults{0: {Dead: true}, 1: {Dead: true}, 4: {Dead: true}}, true},
		{"twoDeadOneCorrupt", map[int]disk.Faults{0: {Dead: true}, 4: {Dead: true}, 5: {CorruptReads: true}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false, Options{})
			r.put(t, 1, data)
			for i, f := range tc.faults {
				r.faulty[i].Set(f)
			}
			if tc.unreadable {
				expectUnreadable(t, r.s, 1, 0, len(data))
				return
			}
			readAllOf(t, r.s, 1, data)
		})
	}
}

func TestReadCanceled(t *testing.T) {
	r := newRig(t, false, Options{})
	r.put(t, 1, pattern(22, 50_000))
	r.faulty[0].Set(disk.Faults{Delay: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.s.ReadAt(ctx, 1, make([]byte, 100), 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadAt = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 500*time.Millisecond {
		t.Fatal("ReadAt ignored its context")
	}
}

func TestOnDirDisks(t *testing.T) {
	r := newRig(t, true, Options{})
	ctx := context.Background()
	data := pattern(23, 1<<20+17)
	r.put(t, 7, data)
	r.removeShard(t, 7, 1)
	r.corruptShard(t, 7, 2, 9000)
	readAllOf(t, r.fresh(t), 7, data)
	if err := r.s.Repair(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if h, err := r.s.Verify(ctx, 7); err != nil || !h.OK() {
		t.Fatalf("after Repair: %+v, %v", h, err)
	}
	total, free, err := r.s.Capacity(ctx)
	if err != nil || total == 0 || free > total {
		t.Fatalf("Capacity = %d, %d, %v", total, free, err)
	}
	if err := r.s.Delete(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if n := shardsOnDisks(t, r, 7); n != 0 {
		t.Fatalf("%d shards left after Delete", n)
	}
}
