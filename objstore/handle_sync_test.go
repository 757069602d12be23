package objstore

import (
	"fmt"
	"testing"

	"github.com/shallot-storage/shallot/meta"
)

// TestReaderCloseDoesNotSync: closing a handle that only read must not
// make the metadata wait for a sync of changes committed without one (a
// namespace change through the mount); fsync through it does sync. Its
// close still publishes what another handle of the file buffered, without
// a sync.
func TestReaderCloseDoesNotSync(t *testing.T) {
	s := small(t)
	mount := WithOrigin(ctx, OriginMount)
	a := mustCreate(t, s, RootIno, "f")
	dirs := 0
	pending := func() {
		t.Helper()
		dirs++
		if _, err := s.Mkdir(mount, RootIno, fmt.Sprint("d", dirs), NodeIn{Mode: 0o755}); err != nil {
			t.Fatal(err)
		}
		if s.db.Unsynced() == 0 {
			t.Fatal("a namespace change through the mount was synced at once")
		}
	}
	open := func() *Handle {
		t.Helper()
		h, err := s.Open(mount, a.Ino, false)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	pending()
	r := open()
	if _, err := r.ReadAt(mount, make([]byte, 10), 0); err == nil {
		t.Fatal("read of an empty file: no EOF")
	}
	if err := r.Flush(mount); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(mount); err != nil {
		t.Fatal(err)
	}
	if s.db.Unsynced() == 0 {
		t.Error("closing a reader synced the metadata")
	}

	r = open()
	if err := r.Fsync(mount); err != nil {
		t.Fatal(err)
	}
	if n := s.db.Unsynced(); n != 0 {
		t.Errorf("fsync through a reader left %d transactions unsynced", n)
	}

	pending()
	w := open()
	defer w.Release(mount)
	if _, err := w.WriteAt(mount, []byte("hello"), 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(mount); err != nil {
		t.Fatal(err)
	}
	size := func() uint64 {
		t.Helper()
		var n meta.Inode
		if err := s.db.View(func(x *meta.Txn) (err error) { n, err = inode(x, a.Ino); return }); err != nil {
			t.Fatal(err)
		}
		return n.Size
	}
	if n := size(); n != 0 {
		t.Errorf("after the reader's close the record says size %d, want 0: it published the writer's buffer", n)
	}
	if err := w.Flush(mount); err != nil {
		t.Fatal(err)
	}
	if n := size(); n != 5 {
		t.Errorf("after the writer's close the record says size %d, want 5", n)
	}
	if s.db.Unsynced() == 0 {
		t.Error("a writer's close synced the metadata")
	}
}
