package objstore

import (
	"bytes"
	"crypto/md5"
	"testing"
)

// TestSeqHasher feeds the same bytes in pieces that stay inline, cross the
// inline limit and run past it, and checks every digest taken on the way.
func TestSeqHasher(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (3*inlineHashMax)/16+7)
	for _, tc := range []struct {
		name  string
		piece int
	}{
		{"small pieces", 4096},
		{"piece crossing the limit", inlineHashMax - 100},
		{"one large piece", len(data)},
		{"odd pieces", 12345},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newSeqHasher()
			defer h.stop()
			for off := 0; off < len(data); off += tc.piece {
				end := min(off+tc.piece, len(data))
				h.feed(data[off:end])
				want := md5.Sum(data[:end])
				var got []byte
				if end%2 == 0 {
					got = h.sum()
				} else {
					got = <-h.sumLater()
				}
				if !bytes.Equal(got, want[:]) {
					t.Fatalf("digest after %d bytes: %x, want %x", end, got, want)
				}
			}
			if h.backlog() != 0 {
				t.Fatalf("backlog %d after sum", h.backlog())
			}
			if started := h.ch != nil; started != (len(data) > inlineHashMax) {
				t.Fatalf("goroutine started %v for %d bytes", started, len(data))
			}
		})
	}
	small := newSeqHasher()
	small.feed(data[:4096])
	if small.ch != nil {
		t.Fatal("4 KiB started a goroutine")
	}
	small.stop()
}
