package objstore

import (
	"bytes"
	"io"
	"math/rand"
	"testing"
)

// TestReadAheadSeesChanges reads a multi-window file in order while other
// writes land and commit, and checks every byte.
func TestReadAheadSeesChanges(t *testing.T) {
	s := NewTesting(t)
	a := mustCreate(t, s, RootIno, "big")
	w, _ := s.Open(ctx, a.Ino, false)
	model := make([]byte, 11<<20+123)
	rand.New(rand.NewSource(3)).Read(model)
	w.WriteAt(ctx, model, 0)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Open(ctx, a.Ino, false)
	defer r.Release(ctx)
	buf := make([]byte, 1<<20)
	for off, step := 0, 0; off < len(model); off, step = off+len(buf), step+1 {
		switch step {
		case 2: // a buffered write ahead of the reader
			copy(model[5<<20:], "buffered")
			w.WriteAt(ctx, []byte("buffered"), 5<<20)
		case 4: // a commit replaces the layout under the windows
			copy(model[9<<20:], "committed")
			w.WriteAt(ctx, []byte("committed"), 9<<20)
			w.Flush(ctx)
		}
		n, err := r.ReadAt(ctx, buf, int64(off))
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], model[off:off+n]) {
			t.Fatalf("read at %d differs", off)
		}
	}
	w.Release(ctx)
}
