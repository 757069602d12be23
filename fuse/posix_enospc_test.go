package fuse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/objstore"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// TestDiskFull fills the disks through the mount: the writer gets ENOSPC
// (from a write, fsync or close), statfs says the disks are full while it
// has the file open (fillDisks checks), nothing written before is
// damaged, and once the file is closed only what it committed holds
// space. (TestDiskFullSpaceReturns asks for the space back after removing
// the file.)
func TestDiskFull(t *testing.T) {
	m, keep, free0 := fillDisks(t)
	mustRead(t, m.path("keep"), keep)
	// The release that follows close(2) runs after it returns, and until
	// it has, a reader shares the writer's buffer (bytes the failed commit
	// did not store). Once it has, the mount shows what was committed,
	// which reads back as written, and only that holds space.
	var got, committed []byte
	var free uint64
	deadline := time.Now().Add(5 * time.Second)
	for {
		committed = s3Read(t, m, "big")
		var err error
		if got, err = os.ReadFile(m.path("big")); err != nil {
			t.Fatal(err)
		}
		free = statfsFree(t, m.dir)
		used := free0 - min(free, free0)
		if bytes.Equal(got, committed) && used >= uint64(len(got)) && used <= uint64(len(got))+1<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mount reads %d bytes, S3 %d; statfs free %d after the failed close, %d before", len(got), len(committed), free, free0)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte("B"), len(got))) {
		t.Fatalf("the file that hit ENOSPC holds wrong bytes (%d bytes)", len(got))
	}
}

// TestDiskFullSpaceReturns: after a write fails with ENOSPC, removing the
// file must give its space back, including the blobs it wrote in the
// background ("staged", named by no record until a commit that failed).
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

// fillDisks mounts a store of 16 MiB, writes a 1 MiB file "keep", then
// writes "big" until ENOSPC, checking that statfs then says the disks are
// full, and closes it. It returns keep's content and the free bytes
// statfs reported before big.
func fillDisks(t *testing.T) (*testMount, []byte, uint64) {
	requireFUSE(t)
	const perDisk = 4 << 20 // 6 disks, 4+2: 16 MiB of data at most
	disks := make([]disk.Disk, 6)
	for i := range disks {
		disks[i] = disk.NewMem(fmt.Sprintf("small%d", i), perDisk)
	}
	store := objstore.NewTestingOn(t, disks, objstore.Options{BlobSize: 1 << 20, DirtyMax: 4 << 20})
	m := mountStore(t, store, Options{})

	keep := bytes.Repeat([]byte("keep me "), 128<<10) // 1 MiB
	mustWrite(t, m.path("keep"), keep)
	free0 := statfsFree(t, m.dir)

	f, err := os.Create(m.path("big"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("B"), 1<<20)
	var werr error
	for i := 0; i < 32 && werr == nil; i++ {
		_, werr = f.Write(chunk)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if free := statfsFree(t, m.dir); free > 2<<20 {
		t.Errorf("statfs free %d with the disks filled (was %d)", free, free0)
	}
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("writing 32 MiB on 16: %v, want ENOSPC", werr)
	}
	return m, keep, free0
}

func statfsFree(t *testing.T, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bavail * uint64(st.Bsize)
}
