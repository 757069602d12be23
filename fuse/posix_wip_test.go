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
