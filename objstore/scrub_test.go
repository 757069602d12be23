package objstore

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
	"github.com/sirupsen/logrus"
)

// maintRig is a store over faulty memory disks with objects in bucket
// "bkt", for the scrub and heal tests.
type maintRig struct {
	s      *Store
	faulty []*disk.Faulty
	mems   []*disk.Mem
	want   map[string][]byte
}

func newMaintRig(t *testing.T, objects int) *maintRig {
	t.Helper()
	r := &maintRig{want: map[string][]byte{}}
	var disks []disk.Disk
	for i := 0; i < 6; i++ {
		m := disk.NewMem(fmt.Sprintf("mem%d", i), 0)
		f := disk.NewFaulty(m)
		r.mems, r.faulty = append(r.mems, m), append(r.faulty, f)
		disks = append(disks, f)
	}
	r.s = NewTestingOn(t, disks, Options{InlineMax: 1 << 10, BlobSize: 8 << 10, DirtyMax: 32 << 10, MinPartSize: 4 << 10})
	if err := r.s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < objects; i++ {
		r.put(t, fmt.Sprintf("o%03d", i), 3<<10+i*512)
	}
	return r
}

func (r *maintRig) put(t *testing.T, key string, size int) {
	t.Helper()
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i*13 + len(key))
	}
	if _, err := r.s.PutObject(ctx, "bkt", key, bytes.NewReader(body), int64(size), PutOptions{}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	r.want[key] = body
}

