package objstore

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
)

// rawBlobs counts the blobs on the disks without syncing first.
func (s *Store) rawBlobs(t *testing.T) int {
	t.Helper()
	n := 0
	if err := s.blobs.List(context.Background(), func(blob.ID) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCloseIsNotDurableFsyncIs: a close commits (every door sees the new
// content at once) without waiting for the disk; fsync waits, and only
// then may the blobs the close let go be deleted.
func TestCloseIsNotDurableFsyncIs(t *testing.T) {
	s := NewTesting(t, Options{InlineMax: 1 << 10, BlobSize: 8 << 10, SyncInterval: time.Hour})
	if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Lookup(ctx, RootIno, "bkt")
	if err != nil {
		t.Fatal(err)
	}
	a := mustCreate(t, s, b.Ino, "f")
	write := func(data []byte) *Handle {
		h, err := s.Open(ctx, a.Ino, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.WriteAt(ctx, data, 0); err != nil {
			t.Fatal(err)
		}
		if err := h.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		return h
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("b"), 6<<10)
	write(big).Release(ctx)
	if s.db.Unsynced() == 0 {
		t.Fatal("close waited for a metadata sync")
	}
	if got := readAll(t, s, "bkt", "f"); !bytes.Equal(got, big) {
		t.Fatalf("content after close: %d bytes", len(got))
	}
	before := s.rawBlobs(t)
	h := write([]byte("small now"))
	if got := s.rawBlobs(t); got != before {
		t.Fatalf("blobs %d -> %d before any sync: freed before the commit that let them go was durable", before, got)
	}
	if err := h.Fsync(ctx); err != nil {
		t.Fatal(err)
	}
	h.Release(ctx)
	if n := s.db.Unsynced(); n != 0 {
		t.Fatalf("%d commits unsynced after fsync", n)
	}
	if got := s.rawBlobs(t); got != 0 {
		t.Fatalf("%d blobs left after fsync of a file that is inline now", got)
	}
}

// TestSyncLoopBoundsVolatility: without any fsync, the background sync
// makes a close durable and frees its garbage within SyncInterval.
func TestSyncLoopBoundsVolatility(t *testing.T) {
	s := NewTesting(t, Options{InlineMax: 1 << 10, BlobSize: 8 << 10, SyncInterval: 20 * time.Millisecond})
	a := mustCreate(t, s, RootIno, "f")
	for _, size := range []int{6 << 10, 10} {
		h, err := s.Open(ctx, a.Ino, true)
		if err != nil {
			t.Fatal(err)
		}
		h.WriteAt(ctx, bytes.Repeat([]byte("x"), size), 0)
		if err := h.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.db.Unsynced() != 0 || s.rawBlobs(t) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %d commits unsynced, %d blobs left", s.db.Unsynced(), s.rawBlobs(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLateETag: a commit that does not wait for a lagging MD5 still ends
// with the right ETag, recorded by the hasher when it catches up (and
// not by a second pass over the file).
func TestLateETag(t *testing.T) {
	old := lateETagBacklog
	lateETagBacklog = 0 // every commit leaves the digest to arrive later
	t.Cleanup(func() { lateETagBacklog = old })
	s := NewTesting(t, Options{InlineMax: 1 << 10, BlobSize: 8 << 10})
	a := mustCreate(t, s, RootIno, "f")
	h, err := s.Open(ctx, a.Ino, false)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 5000)
	for off := 0; off < len(data); off += 4096 {
		if _, err := h.WriteAt(ctx, data[off:min(off+4096, len(data))], int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n meta.Inode
		if err := s.db.View(func(x *meta.Txn) (err error) { n, err = x.Inode(uint64(a.Ino)); return }); err != nil {
			t.Fatal(err)
		}
		if n.Flags&meta.FlagETagStale == 0 {
			if n.ETag != md5hex(data) {
				t.Fatalf("etag %s, want %s", n.ETag, md5hex(data))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("etag still stale 5 s after the close")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
