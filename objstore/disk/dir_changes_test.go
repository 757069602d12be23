package disk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"
	"testing"
)

// TestDirReadsSeeChanges: whatever happens to a file after a read, through
// the Dir or behind its back, the next read sees the file as it now is
// under its name (a guard for any caching of open files: one was tried,
// see bench/README.md Findings 0).
func TestDirReadsSeeChanges(t *testing.T) {
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
