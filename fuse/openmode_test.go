package fuse

import (
	"bytes"
	"os"
	"syscall"
	"testing"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

func TestOpenFlagsForKernel(t *testing.T) {
	direct := uint32(gofuse.FOPEN_DIRECT_IO | gofuse.FOPEN_PARALLEL_DIRECT_WRITES)
	for _, tc := range []struct {
		name        string
		flags, mode uint32
		want        uint32
	}{
		{"buffered", syscall.O_RDWR, 0o644, gofuse.FOPEN_KEEP_CACHE},
		{"buffered write-only", syscall.O_WRONLY, 0o644, gofuse.FOPEN_KEEP_CACHE},
		{"buffered read-only", syscall.O_RDONLY, 0o644, gofuse.FOPEN_KEEP_CACHE | gofuse.FOPEN_NOFLUSH},
		{"O_DIRECT", syscall.O_RDWR | syscall.O_DIRECT, 0o644, direct},
		{"O_DIRECT read-only", syscall.O_RDONLY | syscall.O_DIRECT, 0o444, direct | gofuse.FOPEN_NOFLUSH},
		{"O_DIRECT on setuid", syscall.O_WRONLY | syscall.O_DIRECT, 0o4755, gofuse.FOPEN_KEEP_CACHE},
		{"O_DIRECT on setgid", syscall.O_WRONLY | syscall.O_DIRECT, 0o2755, gofuse.FOPEN_KEEP_CACHE},
	} {
		if got := openFlags(tc.flags, tc.mode); got != tc.want {
			t.Errorf("%s: %#x, want %#x", tc.name, got, tc.want)
		}
	}
}

// TestDirectWriteSeenByCachedReader: an O_DIRECT writer bypasses the page
// cache, and a reader holding the file open with pages cached still reads
// the new bytes, during and after the write.
func TestDirectWriteSeenByCachedReader(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("mixed")
	mustWrite(t, p, bytes.Repeat([]byte("A"), 64<<10))
	r, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 8)
	if _, err := r.ReadAt(buf, 0); err != nil || string(buf) != "AAAAAAAA" {
		t.Fatalf("first read %q %v", buf, err)
	}
	fd, err := unix.Open(p, unix.O_RDWR|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	block, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(block)
	copy(block, bytes.Repeat([]byte("B"), 4096))
	if n, err := unix.Pwrite(fd, block, 4096); n != 4096 || err != nil {
		t.Fatalf("direct write: %d %v", n, err)
	}
	check := func(when string) {
		t.Helper()
		got := make([]byte, 8192)
		if _, err := r.ReadAt(got, 0); err != nil {
			t.Fatal(err)
		}
		want := append(bytes.Repeat([]byte("A"), 4096), bytes.Repeat([]byte("B"), 4096)...)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: cached reader sees stale bytes", when)
		}
	}
	check("before the writer's close")
	if err := unix.Close(fd); err != nil {
		t.Fatal(err)
	}
	check("after the writer's close")
}

// TestDirectOpenMaps: a descriptor opened O_DIRECT can still be mapped
// shared, as on a local file system, and what the mapping writes reaches
// the file.
func TestDirectOpenMaps(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("mapped")
	mustWrite(t, p, bytes.Repeat([]byte("A"), 8192))
	fd, err := unix.Open(p, unix.O_RDWR|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	mem, err := unix.Mmap(fd, 0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap of an O_DIRECT descriptor: %v", err)
	}
	copy(mem[4096:], "mapped write")
	if err := unix.Msync(mem, unix.MS_SYNC); err != nil {
		t.Fatal(err)
	}
	if err := unix.Munmap(mem); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[4096:4108]) != "mapped write" || got[0] != 'A' {
		t.Fatalf("after the mapped write: %q...", got[4096:4108])
	}
}
