package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *maintRig) emptyDisk(t *testing.T, i int) {
	t.Helper()
	var names []string
	r.mems[i].List(ctx, func(n string) error { names = append(names, n); return nil })
	for _, n := range names {
		if err := r.mems[i].Remove(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
}

func diskState(m *Maintenance, i int) string { return m.Status().Disks[i].State }

// A disk replaced by an empty one gets every shard back, in the
// background, without being asked.
func TestHealRebuildsReplacedDisk(t *testing.T) {
	r := newMaintRig(t, 15)
	m := r.start(t, MaintenanceOptions{ScrubRate: -1, ProbeInterval: 10 * time.Millisecond})
	pass := m.Status().Heal.Pass
	r.emptyDisk(t, 2)
	waitFor(t, "a heal pass for the blank disk", func() bool {
		st := m.Status().Heal
		return st.Pass > pass && !st.Running && len(st.Pending) == 0
	})
	st := m.Status()
	n := uint64(len(r.blobIDs(t)))
	if l := st.Heal.Last; l.Blobs != n || l.Damaged != n || l.Repaired != n || l.RepairFails != 0 {
		t.Errorf("heal counts %+v, want all %d blobs rebuilt", l, n)
	}
	r.checkHealthy(t)
	// Any two other disks can go now.
	r.faulty[0].Set(disk.Faults{Dead: true})
	r.faulty[5].Set(disk.Faults{Dead: true})
	r.checkHealthyReads(t)
}

// checkHealthyReads reads everything (the disks may be dead).
func (r *maintRig) checkHealthyReads(t *testing.T) {
	t.Helper()
	for k, want := range r.want {
		if got := readAll(t, r.s, "bkt", k); string(got) != string(want) {
			t.Errorf("%s: wrong content", k)
		}
	}
}

// Blobs written while a disk was dead lack their shard there; when it
// answers again they are rebuilt.
func TestHealAfterDiskComesBack(t *testing.T) {
	r := newMaintRig(t, 5)
	m := r.start(t, MaintenanceOptions{ScrubRate: -1, ProbeInterval: 10 * time.Millisecond})
	r.faulty[3].Set(disk.Faults{Dead: true})
	waitFor(t, "the probe to see the dead disk", func() bool { return diskState(m, 3) == "unreadable" })
	if st := m.Status(); st.DegradedBlobs != -1 || st.DegradedNote == "" {
		t.Errorf("status with a dead disk: %+v", st)
	}
	for i := 0; i < 6; i++ {
		r.put(t, fmt.Sprintf("degraded%d", i), 6<<10)
	}
	pass := m.Status().Heal.Pass
	r.faulty[3].Set(disk.Faults{})
	waitFor(t, "a heal pass after the disk came back", func() bool {
		st := m.Status().Heal
		return st.Pass > pass && !st.Running && len(st.Pending) == 0
	})
	if l := m.Status().Heal.Last; l.Repaired != 6 || l.Damaged != 6 {
		t.Errorf("heal counts %+v, want the 6 blobs written without disk 3 rebuilt", l)
	}
	r.checkHealthy(t)
}

// Heal on demand covers every disk and returns its counts.
func TestHealOnDemand(t *testing.T) {
	r := newMaintRig(t, 6)
	// A long probe interval: only the on-demand pass can find this.
	m := r.start(t, MaintenanceOptions{ScrubRate: -1, ProbeInterval: time.Hour})
	ids := r.blobIDs(t)
	r.damage(t, ids[0], 0, true)
	r.damage(t, ids[2], 5, true)
	r.damage(t, ids[2], 1, true)
	c, err := m.Heal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Blobs != uint64(len(ids)) || c.Damaged != 2 || c.ShardsBad != 3 || c.Repaired != 2 {
		t.Errorf("heal counts %+v", c)
	}
	r.checkHealthy(t)
}

func TestProbeReportsDiskStates(t *testing.T) {
	r := newMaintRig(t, 1)
	m := r.start(t, MaintenanceOptions{ScrubRate: -1, ProbeInterval: 10 * time.Millisecond})
	for i := 0; i < 6; i++ {
		if s := diskState(m, i); s != "ok" {
			t.Errorf("disk %d: %s", i, s)
		}
	}
	r.faulty[1].Set(disk.Faults{Dead: true})
	waitFor(t, "dead disk", func() bool { return diskState(m, 1) == "unreadable" })
	r.faulty[1].Set(disk.Faults{})
	waitFor(t, "disk back", func() bool { return diskState(m, 1) == "ok" })
	// A marker of another store: foreign, left alone.
	r.mems[4].WriteFile(ctx, "shallot-disk-id", []byte("shallot-disk v1 store=someone-else index=4\n"))
	waitFor(t, "foreign disk", func() bool { return diskState(m, 4) == "foreign" })
	if got, _ := r.s.blobs.ProbeDisks(ctx, m.storeID)[4], 0; got.State != blob.DiskForeign {
		t.Errorf("probe: %v", got.State)
	}
}

// deniedDisk fails with errno when denied is set: EACCES as a shard
// directory made unreadable (chmod 000) does to a daemon without
// CAP_DAC_OVERRIDE, ENOENT as a deleted one does.
type deniedDisk struct {
	disk.Disk
	errno  syscall.Errno
	denied atomic.Bool
}

func (d *deniedDisk) err(op, name string) error {
	return fmt.Errorf("disk %s: %w", d.ID(), &fs.PathError{Op: op, Path: name, Err: d.errno})
}

func (d *deniedDisk) WriteFile(ctx context.Context, name string, data ...[]byte) error {
	if d.denied.Load() {
		return d.err("open", name)
	}
	return d.Disk.WriteFile(ctx, name, data...)
}

func (d *deniedDisk) ReadAt(ctx context.Context, name string, p []byte, off int64) (int, error) {
	if d.denied.Load() {
		return 0, d.err("open", name)
	}
	return d.Disk.ReadAt(ctx, name, p, off)
}

// TestUnreadableDisksAreIOErrors: with more than m shard directories
// failing, a failed write or read is ErrIO (S3 503, EIO), whatever errno
// the disks gave: not EACCES passing for ErrPermission (a directory made
// unreadable answered 403 AccessDenied), nor ENOENT for ErrNotExist (a
// deleted one answered 404 NoSuchKey to a PUT).
func TestUnreadableDisksAreIOErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.ENOENT} {
		t.Run(errno.Error(), func(t *testing.T) {
			var denied []*deniedDisk
			var disks []disk.Disk
			for i := 0; i < 6; i++ {
				d := &deniedDisk{Disk: disk.NewMem(fmt.Sprintf("mem%d", i), 0), errno: errno}
				denied, disks = append(denied, d), append(disks, d)
			}
			s := NewTestingOn(t, disks, Options{InlineMax: 1 << 10})
			if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
				t.Fatal(err)
			}
			body := bytes.Repeat([]byte("x"), 100<<10)
			if _, err := s.PutObject(ctx, "bkt", "old", bytes.NewReader(body), int64(len(body)), PutOptions{}); err != nil {
				t.Fatal(err)
			}
			for _, i := range []int{0, 2, 4} {
				denied[i].denied.Store(true)
			}
			check := func(what string, err error) {
				if !errors.Is(err, ErrIO) || errors.Is(err, ErrPermission) || errors.Is(err, ErrNotExist) {
					t.Errorf("%s with 3 of 6 disks failing: %v (ErrIO %v, ErrPermission %v, ErrNotExist %v); want ErrIO only",
						what, err, errors.Is(err, ErrIO), errors.Is(err, ErrPermission), errors.Is(err, ErrNotExist))
				}
			}
			_, err := s.PutObject(ctx, "bkt", "new", bytes.NewReader(body), int64(len(body)), PutOptions{})
			check("put", err)
			r, err := s.OpenObject(ctx, "bkt", "old")
			if err == nil {
				_, err = io.ReadAll(io.NewSectionReader(r, 0, r.Info().Size))
				r.Close()
			}
			check("read", err)
		})
	}
}

// Disks written by one store refuse metadata that is not theirs: New's
// orphan collection would delete their blobs.
func TestCheckIdentity(t *testing.T) {
	r := newMaintRig(t, 3)
	r.start(t, MaintenanceOptions{ScrubRate: -1}) // writes the markers
	if err := CheckIdentity(ctx, r.s.db, r.s.blobs); err != nil {
		t.Fatalf("own metadata: %v", err)
	}
	other, err := meta.Open(meta.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := CheckIdentity(ctx, other, r.s.blobs); !errors.Is(err, meta.ErrDamaged) {
		t.Errorf("empty metadata over used disks: %v, want ErrDamaged", err)
	}
	if _, err := storeID(other); err != nil {
		t.Fatal(err)
	}
	if err := CheckIdentity(ctx, other, r.s.blobs); !errors.Is(err, meta.ErrDamaged) {
		t.Errorf("another store's metadata: %v, want ErrDamaged", err)
	}
	// Blank disks prove nothing.
	for i := range r.mems {
		r.emptyDisk(t, i)
	}
	if err := CheckIdentity(ctx, other, r.s.blobs); err != nil {
		t.Errorf("blank disks: %v", err)
	}
}
