package objstore

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/meta"
)

// fragRig is a store with one file written sequentially, then overwritten
// at random offsets with a commit after each write, kept in model.
type fragRig struct {
	s     *Store
	ino   Ino
	model []byte
}

func newFragRig(t *testing.T, size, writes int, holeAt int) *fragRig {
	t.Helper()
	// No periodic sync: blobs are freed only when the test syncs
	// (countBlobs), so counts do not race with syncLoop's deletions.
	s := NewTesting(t, Options{InlineMax: 1 << 10, BlobSize: 8 << 10, DirtyMax: 32 << 10, CompactRate: -1,
		SyncInterval: time.Hour})
	if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		t.Fatal(err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	a := mustCreate(t, s, bk.Ino, "f")
	r := &fragRig{s: s, ino: a.Ino, model: make([]byte, size)}
	// Compaction is the test's to run: mark the file queued, so its
	// closes do not queue it.
	s.compactMu.Lock()
	s.compactPending[a.Ino] = struct{}{}
	s.compactMu.Unlock()
	h, err := s.Open(ctx, a.Ino, false)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(int64(size + writes)))
	rng.Read(r.model)
	if holeAt > 0 {
		// A hole of 64 KiB that no write touches.
		clear(r.model[holeAt : holeAt+64<<10])
		r.write(t, h, 0, r.model[:holeAt])
		r.write(t, h, holeAt+64<<10, r.model[holeAt+64<<10:])
	} else {
		r.write(t, h, 0, r.model)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < writes; i++ {
		off := rng.Intn(size - 600)
		if holeAt > 0 && off+600 > holeAt && off < holeAt+64<<10 {
			continue
		}
		p := make([]byte, 1+rng.Intn(600))
		rng.Read(p)
		r.write(t, h, off, p)
		if err := h.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	// The close queued the ETag; let the ETag worker be done with the
	// file, whose reference would make a compaction find it busy.
	if _, err := s.HeadObject(ctx, "bkt", "f"); err != nil {
		t.Fatal(err)
	}
	for len(s.etags) > 0 || s.openFileIfAny(a.Ino) != nil {
		time.Sleep(time.Millisecond)
	}
	return r
}

func (r *fragRig) write(t *testing.T, h *Handle, off int, p []byte) {
	t.Helper()
	if _, err := h.WriteAt(ctx, p, int64(off)); err != nil {
		t.Fatal(err)
	}
	copy(r.model[off:], p)
}

func (r *fragRig) extents(t *testing.T) []meta.Extent { t.Helper(); return extentsOf(t, r.s, r.ino) }

func extentsOf(tb testing.TB, s *Store, ino Ino) []meta.Extent {
	tb.Helper()
	var ext []meta.Extent
	if err := s.db.View(func(x *meta.Txn) (err error) { ext, err = x.Extents(uint64(ino)); return }); err != nil {
		tb.Fatal(err)
	}
	return ext
}

func (r *fragRig) check(t *testing.T, what string) {
	t.Helper()
	if got := readAll(t, r.s, "bkt", "f"); !bytes.Equal(got, r.model) {
		t.Fatalf("%s: S3 read of %d bytes differs from the model of %d", what, len(got), len(r.model))
	}
	h, err := r.s.Open(ctx, r.ino, false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	got := make([]byte, len(r.model))
	if n, err := h.ReadAt(ctx, got, 0); (err != nil && err != io.EOF) || n != len(got) || !bytes.Equal(got, r.model) {
		t.Fatalf("%s: handle read %d bytes (%v), differs from the model", what, n, err)
	}
}

// distinctBlobs counts the blobs a layout names.
func distinctBlobs(ext []meta.Extent) int { return len(unreferenced(ext, nil)) }

func TestFragmented(t *testing.T) {
	s := NewTesting(t, Options{BlobSize: 4 << 20})
	seq := func(n int, l uint64) []meta.Extent {
		var out []meta.Extent
		for i := 0; i < n; i++ {
			out = append(out, meta.Extent{Off: uint64(i) * l, Len: l, Blob: uint64(i/8 + 1)})
		}
		return out
	}
	sparse := seq(1000, 4<<10)
	for i := range sparse {
		sparse[i].Off *= 2 // a hole after every extent
	}
	for _, tc := range []struct {
		name string
		ext  []meta.Extent
		want bool
	}{
		{"few extents", seq(64, 4<<10), false},
		{"many small extents", seq(1000, 4<<10), true},
		{"many blob-sized extents", seq(1000, 4<<20), false},
		{"average at the threshold", seq(100, 256<<10), false},
		{"scattered writes in a sparse file", sparse, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.fragmented(tc.ext); got != tc.want {
				t.Fatalf("fragmented = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCompactRewritesFragmentedFile(t *testing.T) {
	for _, tc := range []struct {
		name           string
		size, writes   int
		holeAt         int
		wantCompaction bool
	}{
		{"dense", 256 << 10, 400, 0, true},
		{"with a hole", 256 << 10, 400, 100 << 10, true},
		{"several windows", 1 << 20, 1500, 0, true},
		{"sequential", 256 << 10, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFragRig(t, tc.size, tc.writes, tc.holeAt)
			s := r.s
			if err := s.SetXattr(ctx, r.ino, "user.k", []byte("v"), 0); err != nil {
				t.Fatal(err)
			}
			before := r.extents(t)
			// HEAD first: it records the ETag of a randomly written file.
			headBefore, err := s.HeadObject(ctx, "bkt", "f")
			if err != nil {
				t.Fatal(err)
			}
			attrBefore, _ := s.GetAttr(ctx, r.ino)
			done, err := s.compact(ctx, r.ino, &rateLimiter{})
			if err != nil || done != tc.wantCompaction {
				t.Fatalf("compact = %v, %v; want %v (%d extents)", done, err, tc.wantCompaction, len(before))
			}
			after := r.extents(t)
			r.check(t, "after compaction")
			bs := uint64(s.opts.BlobSize)
			if tc.wantCompaction {
				// One extent per blob, plus one per hole and per
				// window's partial last blob.
				windows := (uint64(tc.size)+compactWindowBlobs*bs-1)/(compactWindowBlobs*bs) + 1
				if max := uint64(tc.size)/bs + windows + 2; uint64(len(after)) > max {
					t.Errorf("%d extents -> %d, want at most %d", len(before), len(after), max)
				}
			} else if len(after) != len(before) {
				t.Errorf("not fragmented, yet %d extents -> %d", len(before), len(after))
			}
			if storedBytes(after) != storedBytes(before) {
				t.Errorf("stored bytes %d -> %d (holes filled?)", storedBytes(before), storedBytes(after))
			}
			attrAfter, _ := s.GetAttr(ctx, r.ino)
			headAfter, _ := s.HeadObject(ctx, "bkt", "f")
			if attrAfter != attrBefore || headAfter.ETag != headBefore.ETag || headAfter.ETag != md5hex(r.model) {
				t.Errorf("attributes changed:\n%+v\n%+v\netag %s -> %s", attrBefore, attrAfter, headBefore.ETag, headAfter.ETag)
			}
			if v, err := s.GetXattr(ctx, r.ino, "user.k"); err != nil || string(v) != "v" {
				t.Errorf("xattr %q, %v", v, err)
			}
			// Old blobs are freed (after the sync countBlobs runs).
			if n, want := s.countBlobs(t), distinctBlobs(after); n != want {
				t.Errorf("%d blobs on the disks, the layout names %d", n, want)
			}
			if err := s.syncAndFree(); err != nil {
				t.Fatal(err)
			}
			rep, err := Fsck(ctx, s.db, s.blobs, FsckOptions{})
			if err != nil || len(rep.Problems) != 0 {
				t.Fatalf("fsck after compaction: %v %+v", err, rep.Problems)
			}
		})
	}
}

// TestCompactFreesOnlyAfterSync: the swaps do not wait for the disk, so the
// blobs they let go stay until the next metadata sync.
func TestCompactFreesOnlyAfterSync(t *testing.T) {
	r := newFragRig(t, 256<<10, 400, 0)
	s := r.s
	if err := s.syncAndFree(); err != nil {
		t.Fatal(err)
	}
	before := s.rawBlobs(t)
	if done, err := s.compact(ctx, r.ino, &rateLimiter{}); !done || err != nil {
		t.Fatalf("compact = %v, %v", done, err)
	}
	added := distinctBlobs(r.extents(t))
	if n := s.rawBlobs(t); n != before+added {
		t.Fatalf("before the sync: %d blobs, want %d old + %d new", n, before, added)
	}
	if n := s.countBlobs(t); n != added {
		t.Fatalf("after the sync: %d blobs, want %d", n, added)
	}
}

// TestCompactWithReaders: a snapshot opened before the compaction reads the
// old layout to the end, the blobs it needs kept until it closes; readers
// running during the compaction read the right bytes throughout.
func TestCompactWithReaders(t *testing.T) {
	r := newFragRig(t, 1<<20, 1500, 0)
	s := r.s
	snap, err := s.OpenObject(ctx, "bkt", "f")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o, err := s.OpenObject(ctx, "bkt", "f")
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(io.NewSectionReader(o, 0, o.Info().Size))
				o.Close()
				if err != nil || !bytes.Equal(got, r.model) {
					errs <- errors.New("a reader during compaction read other bytes")
					return
				}
			}
		}()
	}
	// A reader caught between taking the file and opening its snapshot
	// counts as a handle, and the compaction then puts itself off (as the
	// worker does): try again, as the next close would queue it again.
	var done bool
	for try := 0; try < 20; try++ {
		if done, err = s.compact(ctx, r.ino, &rateLimiter{rate: 4 << 20}); !errors.Is(err, errCompactBusy) {
			break
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !done || err != nil {
		t.Fatalf("compact = %v, %v", done, err)
	}
	// Old blobs are still there for the snapshot, even after a sync.
	s.countBlobs(t)
	got, err := io.ReadAll(io.NewSectionReader(snap, 0, snap.Info().Size))
	if err != nil || !bytes.Equal(got, r.model) {
		t.Fatalf("snapshot from before the compaction: %v, bytes equal %v", err, bytes.Equal(got, r.model))
	}
	snap.Close()
	if n, want := s.countBlobs(t), distinctBlobs(r.extents(t)); n != want {
		t.Fatalf("%d blobs after the snapshot closed, the layout names %d", n, want)
	}
	r.check(t, "after compaction")
}

// TestCompactLeavesWrittenFileAlone: a file open through a handle is not
// compacted, and a write committed during a compaction stops it without
// losing the write or leaking blobs.
func TestCompactLeavesWrittenFileAlone(t *testing.T) {
	t.Run("open handle", func(t *testing.T) {
		r := newFragRig(t, 256<<10, 400, 0)
		h, err := r.s.Open(ctx, r.ino, false)
		if err != nil {
			t.Fatal(err)
		}
		before := len(r.extents(t))
		if done, err := r.s.compact(ctx, r.ino, &rateLimiter{}); done || !errors.Is(err, errCompactBusy) {
			t.Fatalf("compact of an open file = %v, %v", done, err)
		}
		if after := len(r.extents(t)); after != before {
			t.Fatalf("extents %d -> %d", before, after)
		}
		h.Release(ctx)
		r.check(t, "after a refused compaction")
	})
	t.Run("write during compaction", func(t *testing.T) {
		r := newFragRig(t, 256<<10, 400, 0)
		s := r.s
		res := make(chan error, 1)
		go func() {
			// Two seconds for the whole file (two windows): the write
			// below commits before the last window is swapped, even on a
			// loaded machine.
			_, err := s.compact(ctx, r.ino, &rateLimiter{rate: 128 << 10})
			res <- err
		}()
		for {
			f := s.openFileIfAny(r.ino)
			if f != nil {
				f.mu.RLock()
				started := f.readers > 0
				f.mu.RUnlock()
				if started {
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		h, err := s.Open(ctx, r.ino, false)
		if err != nil {
			t.Fatal(err)
		}
		r.write(t, h, 1000, bytes.Repeat([]byte("w"), 5000))
		if err := h.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-res; !errors.Is(err, errCompactChanged) {
			t.Fatalf("compaction racing a write: %v", err)
		}
		r.check(t, "after a write during compaction")
		if n, want := s.countBlobs(t), distinctBlobs(r.extents(t)); n != want {
			t.Fatalf("%d blobs on the disks, the layout names %d", n, want)
		}
	})
}

// TestCompactAfterLastClose: the last close of a file a commit left
// fragmented queues it, and the worker compacts it.
func TestCompactAfterLastClose(t *testing.T) {
	s := NewTesting(t, Options{InlineMax: 1 << 10, BlobSize: 8 << 10, CompactRate: -1})
	if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		t.Fatal(err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	a := mustCreate(t, s, bk.Ino, "f")
	r := &fragRig{s: s, ino: a.Ino, model: make([]byte, 256<<10)}
	rng := rand.New(rand.NewSource(1))
	rng.Read(r.model)
	h, _ := s.Open(ctx, a.Ino, false)
	r.write(t, h, 0, r.model)
	for i := 0; i < 400; i++ {
		p := make([]byte, 512)
		rng.Read(p)
		r.write(t, h, rng.Intn(len(r.model)-512), p)
		if err := h.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.extents(t)); n <= compactMinExtents {
		t.Fatalf("only %d extents: not fragmented", n)
	}
	// Open files are not compacted, however long they stay open.
	time.Sleep(100 * time.Millisecond)
	if n := len(r.extents(t)); n <= compactMinExtents {
		t.Fatalf("compacted while open: %d extents", n)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(r.extents(t)) > len(r.model)/s.opts.BlobSize+2 {
		if time.Now().After(deadline) {
			t.Fatalf("not compacted after the last close: %d extents", len(r.extents(t)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.check(t, "after background compaction")
}

// TestCompactCrashLeavesOrphansOnly: blobs written for a window that a
// crash kept from being swapped are named by nothing, and the orphan
// collection of the next start deletes them; the file is intact.
func TestCompactCrashLeavesOrphansOnly(t *testing.T) {
	r := newFragRig(t, 256<<10, 400, 0)
	s := r.s
	old := r.extents(t)
	before := s.countBlobs(t)
	_, ids, err := s.rewriteWindow(ctx, old, &rateLimiter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.countBlobs(t); n != before+len(ids) {
		t.Fatalf("%d blobs, want %d + %d written", n, before, len(ids))
	}
	// The restart: every id allocated so far belongs to the run that died.
	below, _ := s.newBlobID()
	n, err := s.collectOrphans(ctx, below)
	if err != nil || n != len(ids) {
		t.Fatalf("collected %d (%v), want the %d rewritten blobs", n, err, len(ids))
	}
	if n := s.countBlobs(t); n != before {
		t.Fatalf("%d blobs after collection, want %d", n, before)
	}
	r.check(t, "after the orphans went")
}
