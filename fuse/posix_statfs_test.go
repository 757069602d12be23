package fuse

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// TestStatfsCapacity: statfs reports what the disks can hold as data (the
// data share of their space), and writing a file uses about its size of
// it, not its size with parity.
func TestStatfsCapacity(t *testing.T) {
	requireFUSE(t)
	const perDisk = 8 << 20
	disks := make([]disk.Disk, 6)
	for i := range disks {
		disks[i] = disk.NewMem(fmt.Sprintf("d%d", i), perDisk)
	}
	m := mountStore(t, objstore.NewTestingOn(t, disks), Options{})
	var st syscall.Statfs_t
	if err := syscall.Statfs(m.dir, &st); err != nil {
		t.Fatal(err)
	}
	if total := st.Blocks * uint64(st.Frsize); total != 4*perDisk {
		t.Errorf("total %d bytes, want %d (4 data disks of 6)", total, 4*perDisk)
	}
	if st.Bavail != st.Bfree || st.Bfree > st.Blocks {
		t.Errorf("free %d, available %d of %d blocks", st.Bfree, st.Bavail, st.Blocks)
	}
	if st.Files == 0 || st.Ffree == 0 || st.Ffree > st.Files {
		t.Errorf("inodes: %d free of %d", st.Ffree, st.Files)
	}
	free0 := st.Bavail * uint64(st.Bsize)
	mustWrite(t, m.path("f"), bytes.Repeat([]byte("x"), 4<<20))
	used := free0 - statfsFree(t, m.dir)
	if used < 4<<20 || used > 4<<20+4<<20/10 {
		t.Errorf("a 4 MiB file used %d bytes of free space, want about 4 MiB", used)
	}
}

// TestStatfsInodes: statfs's inode counts count inodes: creating files
// uses that many (`df -i` shows the number of files).
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
