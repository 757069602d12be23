//go:build wip

package fuse

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// Tests of behaviour whose fix belongs in existing objstore code; they
// fail until it lands and stay out of `make test` (run with -tags wip).

// TestSparseBlocksWhileOpen: st_blocks of an open file with buffered
// writes must count the bytes written, not the size (holes included).
// objstore's openFile.overlayAttrLocked estimates Blocks as the size when
// the committed record has none.
func TestSparseBlocksWhileOpen(t *testing.T) {
	m := mountTesting(t, Options{AttrTimeout: time.Nanosecond})
	f, err := os.Create(m.path("sparse"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := bytes.Repeat([]byte("d"), 128<<10)
	for _, off := range []int64{0, 64 << 20, 192 << 20} {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if b := st.Blocks * 512; b < sparseStored || b > sparseStored*3/2 {
		t.Errorf("while open: st_blocks says %d bytes stored, want about %d", b, sparseStored)
	}
}

// TestDiskFullSpaceReturns: after a write fails with ENOSPC, removing the
// file must give its space back. The blobs a file wrote in the background
// ("staged") are named by no record until its commit; when the commit
// fails and the last handle closes, objstore forgets them, and they stay
// on the disks until the next start's orphan collection.
func TestDiskFullSpaceReturns(t *testing.T) {
	m, keep, free0 := fillDisks(t)
	if err := os.Remove(m.path("big")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for free := statfsFree(t, m.dir); free < free0-(1<<20); free = statfsFree(t, m.dir) {
		if time.Now().After(deadline) {
			t.Fatalf("statfs free %d after removing the big file, %d before it", free, free0)
		}
		time.Sleep(10 * time.Millisecond)
	}
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	mustWrite(t, m.path("after"), chunk)
	mustRead(t, m.path("after"), chunk)
	mustRead(t, m.path("keep"), keep)
}

// TestStatfsInodes: statfs's inode counts must count inodes: creating
// files uses that many. objstore.StatFS reports a fixed 2^32 inodes and
// scales the free ones by free bytes, so `df -i` shows a use unrelated to
// the number of files.
func TestStatfsInodes(t *testing.T) {
	m := mountTesting(t, Options{})
	used := func() uint64 {
		var st syscall.Statfs_t
		if err := syscall.Statfs(m.dir, &st); err != nil {
			t.Fatal(err)
		}
		return st.Files - st.Ffree
	}
	before := used()
	for i := 0; i < 100; i++ {
		mustWrite(t, m.path(fmt.Sprintf("f%d", i)), nil)
	}
	if got := used() - before; got != 100 {
		t.Errorf("100 new files use %d inodes", got)
	}
}
