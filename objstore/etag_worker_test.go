package objstore

import (
	"testing"
	"time"

	"github.com/shallot-storage/shallot/meta"
)

// TestETagWorkerYieldsToOpeners: the background ETag worker leaves a file
// alone while someone has it open, and an open while it hashes stops it;
// the ETag is then computed later (or by the S3 read that needs it).
func TestETagWorkerYieldsToOpeners(t *testing.T) {
	s := small(t)
	a := mustCreate(t, s, RootIno, "f")
	h, err := s.Open(ctx, a.Ino, false)
	mustOK(t, err)
	// Out of order: no running MD5, the commit leaves the ETag stale.
	_, err = h.WriteAt(ctx, []byte("world"), 5)
	mustOK(t, err)
	_, err = h.WriteAt(ctx, []byte("hello"), 0)
	mustOK(t, err)
	mustOK(t, h.Flush(ctx))
	stale := func() bool {
		var n meta.Inode
		mustOK(t, s.db.View(func(x *meta.Txn) (err error) { n, err = x.Inode(uint64(a.Ino)); return }))
		return n.Flags&meta.FlagETagStale != 0
	}
	if !stale() {
		t.Fatal("an out-of-order write left no stale ETag")
	}

	mustOK(t, s.computeStaleETag(ctx, a.Ino))
	if !stale() {
		t.Fatal("the worker hashed a file someone has open")
	}

	// An opener cancels a running hash: acquire calls the cancel the
	// worker registered.
	f := s.openFileIfAny(a.Ino)
	cancelled := false
	s.openMu.Lock()
	f.etagCancel = func() { cancelled = true }
	s.openMu.Unlock()
	h2, err := s.Open(ctx, a.Ino, false)
	mustOK(t, err)
	if !cancelled {
		t.Fatal("an open did not stop the background hash")
	}
	mustOK(t, h2.Release(ctx))
	mustOK(t, h.Release(ctx))

	// Closed by everyone: the close queued it, and the worker computes it.
	waitETag(t, s, a.Ino)
	var n meta.Inode
	mustOK(t, s.db.View(func(x *meta.Txn) (err error) { n, err = x.Inode(uint64(a.Ino)); return }))
	if n.ETag != md5hex([]byte("helloworld")) {
		t.Fatalf("ETag %s, want the MD5 of the content", n.ETag)
	}
}

// waitETag waits (5 s at most) until ino's ETag is known, running the
// worker's computation itself too: the background worker and this call may
// stop each other, which is what an open does.
func waitETag(t *testing.T, s *Store, ino Ino) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = s.computeStaleETag(ctx, ino)
		var n meta.Inode
		mustOK(t, s.db.View(func(x *meta.Txn) (err error) { n, err = x.Inode(uint64(ino)); return }))
		if n.Flags&meta.FlagETagStale == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("ETag still unknown after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
