package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// rig is a Store on six faulty memory (or directory) disks, 4+2.
type rig struct {
	s      *Store
	faulty []*disk.Faulty
	logs   *test.Hook
}

func newRig(t testing.TB, onDir bool, opts Options) *rig {
	t.Helper()
	n := opts.DataShards + opts.ParityShards
	if n == 0 {
		n = 6
	}
	r := &rig{}
	disks := make([]disk.Disk, n)
	for i := range disks {
		var inner disk.Disk = disk.NewMem(fmt.Sprintf("mem%d", i), 0)
		if onDir {
			d, err := disk.NewDir(fmt.Sprintf("dir%d", i), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			inner = d
		}
		f := disk.NewFaulty(inner)
		r.faulty = append(r.faulty, f)
		disks[i] = f
	}
	logger, hook := test.NewNullLogger()
	r.logs = hook
	opts.Log = logrus.NewEntry(logger).WithField("component", "blob")
	s, err := New(disks, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	return r
}

// fresh returns a Store on the same disks with an empty geometry cache, as
// after a restart.
func (r *rig) fresh(t testing.TB) *Store {
	s, err := New(r.s.disks, Options{DataShards: r.s.k, ParityShards: r.s.m, BlockSize: r.s.bs, Log: r.s.log})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pattern(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func (r *rig) put(t testing.TB, id ID, data []byte) {
	t.Helper()
	if err := r.s.Put(context.Background(), id, data); err != nil {
		t.Fatalf("Put(%s, %d bytes): %v", id, len(data), err)
	}
}

// removeShard deletes shard i of id behind the store's back.
func (r *rig) removeShard(t testing.TB, id ID, i int) {
	t.Helper()
	if err := r.faulty[i].Inner().Remove(context.Background(), shardName(id, i)); err != nil {
		t.Fatal(err)
	}
}

// corruptShard flips one byte of shard i of id at file offset off (a
// negative off counts from the end).
func (r *rig) corruptShard(t testing.TB, id ID, i int, off int64) {
	t.Helper()
	ctx := context.Background()
	d := r.faulty[i].Inner()
	buf := make([]byte, 64<<20)
	n, err := d.ReadAt(ctx, shardName(id, i), buf, 0)
	if err != io.EOF {
		t.Fatalf("reading shard to corrupt: %v", err)
	}
	if off < 0 {
		off += int64(n)
	}
	buf[off] ^= 0x40
	if err := d.WriteFile(ctx, shardName(id, i), buf[:n]); err != nil {
		t.Fatal(err)
	}
}

// checkRead reads [off, off+n) of id and compares with data the way
// io.ReaderAt must behave.
func checkRead(t testing.TB, s *Store, id ID, data []byte, off int64, n int) {
	t.Helper()
	p := make([]byte, n)
	got, err := s.ReadAt(context.Background(), id, p, off)
	want := 0
	if off < int64(len(data)) {
		want = min(n, len(data)-int(off))
	}
	switch {
	case want < n && err != io.EOF:
		t.Fatalf("ReadAt(off %d, len %d) of %d bytes: err %v, want io.EOF", off, n, len(data), err)
	case want == n && err != nil:
		t.Fatalf("ReadAt(off %d, len %d) of %d bytes: %v", off, n, len(data), err)
	case got != want:
		t.Fatalf("ReadAt(off %d, len %d) of %d bytes = %d bytes, want %d", off, n, len(data), got, want)
	case got > 0 && !bytes.Equal(p[:got], data[off:off+int64(got)]):
		t.Fatalf("ReadAt(off %d, len %d) of %d bytes returned wrong bytes", off, n, len(data))
	}
}

// readAllOf reads the whole blob with several request sizes.
func readAllOf(t testing.TB, s *Store, id ID, data []byte) {
	t.Helper()
	checkRead(t, s, id, data, 0, len(data)+1)
	for _, step := range []int{4096, 10007} {
		for off := 0; off < len(data); off += step {
			checkRead(t, s, id, data, int64(off), step)
		}
	}
}

// expectUnreadable checks that a read fails with ErrUnreadable.
func expectUnreadable(t testing.TB, s *Store, id ID, off int64, n int) {
	t.Helper()
	p := make([]byte, n)
	got, err := s.ReadAt(context.Background(), id, p, off)
	if !errors.Is(err, ErrUnreadable) {
		t.Fatalf("ReadAt(off %d, len %d) = %d, %v; want ErrUnreadable", off, n, got, err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unreadable blob reported as not existing: %v", err)
	}
}

type diskAlias = disk.Disk

func memDisk(i int) disk.Disk { return disk.NewMem(fmt.Sprintf("mem%d", i), 0) }

func memDiskCap(i int, c uint64) disk.Disk { return disk.NewMem(fmt.Sprintf("mem%d", i), c) }
