package tests

import (
	"syscall"
	"testing"
)

// TestPOSIXStatfsSharedDisk: with the default layout every shard
// directory lies on one file system, so writing n bytes of data takes
// n*(k+m)/k of its space: the mount must report about its free space times
// k/(k+m), not k times the file system's space.
func TestPOSIXStatfsSharedDisk(t *testing.T) {
	d := sharedDaemon(t)
	var mnt, data syscall.Statfs_t
	if err := syscall.Statfs(d.Mount, &mnt); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Statfs(d.Data, &data); err != nil {
		t.Fatal(err)
	}
	mntTotal := mnt.Blocks * uint64(mnt.Frsize)
	mntFree := mnt.Bavail * uint64(mnt.Frsize)
	dataTotal := data.Blocks * uint64(data.Frsize)
	dataFree := data.Bavail * uint64(data.Frsize)
	t.Logf("mount: %d of %d bytes free; data file system: %d of %d", mntFree, mntTotal, dataFree, dataTotal)
	if mntTotal > dataTotal*4/6*11/10 || mntFree > dataFree*4/6*11/10 {
		t.Errorf("the mount reports %d bytes total, %d free: more than 4/6 of the one file system under all shards (%d, %d)",
			mntTotal, mntFree, dataTotal, dataFree)
	}
}
