package objstore

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/shallot-storage/shallot/meta"
)

// TestStatFSInodes: statfs's used inodes (total less free) are the inodes
// that exist, through every door's way of creating and removing them,
// concurrent creates included.
func TestStatFSInodes(t *testing.T) {
	s := small(t)
	check := func(when string) {
		t.Helper()
		var want uint64
		if err := s.db.View(func(x *meta.Txn) error {
			return x.ScanInodes(func(uint64, meta.Inode, error) error { want++; return nil })
		}); err != nil {
			t.Fatal(err)
		}
		st, err := s.StatFS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if used := st.TotalInodes - st.FreeInodes; used != want {
			t.Errorf("%s: statfs says %d inodes used, %d exist", when, used, want)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check("empty")
	must(s.CreateBucket(ctx, "bkt", Owner{}))
	bk := mustLookup(t, s, "bkt")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 25; i++ {
				if _, err := s.Mknod(ctx, bk, fmt.Sprintf("f%d-%d", g, i), NodeIn{Mode: 0o644}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	check("concurrent creates")
	d, err := s.Mkdir(ctx, bk, "d", NodeIn{Mode: 0o755})
	must(err)
	_, err = s.Symlink(ctx, d.Ino, "l", "target", Owner{})
	must(err)
	_, err = s.Link(ctx, mustLookupIn(t, s, bk, "f0-0"), d.Ino, "hard")
	must(err)
	check("mkdir, symlink, link")
	_, err = s.PutObject(ctx, "bkt", "a/b/c", bytes.NewReader([]byte("x")), 1, PutOptions{})
	must(err)
	_, err = s.PutObject(ctx, "bkt", "a/b/c", bytes.NewReader([]byte("yy")), 2, PutOptions{})
	must(err)
	check("put with implicit directories, then replaced")
	must(s.Rename(ctx, bk, "f0-1", bk, "f0-2", 0))
	must(s.Unlink(ctx, bk, "f0-3"))
	check("rename over, unlink")
	a := mustLookupIn(t, s, bk, "f1-0")
	h, err := s.Open(ctx, a, false)
	must(err)
	must(s.Unlink(ctx, bk, "f1-0"))
	check("unlinked while open")
	must(h.Release(ctx))
	check("last close of an unlinked file")
	must(s.DeleteObject(ctx, "bkt", "a/b/c"))
	check("delete object and its implicit directories")
}

func mustLookupIn(t *testing.T, s *Store, dir Ino, name string) Ino {
	t.Helper()
	a, err := s.Lookup(ctx, dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return a.Ino
}
