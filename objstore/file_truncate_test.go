package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// TestFailedTruncateChangesNothing: a truncate (or a fallocate that only
// extends) whose commit fails (the disks are full, so the buffered bytes
// below the new size cannot be written) leaves the size and the buffered
// bytes as they were, and a later truncate that needs no room commits
// what was written.
func TestFailedTruncateChangesNothing(t *testing.T) {
	tests := []struct {
		name     string
		truncate func(s *Store, h *Handle) error
	}{
		{"setattr shorter", func(s *Store, h *Handle) error {
			_, err := s.SetAttr(ctx, h.Ino(), SetAttrIn{Size: ptr(uint64(12 << 10))})
			return err
		}},
		{"setattr longer", func(s *Store, h *Handle) error {
			_, err := s.SetAttr(ctx, h.Ino(), SetAttrIn{Size: ptr(uint64(64 << 10))})
			return err
		}},
		{"fallocate extending", func(s *Store, h *Handle) error { return h.Fallocate(ctx, 60<<10, 1<<10, 0) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// 2 KiB a disk: room for the first 4 KiB of the file, not
			// for the buffered bytes after it.
			disks := make([]disk.Disk, 6)
			for i := range disks {
				disks[i] = disk.NewMem(fmt.Sprintf("small%d", i), 2<<10)
			}
			s := NewTestingOn(t, disks, Options{InlineMax: 1 << 10, BlobSize: 64 << 10, DirtyMax: 1 << 20})
			a := mustCreate(t, s, RootIno, "f")
			h, err := s.Open(ctx, a.Ino, false)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Release(ctx)
			want := bytes.Repeat([]byte("c"), 4<<10)
			if _, err := h.WriteAt(ctx, want, 0); err != nil {
				t.Fatal(err)
			}
			if err := h.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			// Buffered, not committed: below and above the new size.
			for _, w := range []struct{ off, n int }{{1 << 10, 8 << 10}, {20 << 10, 8}} {
				p := bytes.Repeat([]byte("b"), w.n)
				if _, err := h.WriteAt(ctx, p, int64(w.off)); err != nil {
					t.Fatal(err)
				}
				want = append(want, make([]byte, max(0, w.off+w.n-len(want)))...)
				copy(want[w.off:], p)
			}

			if err := tc.truncate(s, h); !errors.Is(err, ErrNoSpace) {
				t.Fatalf("truncate on full disks: %v, want ErrNoSpace", err)
			}
			if got, _ := s.GetAttr(ctx, a.Ino); got.Size != uint64(len(want)) {
				t.Errorf("after the failed truncate: size %d, want %d", got.Size, len(want))
			}
			got := make([]byte, len(want)+10)
			n, _ := h.ReadAt(ctx, got, 0)
			if !bytes.Equal(got[:n], want) {
				t.Errorf("after the failed truncate: %d bytes read, not what was written (%d bytes)", n, len(want))
			}

			// A truncate to inline size writes no blob: it commits the
			// bytes written below it.
			if _, err := s.SetAttr(ctx, a.Ino, SetAttrIn{Size: ptr(uint64(1 << 10))}); err != nil {
				t.Fatal(err)
			}
			want = want[:1<<10]
			if got := readInode(t, s, a.Ino); !bytes.Equal(got, want) {
				t.Errorf("committed after the disks recovered: %d bytes, not what was written (%d bytes)", len(got), len(want))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// readInode reads a file's content through a fresh handle.
func readInode(t *testing.T, s *Store, ino Ino) []byte {
	t.Helper()
	a, err := s.GetAttr(ctx, ino)
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Open(ctx, ino, false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	p := make([]byte, a.Size)
	if n, err := h.ReadAt(ctx, p, 0); n != len(p) {
		t.Fatalf("read %d of %d bytes: %v", n, len(p), err)
	}
	return p
}
