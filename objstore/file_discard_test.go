package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// TestFailedCommitFreesStagedBlobs: a file written until the disks are
// full, whose last close fails to commit, leaves no blob behind once it
// is removed: the blobs its background puts wrote (staged, named by no
// record) are freed at that close, not at the next start.
func TestFailedCommitFreesStagedBlobs(t *testing.T) {
	disks := make([]disk.Disk, 6)
	for i := range disks {
		disks[i] = disk.NewMem(fmt.Sprintf("small%d", i), 256<<10) // 1 MiB of data in all
	}
	s := NewTestingOn(t, disks, Options{InlineMax: 1 << 10, BlobSize: 64 << 10, DirtyMax: 256 << 10})
	blobs0 := s.countBlobs(t)
	_, free0, err := s.blobs.Capacity(ctx)
	if err != nil {
		t.Fatal(err)
	}

	a := mustCreate(t, s, RootIno, "big")
	h, err := s.Open(ctx, a.Ino, false)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{'B'}, 48<<10)
	for off := 0; off < 2<<20 && err == nil; off += len(chunk) {
		_, err = h.WriteAt(ctx, chunk, int64(off))
	}
	if err == nil {
		err = h.Flush(ctx)
	}
	if rerr := h.Release(ctx); err == nil {
		err = rerr
	}
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("writing 2 MiB on 1: %v, want ErrNoSpace", err)
	}

	if err := s.Unlink(ctx, RootIno, "big"); err != nil {
		t.Fatal(err)
	}
	if n := s.countBlobs(t); n != blobs0 {
		t.Errorf("%d blobs after removing the file, %d before it", n, blobs0)
	}
	if _, free, _ := s.blobs.Capacity(ctx); free != free0 {
		t.Errorf("%d bytes free after removing the file, %d before it", free, free0)
	}
	// The space is usable again.
	b := mustCreate(t, s, RootIno, "after")
	h, err = s.Open(ctx, b.Ino, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(ctx, bytes.Repeat([]byte{'A'}, 512<<10), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
