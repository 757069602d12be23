package disk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"testing"
)

// TestDirReadsSeeChangesBehindTheCache: a file read once stays open in the
// cache; whatever then happens to it, through the Dir or behind it, the
// next read sees the file as it now is under its name.
func TestDirReadsSeeChangesBehindTheCache(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, d *Dir, path string)
		want   string // "" means: the file is gone
	}{
		{"replaced by WriteFile", func(t *testing.T, d *Dir, _ string) {
			mustNil(t, d.WriteFile(ctx, "f.0", []byte("new content")))
		}, "new content"},
		{"removed by Remove", func(t *testing.T, d *Dir, _ string) {
			mustNil(t, d.Remove(ctx, "f.0"))
		}, ""},
		{"deleted behind the Dir", func(t *testing.T, _ *Dir, path string) {
			mustNil(t, os.Remove(path))
		}, ""},
		{"renamed over behind the Dir", func(t *testing.T, _ *Dir, path string) {
			mustNil(t, os.WriteFile(path+".x", []byte("other file"), 0o644))
			mustNil(t, os.Rename(path+".x", path))
		}, "other file"},
		{"corrupted in place", func(t *testing.T, _ *Dir, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			mustNil(t, err)
			_, err = f.WriteAt([]byte("XX"), 0)
			mustNil(t, err)
			mustNil(t, f.Close())
		}, "XXd content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDir("d0", t.TempDir())
			mustNil(t, err)
			mustNil(t, d.WriteFile(ctx, "f.0", []byte("old content")))
			p := make([]byte, 11)
			if _, err := d.ReadAt(ctx, "f.0", p, 0); err != nil || string(p) != "old content" {
				t.Fatalf("first read: %q, %v", p, err)
			}
			_, path := d.path("f.0")
			tc.change(t, d, path)
			p = make([]byte, len(tc.want))
			n, err := d.ReadAt(ctx, "f.0", p, 0)
			if tc.want == "" {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("read of a deleted file: %d bytes, %v; want ErrNotExist", n, err)
				}
				return
			}
			if err != nil || string(p) != tc.want {
				t.Fatalf("read after the change: %q, %v; want %q", p, err, tc.want)
			}
		})
	}
}

// TestFDCacheBounded: the cache never holds more descriptors than its
// size, and one evicted while a read uses it is closed only when that read
// ends.
func TestFDCacheBounded(t *testing.T) {
	dir := t.TempDir()
	c := newFDCache(3)
	paths := make([]string, 5)
	for i := range paths {
		paths[i] = dir + "/" + string(rune('a'+i))
		mustNil(t, os.WriteFile(paths[i], []byte{byte(i)}, 0o644))
	}
	inUse, err := c.acquire(paths[0])
	mustNil(t, err)
	for _, p := range paths[1:] {
		e, err := c.acquire(p)
		mustNil(t, err)
		c.release(e)
	}
	if n := c.len(); n != 3 {
		t.Fatalf("%d descriptors cached, want 3", n)
	}
	if !inUse.gone {
		t.Fatal("the least recently used entry was not evicted")
	}
	b := make([]byte, 1)
	if _, err := syscall.Pread(inUse.fd, b, 0); err != nil || b[0] != 0 {
		t.Fatalf("read through an evicted descriptor still in use: %v, %v", b, err)
	}
	c.release(inUse)
	if _, err := syscall.Pread(inUse.fd, b, 0); !errors.Is(err, syscall.EBADF) {
		// The number may have been reused by another open in this
		// process; only a clean EBADF proves the close, so accept any
		// error but a successful read of our byte.
		if err == nil && b[0] == 0 {
			t.Fatal("descriptor still open after its last release")
		}
	}
}

// TestDirConcurrentReads runs reads, rewrites and removals of a few files
// at once (run with -race).
func TestDirConcurrentReads(t *testing.T) {
	ctx := context.Background()
	d, err := NewDir("d0", t.TempDir())
	mustNil(t, err)
	names := []string{"a.0", "b.0", "c.0"}
	for _, n := range names {
		mustNil(t, d.WriteFile(ctx, n, []byte("0123456789")))
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			p := make([]byte, 10)
			for i := 0; i < 300; i++ {
				n := names[(g+i)%len(names)]
				switch {
				case g == 0 && i%10 == 0:
					if err := d.WriteFile(ctx, n, []byte("0123456789")); err != nil {
						t.Error(err)
					}
				case g == 1 && i%25 == 0:
					_ = d.Remove(ctx, n) // may already be gone
					if err := d.WriteFile(ctx, n, []byte("0123456789")); err != nil {
						t.Error(err)
					}
				default:
					k, err := d.ReadAt(ctx, n, p, 0)
					if err != nil && !errors.Is(err, fs.ErrNotExist) {
						t.Error(err)
					}
					if err == nil && string(p[:k]) != "0123456789" {
						t.Errorf("read %q", p[:k])
					}
				}
			}
		}(g)
	}
	wg.Wait()
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
