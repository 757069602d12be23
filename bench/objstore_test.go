package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// Every benchmark pairs ".../objstore" (or ".../putobject") with
// ".../plainfile": the same bytes through os.File in the same temporary
// directory, so both sides share the file system and device, and run.sh
// reports the ratio. Data and metadata are on disk (badger in dir/meta,
// six shard directories, 4+2 erasure coding), as the daemon wires them;
// reads run with the page cache warm.

const (
	fileSize  = 64 << 20
	writeSize = 1 << 20
	bucket    = "bench"
)

// rig is a store on real directories under one b.TempDir.
type rig struct {
	s      *objstore.Store
	dir    string
	bucket objstore.Ino
}

func newRig(b *testing.B) *rig {
	b.Helper()
	dir := b.TempDir()
	logger := logrus.New()
	logger.SetLevel(logrus.WarnLevel)
	log := logrus.NewEntry(logger)
	db, err := meta.Open(meta.Options{Dir: filepath.Join(dir, "meta"), Log: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	disks := make([]disk.Disk, 6)
	for i := range disks {
		if disks[i], err = disk.NewDir(fmt.Sprintf("disk%d", i), filepath.Join(dir, fmt.Sprintf("disk%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	blobs, err := blob.New(disks, blob.Options{DataShards: 4, ParityShards: 2, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	s, err := objstore.New(db, blobs, objstore.Options{Log: log})
	if err != nil {
		b.Fatal(err)
	}
	// Cleanups run last-registered first: the store's background work
	// (ETags) stops before the database closes and the directory goes.
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.CreateBucket(ctx, bucket, objstore.Owner{}); err != nil {
		b.Fatal(err)
	}
	a, err := s.Lookup(ctx, objstore.RootIno, bucket)
	if err != nil {
		b.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.Mkdir(plain, 0o755); err != nil {
		b.Fatal(err)
	}
	return &rig{s: s, dir: plain, bucket: a.Ino}
}

func content(seed uint64, n int) []byte {
	p := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(p)
	return p
}

// writeFile creates name in the bucket and writes data through a Handle in
// writeSize pieces, then releases it (the commit, durable).
func (r *rig) writeFile(b *testing.B, name string, data []byte) objstore.Ino {
	ctx := context.Background()
	a, err := r.s.Mknod(ctx, r.bucket, name, objstore.NodeIn{Mode: objstore.ModeRegular | 0o644})
	if err != nil {
		b.Fatal(err)
	}
	h, err := r.s.Open(ctx, a.Ino, false)
	if err != nil {
		b.Fatal(err)
	}
	for off := 0; off < len(data); off += writeSize {
		if _, err := h.WriteAt(ctx, data[off:min(off+writeSize, len(data))], int64(off)); err != nil {
			b.Fatal(err)
		}
	}
	// Durable, as writePlain is: a close alone does not wait for the disk.
	if err := h.Fsync(ctx); err != nil {
		b.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		b.Fatal(err)
	}
	return a.Ino
}

// writePlain writes data to path in writeSize pieces and fsyncs it.
func writePlain(b *testing.B, path string, data []byte) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	for off := 0; off < len(data); off += writeSize {
		if _, err := f.Write(data[off:min(off+writeSize, len(data))]); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWrite64MiB: create a file, 64 writes of 1 MiB, release (commit).
func BenchmarkWrite64MiB(b *testing.B) {
	data := content(1, fileSize)
	b.Run("objstore", func(b *testing.B) {
		r := newRig(b)
		ctx := context.Background()
		b.SetBytes(fileSize)
		for i := 0; i < b.N; i++ {
			r.writeFile(b, fmt.Sprint(i), data)
			b.StopTimer()
			if err := r.s.Unlink(ctx, r.bucket, fmt.Sprint(i)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("plainfile", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(fileSize)
		for i := 0; i < b.N; i++ {
			path := filepath.Join(dir, fmt.Sprint(i))
			writePlain(b, path, data)
			b.StopTimer()
			os.Remove(path)
			b.StartTimer()
		}
	})
}

// BenchmarkRead reads a whole 64 MiB file per operation: in order in 4 KiB
// or 1 MiB reads, or as 16384 reads of 4 KiB at random aligned offsets.
func BenchmarkRead(b *testing.B) {
	data := content(2, fileSize)
	modes := []struct {
		name   string
		size   int
		random bool
	}{{"seq4KiB", 4 << 10, false}, {"seq1MiB", 1 << 20, false}, {"random4KiB", 4 << 10, true}}
	for _, m := range modes {
		offsets := make([]int64, fileSize/m.size)
		for i := range offsets {
			offsets[i] = int64(i * m.size)
		}
		if m.random {
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range offsets {
				offsets[i] = int64(rng.IntN(fileSize/m.size)) * int64(m.size)
			}
		}
		b.Run(m.name+"/objstore", func(b *testing.B) {
			r := newRig(b)
			ctx := context.Background()
			ino := r.writeFile(b, "f", data)
			h, err := r.s.Open(ctx, ino, false)
			if err != nil {
				b.Fatal(err)
			}
			defer h.Release(ctx)
			p := make([]byte, m.size)
			b.SetBytes(fileSize)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, off := range offsets {
					if n, err := h.ReadAt(ctx, p, off); err != nil || n != len(p) {
						b.Fatalf("read at %d: %d, %v", off, n, err)
					}
				}
			}
			b.StopTimer()
			if !bytes.Equal(p, data[offsets[len(offsets)-1]:][:m.size]) {
				b.Fatal("read back wrong bytes")
			}
		})
		b.Run(m.name+"/plainfile", func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "f")
			writePlain(b, path, data)
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			p := make([]byte, m.size)
			b.SetBytes(fileSize)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, off := range offsets {
					if n, err := f.ReadAt(p, off); err != nil || n != len(p) {
						b.Fatalf("read at %d: %d, %v", off, n, err)
					}
				}
			}
		})
	}
}

// BenchmarkPutObject stores objects as the S3 door does (one PutObject per
// object: ingest, MD5, commit); an operation is a batch of objects so that
// every size moves a comparable amount. The baseline writes and fsyncs one
// plain file per object.
func BenchmarkPutObject(b *testing.B) {
	for _, c := range []struct {
		size, batch int
	}{{4 << 10, 256}, {1 << 20, 16}, {64 << 20, 1}} {
		data := content(3, c.size)
		label := fmt.Sprintf("%dKiB", c.size>>10)
		if c.size >= 1<<20 {
			label = fmt.Sprintf("%dMiB", c.size>>20)
		}
		b.Run(label+"/putobject", func(b *testing.B) {
			r := newRig(b)
			ctx := context.Background()
			b.SetBytes(int64(c.size * c.batch))
			for i := 0; i < b.N; i++ {
				for j := 0; j < c.batch; j++ {
					if _, err := r.s.PutObject(ctx, bucket, fmt.Sprintf("o/%d", j), bytes.NewReader(data), int64(len(data)), objstore.PutOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(label+"/plainfile", func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(c.size * c.batch))
			for i := 0; i < b.N; i++ {
				for j := 0; j < c.batch; j++ {
					writePlain(b, filepath.Join(dir, fmt.Sprint(j)), data)
				}
			}
		})
	}
}

// BenchmarkRandWrite4KiB overwrites a 64 MiB file with 4096 writes of 4 KiB
// at random aligned offsets, then fsyncs: what fio's randwrite job asks of
// the mount, without FUSE. The baseline does the same with pwrite(2) on a
// plain file.
func BenchmarkRandWrite4KiB(b *testing.B) {
	const writes, size = 4096, 4 << 10
	data := content(4, fileSize)
	p := content(5, size)
	rng := rand.New(rand.NewPCG(3, 4))
	offsets := make([]int64, writes)
	for i := range offsets {
		offsets[i] = int64(rng.IntN(fileSize/size)) * size
	}
	b.Run("objstore", func(b *testing.B) {
		r := newRig(b)
		ctx := context.Background()
		h, err := r.s.Open(ctx, r.writeFile(b, "f", data), false)
		if err != nil {
			b.Fatal(err)
		}
		defer h.Release(ctx)
		b.SetBytes(writes * size)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, off := range offsets {
				if _, err := h.WriteAt(ctx, p, off); err != nil {
					b.Fatal(err)
				}
			}
			if err := h.Fsync(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plainfile", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "f")
		writePlain(b, path, data)
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.SetBytes(writes * size)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, off := range offsets {
				if _, err := f.WriteAt(p, off); err != nil {
					b.Fatal(err)
				}
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSmallFiles creates 256 files of 4 KiB per operation the way the
// mount does (Mknod, Open, WriteAt, Fsync, Release), each durable. The
// baseline creates, writes and fsyncs plain files, so that both sides
// promise the same durability.
func BenchmarkSmallFiles(b *testing.B) {
	const files, size = 256, 4 << 10
	p := content(6, size)
	b.Run("objstore", func(b *testing.B) {
		r := newRig(b)
		b.SetBytes(files * size)
		for i := 0; i < b.N; i++ {
			for j := 0; j < files; j++ {
				r.writeFile(b, fmt.Sprintf("%d.%d", i, j), p)
			}
		}
	})
	b.Run("plainfile", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(files * size)
		for i := 0; i < b.N; i++ {
			for j := 0; j < files; j++ {
				writePlain(b, filepath.Join(dir, fmt.Sprintf("%d.%d", i, j)), p)
			}
		}
	})
}

// BenchmarkOpenReadClose4KiB opens a committed 4 KiB file, reads it and
// closes it as the mount does on close(2) (Flush, then Release), 256 times
// per operation, against open/pread/close of a plain file. Nothing is
// written, so nothing needs to be made durable.
func BenchmarkOpenReadClose4KiB(b *testing.B) {
	const reads, size = 256, 4 << 10
	data := content(9, size)
	b.Run("objstore", func(b *testing.B) {
		r := newRig(b)
		ctx := context.Background()
		ino := r.writeFile(b, "f", data)
		p := make([]byte, size)
		b.SetBytes(reads * size)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j := 0; j < reads; j++ {
				h, err := r.s.Open(ctx, ino, false)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := h.ReadAt(ctx, p, 0); n != size {
					b.Fatalf("read %d bytes: %v", n, err)
				}
				if err := h.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				if err := h.Release(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("plainfile", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "f")
		writePlain(b, path, data)
		p := make([]byte, size)
		b.SetBytes(reads * size)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j := 0; j < reads; j++ {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := f.ReadAt(p, 0); n != size {
					b.Fatalf("read %d bytes: %v", n, err)
				}
				f.Close()
			}
		}
	})
}