func (r *maintRig) start(t *testing.T, opts MaintenanceOptions) *Maintenance {
	t.Helper()
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	opts.Log = logrus.NewEntry(log)
	m, err := StartMaintenance(r.s, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	waitJobs(t, m)
	return m
}

// waitJobs waits until no heal is running or due: a store started with
// blobs but no disk markers (as built here) first heals every disk.
func waitJobs(t *testing.T, m *Maintenance) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := m.Status()
		if !st.Heal.Running && len(st.Heal.Pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("heal does not finish: %+v", st.Heal)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// blobIDs lists the blobs the metadata names.
func (r *maintRig) blobIDs(t *testing.T) []uint64 {
	t.Helper()
	var ids []uint64
	err := r.s.db.View(func(x *meta.Txn) error {
		return x.BlobRefs(func(b uint64) error { ids = append(ids, b); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// damage flips a byte in the data of shard i of blob id, or removes it.
func (r *maintRig) damage(t *testing.T, id uint64, i int, remove bool) {
	t.Helper()
	name := shardFile(id, i)
	if remove {
		if err := r.mems[i].Remove(ctx, name); err != nil {
			t.Fatal(err)
		}
		return
	}
	buf := make([]byte, 64<<10)
	n, _ := r.mems[i].ReadAt(ctx, name, buf, 0)
	if n == 0 {
		t.Fatalf("shard %s empty", name)
	}
	buf[n-1] ^= 0x5a
	if err := r.mems[i].WriteFile(ctx, name, buf[:n]); err != nil {
		t.Fatal(err)
	}
}

func (r *maintRig) checkHealthy(t *testing.T) {
	t.Helper()
	for _, id := range r.blobIDs(t) {
		h, err := r.s.blobs.Verify(ctx, blob.ID(id))
		if err != nil || !h.OK() {
			t.Errorf("blob %016x: damaged %v, %v", id, h.Damaged(), err)
		}
	}
	for k, want := range r.want {
		if got := readAll(t, r.s, "bkt", k); !bytes.Equal(got, want) {
			t.Errorf("%s: wrong content", k)
		}
	}
}

func TestScrubFindsAndRepairsDamage(t *testing.T) {
	r := newMaintRig(t, 12)
	ids := r.blobIDs(t)
	if len(ids) < 12 {
		t.Fatalf("%d blobs", len(ids))
	}
	m := r.start(t, MaintenanceOptions{ScrubRate: -1})
	// Three blobs damaged: a corrupt shard, a lost shard, both at once
	// (two shards: still recoverable with m = 2).
	r.damage(t, ids[0], 1, false)
	r.damage(t, ids[3], 4, true)
	r.damage(t, ids[7], 0, false)
	r.damage(t, ids[7], 5, true)
	c, err := m.Scrub(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	want := meta.JobCounts{Blobs: uint64(len(ids)), Damaged: 3, ShardsBad: 4, Repaired: 3}
	c.Bytes = 0
	if c != want {
		t.Errorf("scrub counts %+v, want %+v", c, want)
	}
	r.checkHealthy(t)
	if c, err = m.Scrub(ctx, true); err != nil || c.Damaged != 0 || c.Blobs != uint64(len(ids)) {
		t.Errorf("second scrub: %+v, %v", c, err)
	}
	st := m.Status()
	if st.Scrub.Pass != 2 || st.Scrub.Last.Blobs != uint64(len(ids)) || st.DegradedBlobs != 0 || st.LostBlobs != 0 {
		t.Errorf("status %+v", st)
	}
}

func TestScrubReportsLostBlobs(t *testing.T) {
	r := newMaintRig(t, 4)
	ids := r.blobIDs(t)
	m := r.start(t, MaintenanceOptions{ScrubRate: -1})
	for _, i := range []int{0, 1, 2} {
		r.damage(t, ids[1], i, true)
	}
	c, err := m.Scrub(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Damaged != 1 || c.Unreadable != 1 || c.Repaired != 0 {
		t.Errorf("counts %+v, want one unreadable blob", c)
	}
	if st := m.Status(); st.LostBlobs != 1 {
		t.Errorf("status reports %d lost blobs", st.LostBlobs)
	}
}

// A pass stopped half way goes on where it was after a restart, with its
// counts, and a pass never covers a blob twice.
func TestScrubResumesAcrossRestarts(t *testing.T) {
	r := newMaintRig(t, 100)
	ids := r.blobIDs(t)
	r.damage(t, ids[len(ids)-1], 2, false)
	// Slow enough to be stopped in the second batch of blobs.
	m := r.start(t, MaintenanceOptions{ScrubRate: 600 << 10})
	deadline := time.Now().Add(10 * time.Second)
	for m.Status().Scrub.Current.Blobs < 80 {
		if time.Now().After(deadline) {
			t.Fatal("scrub does not progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
	m.Stop()
	var saved meta.JobState
	r.s.db.View(func(x *meta.Txn) (err error) { saved, err = x.JobState(jobScrub); return })
	if saved.Cursor == nil || saved.Pass != 1 || saved.Current.Blobs == 0 || saved.Current.Blobs >= uint64(len(ids)) {
		t.Fatalf("saved state after stop: %+v", saved)
	}
	m2, err := StartMaintenance(r.s, MaintenanceOptions{ScrubRate: -1, Log: m.opts.Log})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Stop()
	deadline = time.Now().Add(10 * time.Second)
	for m2.Status().Scrub.Finished.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("resumed scrub pass does not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	st := m2.Status().Scrub
	if st.Pass != 1 || st.Last.Blobs != uint64(len(ids)) || st.Last.Repaired != 1 {
		t.Errorf("resumed pass: %+v, want pass 1 over %d blobs with 1 repair", st, len(ids))
	}
	r.checkHealthy(t)
}

func TestScrubRateLimit(t *testing.T) {
	r := newMaintRig(t, 10)
	var total int64
	for _, id := range r.blobIDs(t) {
		n, err := r.s.blobs.StoredSize(ctx, blob.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	rate := total * 2 // half a second for the pass
	m := r.start(t, MaintenanceOptions{ScrubRate: rate})
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	for m.Status().Scrub.Finished.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("scrub pass does not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Errorf("pass over %d bytes at %d B/s took %v", total, rate, el)
	}
	if got := m.Status().Scrub.Last.Bytes; got != uint64(total) {
		t.Errorf("pass read %d bytes, want %d", got, total)
	}
}
