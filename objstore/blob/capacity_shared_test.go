package blob

import (
	"context"
	"fmt"
	"testing"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// statDisk is a memory disk that reports a chosen file system usage.
type statDisk struct {
	*disk.Mem
	u disk.Usage
}

func (d statDisk) Stat(context.Context) (disk.Usage, error) { return d.u, nil }

func TestCapacitySharedFileSystems(t *testing.T) {
	const gib = 1 << 30
	cases := []struct {
		name     string
		devices  []uint64 // per disk; 0 = its own
		free     []uint64
		wantFree uint64
	}{
		{"one file system each", []uint64{0, 0, 0, 0, 0, 0}, []uint64{10, 10, 10, 10, 10, 6}, 4 * 6 * gib},
		{"all on one file system", []uint64{7, 7, 7, 7, 7, 7}, []uint64{60, 60, 60, 60, 60, 60}, 60 * gib * 4 / 6},
		{"two file systems", []uint64{1, 1, 1, 2, 2, 2}, []uint64{30, 30, 30, 90, 90, 90}, 30 * gib * 4 / 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			disks := make([]disk.Disk, 6)
			for i := range disks {
				disks[i] = statDisk{disk.NewMem(fmt.Sprint(i), 0), disk.Usage{Total: 100 * gib, Free: c.free[i] * gib, Device: c.devices[i]}}
			}
			s, err := New(disks, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, free, err := s.Capacity(context.Background())
			if err != nil || free != c.wantFree {
				t.Fatalf("free %d GiB (%v), want %d GiB", free/gib, err, c.wantFree/gib)
			}
		})
	}
}
