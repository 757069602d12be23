package objstore

import (
	"fmt"
	"io"
	"math/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// BenchmarkSeqReadFragmented reads a 64 MiB file overwritten with 4 KiB
// writes at random offsets (as through the mount: one handle, commits at
// DirtyMax and close) in order, 1 MiB at a time as the kernel asks, before
// and after compaction. Shards are files in a temporary directory.
//
//	go test -run '^$' -bench SeqReadFragmented -benchtime 5x ./objstore/
func BenchmarkSeqReadFragmented(b *testing.B) {
	const size, writes = 64 << 20, 16384
	dir := b.TempDir()
	disks := make([]disk.Disk, 6)
	for i := range disks {
		d, err := disk.NewDir(fmt.Sprintf("disk%d", i), filepath.Join(dir, fmt.Sprint(i)))
		if err != nil {
			b.Fatal(err)
		}
		disks[i] = d
	}
	s := NewTestingOn(b, disks, Options{CompactRate: -1})
	if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		b.Fatal(err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	a := mustCreate(b, s, bk.Ino, "f")
	s.compactMu.Lock()
	s.compactPending[a.Ino] = struct{}{} // the benchmark compacts it
	s.compactMu.Unlock()
	h, err := s.Open(ctx, a.Ino, false)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	p := make([]byte, 1<<20)
	for off := 0; off < size; off += len(p) {
		rng.Read(p)
		if _, err := h.WriteAt(ctx, p, int64(off)); err != nil {
			b.Fatal(err)
		}
	}
	if err := h.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < writes; i++ {
		rng.Read(p[:4096])
		if _, err := h.WriteAt(ctx, p[:4096], int64(rng.Intn(size/4096))*4096); err != nil {
			b.Fatal(err)
		}
	}
	if err := h.Release(ctx); err != nil {
		b.Fatal(err)
	}
	read := func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			h, err := s.Open(ctx, a.Ino, false)
			if err != nil {
				b.Fatal(err)
			}
			for off := int64(0); ; off += int64(len(p)) {
				if _, err := h.ReadAt(ctx, p, off); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
			h.Release(ctx)
		}
	}
	b.Run("fragmented", func(b *testing.B) {
		b.ReportMetric(float64(len(extentsOf(b, s, a.Ino))), "extents")
		read(b)
	})
	start := time.Now()
	if _, err := s.compact(ctx, a.Ino, &rateLimiter{}); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.Run("compacted", func(b *testing.B) {
		b.ReportMetric(float64(len(extentsOf(b, s, a.Ino))), "extents")
		b.ReportMetric(took.Seconds(), "compact-s")
		read(b)
	})
}
