package objstore

import (
	"bytes"
	"testing"
)

// TestBlocksWhileOpen: st_blocks of a file with uncommitted writes counts
// the bytes written (each once, holes excluded), wherever they are held:
// buffered, in a background put, staged or committed.
func TestBlocksWhileOpen(t *testing.T) {
	type write struct {
		off, n int
		flush  bool // commit after this write
	}
	tests := []struct {
		name   string
		writes []write
		stored int
	}{
		{"small", []write{{0, 100, false}}, 100},
		{"sparse", []write{{0, 4 << 10, false}, {64 << 10, 4 << 10, false}, {192 << 10, 4 << 10, false}}, 12 << 10},
		{"overwritten", []write{{0, 6 << 10, false}, {2 << 10, 6 << 10, false}, {0, 8 << 10, false}}, 8 << 10},
		{"sequential past blob size", []write{{0, 20 << 10, false}, {20 << 10, 20 << 10, false}}, 40 << 10},
		{"far past blob size", []write{{0, 20 << 10, false}, {1 << 20, 20 << 10, false}}, 40 << 10},
		{"over committed", []write{{0, 16 << 10, true}, {8 << 10, 16 << 10, false}, {100 << 10, 1 << 10, false}}, 25 << 10},
		{"past committed hole", []write{{0, 4 << 10, false}, {40 << 10, 4 << 10, true}, {20 << 10, 4 << 10, false}}, 12 << 10},
		{"inline then grown", []write{{0, 500, true}, {16 << 10, 16 << 10, false}}, 500 + 16<<10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := small(t) // 8 KiB blobs, 1 KiB inline, 32 KiB buffered at most
			a := mustCreate(t, s, RootIno, "f")
			h, err := s.Open(ctx, a.Ino, false)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Release(ctx)
			for _, w := range tc.writes {
				if _, err := h.WriteAt(ctx, bytes.Repeat([]byte{1}, w.n), int64(w.off)); err != nil {
					t.Fatal(err)
				}
				if w.flush {
					if err := h.Flush(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := uint64(tc.stored+511) / 512
			got, err := s.GetAttr(ctx, a.Ino)
			if err != nil {
				t.Fatal(err)
			}
			if got.Blocks != want {
				t.Errorf("while open: %d blocks, want %d", got.Blocks, want)
			}
			if err := h.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got, _ = s.GetAttr(ctx, a.Ino); got.Blocks != want {
				t.Errorf("committed: %d blocks, want %d", got.Blocks, want)
			}
		})
	}
}
