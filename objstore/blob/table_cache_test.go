package blob

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// countingDisk counts reads.
type countingDisk struct {
	disk.Disk
	reads atomic.Int64
}

func (c *countingDisk) ReadAt(ctx context.Context, name string, p []byte, off int64) (int, error) {
	c.reads.Add(1)
	return c.Disk.ReadAt(ctx, name, p, off)
}

// TestTableCacheDeepReads: a small read deep in a blob reads the shard
// header once; later reads there cost one disk read per shard, are still
// verified (a block damaged after its table was cached is rebuilt), and a
// deleted blob's tables are forgotten.
func TestTableCacheDeepReads(t *testing.T) {
	ctx := context.Background()
	counting := make([]*countingDisk, 6)
	disks := make([]disk.Disk, 6)
	faulty := make([]*disk.Faulty, 6)
	for i := range disks {
		faulty[i] = disk.NewFaulty(disk.NewMem(fmt.Sprintf("mem%d", i), 0))
		counting[i] = &countingDisk{Disk: faulty[i]}
		disks[i] = counting[i]
	}
	s, err := New(disks, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := pattern(7, 4<<20)
	if err := s.Put(ctx, 1, data); err != nil {
		t.Fatal(err)
	}
	reads := func() (n int64) {
		for _, c := range counting {
			n += c.reads.Swap(0)
		}
		return n
	}
	// 4 KiB at 3 MiB + 256 KiB: the last data shard, 256 KiB into it.
	const off, n = 3<<20 + 256<<10, 4 << 10
	checkRead(t, s, 1, data, off, n)
	if got := reads(); got != 2 {
		t.Fatalf("first deep read: %d disk reads, want 2 (header, blocks)", got)
	}
	checkRead(t, s, 1, data, off+8192, n)
	if got := reads(); got != 1 {
		t.Fatalf("second deep read: %d disk reads, want 1", got)
	}

	// Damage the block just read on its disk: the cached table still
	// catches it and the read is rebuilt from the others.
	r := &rig{s: s, faulty: faulty}
	g := geometry{size: int64(len(data)), k: 4, m: 2, blockSize: DefaultBlockSize}
	r.corruptShard(t, 1, 3, int64(g.headerLen())+(off+8192-3<<20)+100)
	checkRead(t, s, 1, data, off+8192, n)
	if got := reads(); got < 4 {
		t.Fatalf("read of a damaged block: %d disk reads, want the others read to rebuild it", got)
	}

	if err := s.Delete(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if s.tables.bytes != 0 || len(s.tables.m) != 0 {
		t.Fatalf("tables of a deleted blob kept: %d bytes", s.tables.bytes)
	}
}
