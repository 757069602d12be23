package fuse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// TestDiskFull fills the disks through the mount: the writer gets ENOSPC
// (from a write, fsync or close), nothing written before is damaged, and
// statfs says the disks are full. (TestDiskFullSpaceReturns, build tag
// wip, asks for the space back after removing the file.)
func TestDiskFull(t *testing.T) {
	m, keep, free0 := fillDisks(t)
	mustRead(t, m.path("keep"), keep)
	if free := statfsFree(t, m.dir); free >= free0 || free > 2<<20 {
		t.Errorf("statfs free %d after filling (was %d)", free, free0)
	}
	// Whatever of big was committed reads back as written.
	if got, err := os.ReadFile(m.path("big")); err != nil || !bytes.Equal(got, bytes.Repeat([]byte("B"), len(got))) {
		t.Fatalf("the file that hit ENOSPC holds wrong bytes (%d bytes, %v)", len(got), err)
	}
}

// fillDisks mounts a store of 16 MiB, writes a 1 MiB file "keep", then
// writes "big" until ENOSPC. It returns keep's content and the free bytes
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
