package blob

import (
	"context"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

var benchSizes = []int{4 << 10, 4 << 20}

// BenchmarkPut stores blobs on six directory disks (one file system here,
// so the six fsyncs share one device), against the baseline of writing
// and fsyncing the same bytes as one plain file.
func BenchmarkPut(b *testing.B) {
	for _, size := range benchSizes {
		data := pattern(1, size)
		b.Run(fmt.Sprintf("%dKiB/blob", size>>10), func(b *testing.B) {
			r := newRig(b, true, Options{})
			ctx := context.Background()
			b.SetBytes(int64(size))
			var id ID
			for b.Loop() {
				id++
				if err := r.s.Put(ctx, id, data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%dKiB/plainfile", size>>10), func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(size))
			n := 0
			for b.Loop() {
				n++
				f, err := os.Create(filepath.Join(dir, fmt.Sprint(n)))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkReadAt reads a 4 MiB blob (page cache warm): 4 KiB at random
// block-aligned offsets, or all of it, against the same reads of a plain
// file; "degraded" reads with data shard 0 removed.
func BenchmarkReadAt(b *testing.B) {
	const blobSize = 4 << 20
	data := pattern(2, blobSize)
	for _, size := range benchSizes {
		for _, mode := range []string{"blob", "degraded", "plainfile"} {
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, mode), func(b *testing.B) {
				benchRead(b, data, size, mode, DefaultBlockSize)
			})
		}
	}
}

func benchRead(b *testing.B, data []byte, size int, mode string, blockSize int) {
	ctx := context.Background()
	p := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	offsets := len(data)/size - 1
	b.SetBytes(int64(size))
	if mode == "plainfile" {
		path := filepath.Join(b.TempDir(), "f")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			f, err := os.Open(path) // as Dir does for every read
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.ReadAt(p, int64(rng.IntN(offsets+1)*size)); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		return
	}
	r := newRig(b, true, Options{BlockSize: blockSize})
	r.put(b, 1, data)
	if mode == "degraded" {
		r.removeShard(b, 1, 0)
	}
	for b.Loop() {
		if _, err := r.s.ReadAt(ctx, 1, p, int64(rng.IntN(offsets+1)*size)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlockSize is the measurement behind DefaultBlockSize: random
// 4 KiB and 128 KiB (a FUSE read) reads with 4 KiB and 16 KiB checksum
// blocks, and raw CRC32C speed per block size.
func BenchmarkBlockSize(b *testing.B) {
	data := pattern(3, 4<<20)
	for _, bs := range []int{4 << 10, 16 << 10} {
		for _, size := range []int{4 << 10, 128 << 10} {
			b.Run(fmt.Sprintf("read%dKiB/block%dKiB", size>>10, bs>>10), func(b *testing.B) {
				benchRead(b, data, size, "blob", bs)
			})
		}
		b.Run(fmt.Sprintf("crc32c/block%dKiB", bs>>10), func(b *testing.B) {
			b.SetBytes(int64(bs))
			for b.Loop() {
				crc32.Checksum(data[:bs], castagnoli)
			}
		})
	}
}
