package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shallot-storage/shallot/fuse"
)

// mountRig mounts a rig's store (real directory disks) with the FUSE door
// in this process, so that a CPU profile (-cpuprofile) covers the door,
// the store and the disks together. Needs root and /dev/fuse; the mount is
// always removed when the benchmark ends.
func mountRig(b *testing.B) string {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("mount benchmarks need root (mount(2)) and /dev/fuse")
	}
	r := newRig(b)
	dir := filepath.Join(b.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	srv, err := fuse.Mount(r.s, dir, fuse.Options{})
	if err != nil {
		b.Fatalf("mount: %v", err)
	}
	// Registered after newRig's: runs first, before the store closes.
	b.Cleanup(func() {
		if err := srv.Unmount(); err != nil {
			b.Errorf("unmount %s: %v", dir, err)
		}
	})
	return filepath.Join(dir, bucket)
}

// createFiles writes n files of p into dir (create, write, close), with an
// fsync before close when sync is set.
func createFiles(b *testing.B, dir string, prefix string, n int, p []byte, sync bool) {
	for j := 0; j < n; j++ {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%s.%d", prefix, j)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(p); err != nil {
			b.Fatal(err)
		}
		if sync {
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMountSmallFiles creates 256 files of 4 KiB per operation through
// the FUSE mount against plain files, both fsynced before close: the same
// durability (bench/smallfiles compares them without fsync). Compare with
// BenchmarkSmallFiles to see what the door adds to the store.
func BenchmarkMountSmallFiles(b *testing.B) {
	const files, size = 256, 4 << 10
	p := content(7, size)
	b.Run("mount", func(b *testing.B) {
		dir := mountRig(b)
		b.SetBytes(files * size)
		for i := 0; i < b.N; i++ {
			createFiles(b, dir, fmt.Sprint(i), files, p, true)
		}
	})
	b.Run("plainfile", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(files * size)
		for i := 0; i < b.N; i++ {
			createFiles(b, dir, fmt.Sprint(i), files, p, true)
		}
	})
}

// BenchmarkMountWrite64MiB writes a 64 MiB file through the mount in 1 MiB
// writes and closes it, against the same on a plain file with fsync.
func BenchmarkMountWrite64MiB(b *testing.B) {
	data := content(8, fileSize)
	write := func(b *testing.B, path string, sync bool) {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); off += writeSize {
			if _, err := f.Write(data[off : off+writeSize]); err != nil {
				b.Fatal(err)
			}
		}
		if sync {
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("mount", func(b *testing.B) {
		dir := mountRig(b)
		b.SetBytes(fileSize)
		for i := 0; i < b.N; i++ {
			write(b, filepath.Join(dir, fmt.Sprint(i)), false)
			b.StopTimer()
			os.Remove(filepath.Join(dir, fmt.Sprint(i)))
			b.StartTimer()
		}
	})
	b.Run("plainfile", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(fileSize)
		for i := 0; i < b.N; i++ {
			write(b, filepath.Join(dir, fmt.Sprint(i)), true)
			b.StopTimer()
			os.Remove(filepath.Join(dir, fmt.Sprint(i)))
			b.StartTimer()
		}
	})
}
